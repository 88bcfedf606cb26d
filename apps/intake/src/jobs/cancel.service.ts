import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isTerminal, makeEvent } from '@framewire/contracts';
import { Broker, CancellationRegistry } from '@framewire/messaging';
import type { JobRecord } from '@framewire/persistence';
import { LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';
import { QueryService } from './query.service';

/**
 * What intake knows once a cancel is accepted. It does not write the jobs row:
 * the status service's projection moves it to `cancelled` when it handles the
 * event (apps/status/src/projection.ts decides a job's status, and only it).
 */
export interface CancelAccepted {
  /** The job as the projection last wrote it: still pending or running. */
  job: JobRecord;
  /**
   * What the caller is told: the cancellation is recorded in the stopped-jobs
   * registry, so every stage already treats the job as cancelled, and the
   * `cancelled` event is published.
   */
  status: 'cancelled';
}

/**
 * Cancel a pending or running job: every replica of every stage learns it
 * through the cancellation registry and stops spending work on the job's
 * frames; the `cancelled` event lets the projection move the job to `cancelled`.
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
    this.logger.info({ job_id: job.id, reason }, 'job cancellation accepted');
    return { job, status: 'cancelled' };
  }
}
