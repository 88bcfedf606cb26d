import { z } from 'zod';
import { DomainError, JOB_STATUSES } from '@framewire/contracts';
import { EXPORT_FORMATS } from '@framewire/tracks';

/**
 * The read queries of the API as zod schemas: the HTTP controllers take them
 * as DTOs (http/dtos.ts, which also documents them), gRPC parses its requests
 * with them, so both edges refuse the same input with the same words.
 */
export const listJobsQuery = z.object({
  status: z
    .enum(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
    .optional()
    .describe('only jobs of this status'),
  limit: z.coerce.number().int().min(1).max(1000, 'limit must be <= 1000').default(50).describe('page size (default 50, at most 1000)'),
  cursor: z.string().max(512).optional().describe('`next_cursor` of the previous page'),
});
export type ListJobsQuery = z.output<typeof listJobsQuery>;

export const resultsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000, 'limit must be <= 1000').default(100).describe('page size (default 100, at most 1000)'),
  cursor: z
    .string()
    .regex(/^\d{1,10}$/, 'cursor must be the next_cursor of a previous page')
    .optional()
    .describe('`next_cursor` of the previous page'),
});
export type ResultsQuery = z.output<typeof resultsQuery>;

/** Tracks page like results: `cursor` is the last track_index of the previous page. */
export const tracksQuery = resultsQuery;
export type TracksQuery = z.output<typeof tracksQuery>;

export const exportQuery = z.object({
  format: z
    .enum(EXPORT_FORMATS, { message: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
    .describe('`webvtt` or `srt` (a cue per text track), `csv` (RFC 4180, a row per track) or `json`'),
});
export type ExportQuery = z.output<typeof exportQuery>;

/** Parse what a client sent; a refusal is INVALID_ARGUMENT with one line per problem in `errors`. */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown, what = 'query'): z.output<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new DomainError('INVALID_ARGUMENT', `invalid ${what}: ${errors.join('; ')}`, { details: { errors } });
}
