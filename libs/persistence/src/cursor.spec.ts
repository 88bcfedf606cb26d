import { DomainError } from '@framewire/contracts';
import { decodeJobCursor, encodeJobCursor } from './cursor';

describe('job cursor', () => {
  const cursor = { created_at: '2026-11-29T17:00:00.123456Z', id: '0b5e3c1e-8a2f-4c7e-9b1d-2f3a4b5c6d7e' };

  it('round-trips created_at with microseconds and the id', () => {
    const text = encodeJobCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeJobCursor(text)).toEqual(cursor);
  });

  it('is opaque: base64url, not the raw values', () => {
    expect(encodeJobCursor(cursor)).not.toContain(cursor.id);
  });

  it('normalises the id to lower case', () => {
    const text = encodeJobCursor({ ...cursor, id: cursor.id.toUpperCase() });
    expect(decodeJobCursor(text).id).toBe(cursor.id);
  });

  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['an object', b64({ created_at: cursor.created_at, id: cursor.id })],
    ['one element', b64([cursor.created_at])],
    ['millisecond timestamp', b64(['2026-11-29T17:00:00.123Z', cursor.id])],
    ['impossible date', b64(['2026-13-45T17:00:00.123456Z', cursor.id])],
    ['non-uuid id', b64([cursor.created_at, 'x'])],
    ['SQL in the id', b64([cursor.created_at, "'; drop table jobs; --"])],
    ['too long', 'a'.repeat(201)],
  ])('rejects %s with INVALID_ARGUMENT', (_label, text) => {
    let caught: unknown;
    try {
      decodeJobCursor(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe('INVALID_ARGUMENT');
  });
});
