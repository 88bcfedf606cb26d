import { jsonWithoutNul } from './frame-results.repository';

describe('jsonWithoutNul', () => {
  it('is JSON.stringify for a value without NUL characters, escaped look-alikes included', () => {
    const v = { a: 'x\\u0000 is six characters, not a NUL', b: [1, 'two', { c: 'back\\\\slash', d: '\\\\u0000' }] };
    expect(jsonWithoutNul(v)).toBe(JSON.stringify(v));
  });

  it('removes NUL characters from every string, keys too, however deep, and keeps the rest exact', () => {
    const v = { a: 'x\0y', b: ['\0', { c: 'p\\\0q', 'k\0ey': '\0\0', e: '\\\\\0' }], n: 3 };
    expect(JSON.parse(jsonWithoutNul(v))).toEqual({ a: 'xy', b: ['', { c: 'p\\q', key: '', e: '\\\\' }], n: 3 });
  });

  it('writes undefined as null', () => {
    expect(jsonWithoutNul(undefined)).toBe('null');
  });
});
