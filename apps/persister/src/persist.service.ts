import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { makeEvent, type FrameResultV1 } from '@framewire/contracts';
import { Broker, CancellationRegistry, Consume, type Delivery } from '@framewire/messaging';
import { FrameResultsRepository, type FrameResultInput } from '@framewire/persistence';
import { LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';

/**
 * fw.work.persist: upsert frame results on (job_id, frame_index) in batches,
 * one statement per batch, then announce progress per job. Redelivery
 * rewrites the same rows, never adds one.
 */
@Injectable()
export class PersistService {
  constructor(
    private readonly results: FrameResultsRepository,
    private readonly broker: Broker,
    private readonly cancellations: CancellationRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_ID) private readonly workerId: string,
  ) {}

  @Consume({ kind: 'persist', mode: 'batch', maxBatch: 500, maxWaitMs: 25 })
  async persist(items: Array<Delivery<FrameResultV1>>): Promise<void> {
    const live = items.filter(({ payload }) => !this.cancellations.isCancelled(payload.job_id));
    if (live.length === 0) return;
    const rows: FrameResultInput[] = live.map(({ payload: p }) => ({
      job_id: p.job_id,
      frame_index: p.frame_index,
      pts_ms: p.pts_ms,
      result: withoutNul(p.result ?? null),
      error: p.error === null ? null : p.error.replace(/\0/g, ''),
      timings_ms: p.timings_ms,
      worker_id: p.worker_id,
    }));
    await this.results.upsertBatch(rows);
    for (const [jobId, group] of groupByJob(rows)) {
      const failed = group.filter((r) => r.error !== null).length;
      await this.broker.publishEvent(
        makeEvent('frames', jobId, { frames_done: group.length - failed, frames_failed: failed, worker_id: this.workerId }),
        batchDiscriminator(group),
      );
    }
    this.logger.debug({ rows: rows.length }, 'persisted');
  }
}

export function groupByJob(rows: readonly FrameResultInput[]): Map<string, FrameResultInput[]> {
  const out = new Map<string, FrameResultInput[]>();
  for (const r of rows) {
    const list = out.get(r.job_id) ?? [];
    list.push(r);
    out.set(r.job_id, list);
  }
  return out;
}

/** A progress event's dedup id: the same batch redelivered is announced once. */
export function batchDiscriminator(rows: readonly FrameResultInput[]): string {
  const indices = rows.map((r) => r.frame_index).sort((a, b) => a - b);
  return createHash('sha1').update(indices.join(',')).digest('hex').slice(0, 16);
}

/** Postgres jsonb refuses U+0000 inside strings; one model output must never fail a whole batch of other jobs' rows. */
export function withoutNul(value: unknown): unknown {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? v.replace(/\0/g, '') : v));
  return text === undefined ? null : JSON.parse(text);
}
