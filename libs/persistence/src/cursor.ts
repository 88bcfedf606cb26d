import { DomainError, UUID_ANY_CASE } from '@framewire/contracts';

/**
 * Opaque keyset cursor for job listings: base64url of `[created_at, id]`.
 * created_at travels as the database's own microsecond-precision text: a JS
 * Date keeps milliseconds only, and a truncated timestamp would skip or repeat
 * rows created within the same millisecond.
 */
export interface JobCursor {
  /** ISO-8601 UTC with microseconds, e.g. 2026-11-29T17:00:00.123456Z */
  created_at: string;
  id: string;
}

const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeJobCursor(cursor: JobCursor): string {
  return Buffer.from(JSON.stringify([cursor.created_at, cursor.id]), 'utf8').toString('base64url');
}

/** Throws DomainError('INVALID_ARGUMENT') for anything that is not a cursor this lib issued. */
export function decodeJobCursor(text: string): JobCursor {
  const invalid = () => new DomainError('INVALID_ARGUMENT', 'cursor is not valid');
  if (text.length === 0 || text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || !TS.test(createdAt) || Number.isNaN(Date.parse(createdAt))) throw invalid();
  if (typeof id !== 'string' || !UUID_ANY_CASE.test(id)) throw invalid();
  return { created_at: createdAt, id: id.toLowerCase() };
}
