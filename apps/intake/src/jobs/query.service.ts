import { Injectable } from '@nestjs/common';
import { DomainError, UUID } from '@framewire/contracts';
import {
  FrameResultsRepository,
  JobsRepository,
  WebhookDeliveriesRepository,
  type FrameResultRecord,
  type JobRecord,
  type WebhookDeliveryRecord,
} from '@framewire/persistence';
import type { ListJobsQuery, ResultsQuery } from './queries';

/** Reads for the API: jobs, job lists and result pages, straight from Postgres. */
@Injectable()
export class QueryService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly results: FrameResultsRepository,
    private readonly webhookDeliveries: WebhookDeliveriesRepository,
  ) {}

  async getJob(id: string): Promise<JobRecord> {
    if (!UUID.test(id)) throw new DomainError('NOT_FOUND', `job ${JSON.stringify(id.slice(0, 64))} not found`);
    const job = await this.jobs.get(id);
    if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
    return job;
  }

  /** The job and, when it has a callback_url, its webhook's delivery attempts. */
  async getJobDetail(id: string): Promise<{ job: JobRecord; deliveries: WebhookDeliveryRecord[] }> {
    const job = await this.getJob(id);
    return { job, deliveries: job.callback_url === null ? [] : await this.webhookDeliveries.list(job.id) };
  }

  /** The query is parsed at the edge (queries.ts). */
  async listJobs(q: ListJobsQuery) {
    return this.jobs.list({ status: q.status, limit: q.limit, cursor: q.cursor ?? null });
  }

  async resultsPage(id: string, q: ResultsQuery): Promise<{ job: JobRecord; items: FrameResultRecord[]; next_cursor: string | null }> {
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
