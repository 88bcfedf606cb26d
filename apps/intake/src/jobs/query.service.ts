import { Injectable } from '@nestjs/common';
import { DomainError, UUID, type TextTrack } from '@framewire/contracts';
import {
  FrameResultsRepository,
  JobsRepository,
  TracksRepository,
  WebhookDeliveriesRepository,
  type FrameResultRecord,
  type JobRecord,
  type WebhookDeliveryRecord,
} from '@framewire/persistence';
import type { ListJobsQuery, ResultsQuery, TracksQuery } from './queries';

/** A page of a job's text tracks; `final` once they were built from every frame of the finished job. */
export interface TracksPage {
  job: JobRecord;
  final: boolean;
  items: TextTrack[];
  next_cursor: string | null;
}

/** Reads for the API: jobs, job lists, result and track pages, straight from Postgres. */
@Injectable()
export class QueryService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly results: FrameResultsRepository,
    private readonly tracks: TracksRepository,
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

  /**
   * A page of the job's text tracks in track_index order: while the job runs,
   * those the status service built from the frames done so far (final false).
   */
  async tracksPage(id: string, q: TracksQuery): Promise<TracksPage> {
    const job = await this.getJob(id);
    const [state, page] = await Promise.all([
      this.tracks.state(id),
      this.tracks.page(id, { limit: q.limit, after: q.cursor === undefined ? null : Number(q.cursor) }),
    ]);
    return { job, final: state?.final ?? false, items: page.items, next_cursor: page.next === null ? null : String(page.next) };
  }

  /** Every text track of a job (the exports), read page by page. */
  async allTracks(id: string): Promise<{ job: JobRecord; final: boolean; tracks: TextTrack[] }> {
    const tracks: TextTrack[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.tracksPage(id, { limit: 1000, cursor });
      tracks.push(...page.items);
      if (page.next_cursor === null) return { job: page.job, final: page.final, tracks };
      cursor = page.next_cursor;
    }
  }
}
