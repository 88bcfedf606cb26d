import { Inject, Injectable } from '@nestjs/common';
import { DomainError, makeEvent, msgIds, WORK_SUBJECTS, type JobEvent, type WebhookRequestV1 } from '@framewire/contracts';
import { Broker, CancellationRegistry, Consume, type HandlerContext } from '@framewire/messaging';
import type { JobRecord } from '@framewire/persistence';
import { LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';
import { ProjectionStore } from './projection-store';
import { TracksService } from './tracks.service';
import type { StatusConfig } from './config';

/**
 * fw.events.>: the only writer of job status. Projects each event into the
 * jobs row (idempotent, monotonic), builds a running job's text tracks as its
 * frames come in, stores the final ones and announces completion when every
 * sampled frame is persisted, and records a failed job in the stopped-jobs registry so
 * every stage drops its remaining work.
 */
@Injectable()
export class ProjectorService {
  constructor(
    private readonly projection: ProjectionStore,
    private readonly tracks: TracksService,
    private readonly broker: Broker,
    private readonly stoppedJobs: CancellationRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_ID) private readonly workerId: string,
  ) {}

  @Consume({ kind: 'events', mode: 'single', concurrency: (c: StatusConfig) => c.concurrency })
  async onEvent(event: JobEvent, ctx: HandlerContext): Promise<void> {
    const res = await this.projection.applyEvent(event, ctx.msgId);
    switch (res.outcome) {
      case 'job_not_found':
        throw new DomainError('NOT_FOUND', `event ${event.type} for unknown job ${event.job_id}`);
      case 'duplicate':
        // A redelivery after the projection committed but before what follows it was published or recorded: do it now (idempotent).
        if (res.job.status === 'completed' && event.type !== 'completed') await this.announceCompleted(res.job);
        if (res.job.status === 'failed') await this.stoppedJobs.markFailed(res.job.id, res.job.error_message);
        await this.queueWebhook(res.job);
        return;
      case 'applied':
        // Frames came in: the running job's tracks so far (throttled, in the background).
        if (event.type === 'frames' && res.job.status === 'running') void this.tracks.buildRunning(res.job);
        if (res.becameTerminal === 'completed' && event.type !== 'completed') {
          await this.announceCompleted(res.job);
        } else if (res.becameTerminal) {
          // Every stage drops a failed job's remaining work (cancellations are recorded by intake).
          if (res.becameTerminal === 'failed') await this.stoppedJobs.markFailed(res.job.id, res.job.error_message);
          this.logger.info({ status: res.becameTerminal, error: res.job.error_message }, `job ${res.becameTerminal}`);
        }
        if (res.becameTerminal) await this.queueWebhook(res.job);
        return;
    }
  }

  /**
   * A terminal job with a callback_url: queue its webhook on fw.work.webhook
   * (the webhook consumer POSTs it). The message id is the job and status, so
   * a redelivered event queues it once; the consumer also skips a webhook
   * already delivered or given up.
   */
  private async queueWebhook(job: JobRecord): Promise<void> {
    if (!job.callback_url || job.status === 'pending' || job.status === 'running') return;
    const request: WebhookRequestV1 = {
      v: 1,
      job_id: job.id,
      event: job.status,
      at: (job.finished_at ?? job.updated_at).toISOString(),
    };
    await this.broker.publishJson(WORK_SUBJECTS.webhook, request, { msgId: msgIds.webhook(job.id, job.status), jobId: job.id });
  }

  /**
   * The final tracks first (stored, then the `tracks` event), then `completed`:
   * a client that sees `completed` can read them. A failure on the way (the
   * database or the broker away) fails the handler; the redelivered event finds
   * the job completed ('duplicate') and comes back here, rebuilding the same
   * tracks; the events' message ids make the second publishes no-ops.
   */
  private async announceCompleted(job: JobRecord): Promise<void> {
    const built = await this.tracks.buildFinal(job);
    if (built.stored) {
      const { tracks, text_tracks, region_tracks, frames } = built;
      await this.broker.publishEvent(
        makeEvent('tracks', job.id, { tracks, text_tracks, region_tracks, frames, final: true, worker_id: this.workerId }),
      );
    }
    const processingMs = job.started_at && job.finished_at ? job.finished_at.getTime() - job.started_at.getTime() : 0;
    await this.broker.publishEvent(
      makeEvent('completed', job.id, {
        frames_total: job.frames_total ?? 0,
        frames_done: job.frames_done,
        frames_failed: job.frames_failed,
        processing_ms: processingMs,
        worker_id: this.workerId,
      }),
    );
    this.logger.info({ frames_total: job.frames_total, frames_failed: job.frames_failed, processing_ms: processingMs }, 'job completed');
  }
}
