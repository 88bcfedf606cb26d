import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { makeEvent, type FrameResultV1 } from '@framewire/contracts';
import { Broker, Consume, type Delivery } from '@framewire/messaging';
import { Metrics } from '@framewire/observability';
import { FrameResultsRepository, type FrameResultInput, type JobProgress } from '@framewire/persistence';
import { APP_CONFIG, LOGGER, newTraceId, runInContext, WORKER_ID, type Logger } from '@framewire/runtime';
import type { PersisterConfig } from './config';
import { ProgressThrottle } from './progress-throttle';

/**
 * fw.work.persist: upsert frame results on (job_id, frame_index) in batches,
 * one statement per batch, then announce progress per job. Redelivery
 * rewrites the same rows, never adds one. The results of a job that does not
 * exist are dropped (counted in framewire_results_dropped_total); those of a
 * failed or cancelled job never get here (the worker drops them).
 *
 * Progress is throttled here, at the source (ProgressThrottle): every
 * consumer of job events (the status projection, SSE and gRPC watchers, NATS
 * subscribers, replays) gets the same bounded stream, and a resumed stream is
 * exact because nothing downstream drops events. Each `frames` event carries
 * the job's cumulative counts and total as read under the job's row lock, so
 * the batch that completes a job is always announced at once.
 */
@Injectable()
export class PersistService implements BeforeApplicationShutdown {
  private readonly progress: ProgressThrottle;
  /** Each job's trace id, from its latest frame result, so its progress events continue its trace (bounded: oldest forgotten). */
  private readonly traces = new Map<string, string>();

  constructor(
    @Inject(APP_CONFIG) config: PersisterConfig,
    private readonly results: FrameResultsRepository,
    private readonly broker: Broker,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_ID) private readonly workerId: string,
  ) {
    this.progress = new ProgressThrottle(
      config.progressIntervalMs,
      (jobId, progress) => this.announce(jobId, progress),
      (jobId, err) => this.logger.warn({ err, job_id: jobId }, 'could not publish a held progress event (a later one supersedes it)'),
    );
  }

  @Consume({
    kind: 'persist',
    mode: 'batch',
    maxBatch: (c: PersisterConfig) => c.batchSize,
    maxWaitMs: (c: PersisterConfig) => c.batchWaitMs,
    inFlight: (c: PersisterConfig) => c.batchesInFlight,
  })
  async persist(items: Array<Delivery<FrameResultV1>>): Promise<void> {
    for (const { payload, ctx } of items) this.rememberTrace(payload.job_id, ctx.traceId);
    const rows: FrameResultInput[] = items.map(({ payload: p }) => ({
      job_id: p.job_id,
      frame_index: p.frame_index,
      pts_ms: p.pts_ms,
      // U+0000, which Postgres refuses, is removed from every string of the batch by the upsert (jsonWithoutNul).
      result: p.result ?? null,
      error: p.error,
      timings_ms: p.timings_ms,
      worker_id: p.worker_id,
      geometry: p.geometry ?? null,
      reused_from: p.reused_from ?? null,
    }));
    const progress = await this.results.upsertBatchWithProgress(rows);
    this.dropUnknown(items, progress);
    for (const [jobId, p] of progress) await this.progress.observe(jobId, p);
    this.logger.debug({ rows: rows.length }, 'persisted');
  }

  /** Results of a job that does not exist (never created, or deleted) were not written: dropped with a log line and a count, never retried. */
  private dropUnknown(items: Array<Delivery<FrameResultV1>>, written: ReadonlyMap<string, JobProgress>): void {
    const unknown = unknownJobs(
      items.map((i) => i.payload.job_id),
      written,
    );
    for (const [jobId, n] of unknown) {
      this.traces.delete(jobId);
      this.metrics.resultDropped('unknown_job', n);
      this.logger.warn({ job_id: jobId, results: n }, 'dropped frame results of a job that does not exist');
    }
  }

  private async announce(jobId: string, p: JobProgress): Promise<void> {
    const traceId = this.traces.get(jobId) ?? newTraceId();
    if (p.total !== null && p.done + p.failed >= p.total) this.traces.delete(jobId);
    await runInContext({ traceId, jobId }, () =>
      this.broker.publishEvent(
        makeEvent('frames', jobId, { frames_done: p.done, frames_failed: p.failed, frames_total: p.total, worker_id: this.workerId }),
        progressDiscriminator(p),
      ),
    );
  }

  private rememberTrace(jobId: string, traceId: string): void {
    this.traces.delete(jobId);
    this.traces.set(jobId, traceId);
    if (this.traces.size > 10_000) this.traces.delete(this.traces.keys().next().value as string);
  }

  /** Held progress goes out before the broker drains. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.progress.flushAll();
  }
}

/** The jobs of `jobIds` that the upsert found no row for, with how many results each had. */
export function unknownJobs(jobIds: readonly string[], written: ReadonlyMap<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of jobIds) if (!written.has(id)) out.set(id, (out.get(id) ?? 0) + 1);
  return out;
}

/** A progress event's dedup id: the state it announces, so the same state (a redelivered batch, two replicas) is announced once. */
export function progressDiscriminator(p: JobProgress): string {
  return `${p.done}.${p.failed}.${p.total ?? 'x'}`;
}
