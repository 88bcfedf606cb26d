import { z } from 'zod';
import { DomainError, JOB_STATUSES } from '@framewire/contracts';

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

/** The tracks are paged like the results: `cursor` is the next page's first track_index. */
export const tracksQuery = resultsQuery;
export type TracksQuery = z.output<typeof tracksQuery>;

/** Parse what a client sent; a refusal is INVALID_ARGUMENT with one line per problem in `errors`. */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown, what = 'query'): z.output<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new DomainError('INVALID_ARGUMENT', `invalid ${what}: ${errors.join('; ')}`, { details: { errors } });
}
