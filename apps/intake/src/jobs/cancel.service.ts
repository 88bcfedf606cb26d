import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isTerminal, makeEvent } from '@framewire/contracts';
import { Broker, CancellationRegistry } from '@framewire/messaging';
import type { JobRecord } from '@framewire/persistence';
import { LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';
import { QueryService } from './query.service';

/**
 * Cancel a pending or running job: every replica of every stage learns it
 * through the cancellation registry and stops spending work on the job's
 * frames; the `cancelled` event moves the job to `cancelled`.
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

  async cancel(jobId: string, reason: string | null): Promise<JobRecord> {
    const job = await this.queries.getJob(jobId);
    if (isTerminal(job.status)) {
      throw new DomainError('CONFLICT', `job ${job.id} is already ${job.status}; only pending or running jobs can be cancelled`);
    }
    await this.cancellations.cancel(job.id, reason);
    await this.broker.publishEvent(makeEvent('cancelled', job.id, { reason, worker_id: this.workerId }));
    this.logger.info({ job_id: job.id, reason }, 'job cancelled');
    return job;
  }
}
