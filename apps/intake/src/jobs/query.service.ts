import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DomainError, JOB_STATUSES, UUID } from '@framewire/contracts';
import { FrameResultsRepository, JobsRepository, type FrameResultRecord, type JobRecord } from '@framewire/persistence';

const listQuery = z.object({
  status: z.enum(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1).max(1000, 'limit must be <= 1000').default(50),
  cursor: z.string().max(512).optional(),
});

const resultsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000, 'limit must be <= 1000').default(100),
  cursor: z
    .string()
    .regex(/^\d{1,10}$/, 'cursor must be the next_cursor of a previous page')
    .optional(),
});

/** Reads for the API: jobs, job lists and result pages, straight from Postgres. */
@Injectable()
export class QueryService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly results: FrameResultsRepository,
  ) {}

  async getJob(id: string): Promise<JobRecord> {
    if (!UUID.test(id)) throw new DomainError('NOT_FOUND', `job ${JSON.stringify(id.slice(0, 64))} not found`);
    const job = await this.jobs.get(id);
    if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
    return job;
  }

  async listJobs(raw: Record<string, unknown>) {
    const q = parse(listQuery, raw);
    return this.jobs.list({ status: q.status, limit: q.limit, cursor: q.cursor ?? null });
  }

  async resultsPage(
    id: string,
    raw: Record<string, unknown>,
  ): Promise<{ job: JobRecord; items: FrameResultRecord[]; next_cursor: string | null }> {
    const q = parse(resultsQuery, raw);
    const job = await this.getJob(id);
    const page = await this.results.page(id, { afterFrameIndex: q.cursor === undefined ? null : Number(q.cursor), limit: q.limit });
    const next = page.next_after_frame_index;
    return { job, items: page.items, next_cursor: next === null ? null : String(next) };
  }

  /** Every result of a job in frame order, read page by page (the legacy route answers with all of them). */
  async *allResults(id: string): AsyncGenerator<FrameResultRecord> {
    let after: number | null = null;
    for (;;) {
      const page = await this.results.page(id, { afterFrameIndex: after, limit: 1000 });
      yield* page.items;
      if (page.next_after_frame_index === null) return;
      after = page.next_after_frame_index;
    }
  }
}

function parse<T extends z.ZodType>(schema: T, raw: Record<string, unknown>): z.output<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new DomainError('INVALID_ARGUMENT', `invalid query: ${errors.join('; ')}`, { details: { errors } });
}
