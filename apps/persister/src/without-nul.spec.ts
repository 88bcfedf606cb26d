import { withoutNul } from './persist.service';

describe('withoutNul', () => {
  it('returns a value without NUL characters unchanged (the same object)', () => {
    const v = { a: 'x\\u0000 is six characters, not a NUL', b: [1, 'two', { c: 'back\\\\slash' }] };
    expect(withoutNul(v)).toBe(v);
  });

  it('removes NUL characters from every string, however deep', () => {
    expect(withoutNul({ a: 'x\0y', b: ['\0', { c: 'p\\\0q' }] })).toEqual({ a: 'xy', b: ['', { c: 'p\\q' }] });
  });

  it('turns undefined into null', () => {
    expect(withoutNul(undefined)).toBeNull();
  });
});
