import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isTerminal, makeEvent, type JobStatus } from '@framewire/contracts';
import { Broker, CancellationRegistry } from '@framewire/messaging';
import type { JobRecord } from '@framewire/persistence';
import { LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';
import { QueryService } from './query.service';

/**
 * How long a cancel waits for the status projection to record it before it
 * answers. The projection usually takes milliseconds; past this (the status
 * service is down or far behind) the answer is the job as it still stands.
 */
export const CANCEL_PROJECTION_WAIT_MS = 3000;
const CANCEL_POLL_MS = 20;

/**
 * What intake knows once a cancel is accepted. It does not write the jobs row
 * and does not say `cancelled` on the projection's behalf:
 * apps/status/src/projection.ts decides a job's status, and only it.
 */
export interface CancelAccepted {
  /**
   * The job as the projection wrote it after the `cancelled` event: normally
   * `cancelled`; `completed` or `failed` when the job ended first (the
   * forward-only rule keeps that); still `pending` or `running` when the
   * projection did not get to it within CANCEL_PROJECTION_WAIT_MS. In every
   * case every stage already treats the job as stopped (the stopped-jobs
   * registry) and the row follows the event.
   */
  job: JobRecord;
}

/**
 * Cancel a pending or running job: every replica of every stage learns it
 * through the cancellation registry and stops spending work on the job's
 * frames; the `cancelled` event lets the projection move the job to
 * `cancelled`, and the answer is the row once it has.
 */
@Injectable()
export class CancelService {
  constructor(
    private readonly queries: QueryService,
    private readonly cancellations: CancellationRegistry,
    private readonly broker: Broker,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_ID) private readonly workerId: string,
  ) {}

  async cancel(jobId: string, reason: string | null): Promise<CancelAccepted> {
    const job = await this.queries.getJob(jobId);
    if (isTerminal(job.status)) {
      throw new DomainError('CONFLICT', `job ${job.id} is already ${job.status}; only pending or running jobs can be cancelled`);
    }
    await this.cancellations.cancel(job.id, reason);
    await this.broker.publishEvent(makeEvent('cancelled', job.id, { reason, worker_id: this.workerId }));
    const projected = await untilProjected(job, () => this.queries.getJob(job.id), CANCEL_PROJECTION_WAIT_MS);
    this.logger.info({ job_id: job.id, reason, status: projected.status }, 'job cancellation accepted');
    return { job: projected };
  }
}

/**
 * Re-read `job` every CANCEL_POLL_MS until its status is terminal or `waitMs`
 * has passed; the last row read. A failed read (the database went away) ends
 * the wait with the last row: the cancel is recorded and published already.
 */
export async function untilProjected<J extends { status: JobStatus }>(
  job: J,
  read: () => Promise<J>,
  waitMs: number,
  pollMs = CANCEL_POLL_MS,
): Promise<J> {
  const deadline = Date.now() + waitMs;
  let last = job;
  while (!isTerminal(last.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    try {
      last = await read();
    } catch {
      return last;
    }
  }
  return last;
}
