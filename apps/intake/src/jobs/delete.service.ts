import { Inject, Injectable } from '@nestjs/common';
import { DomainError, isTerminal } from '@framewire/contracts';
import { Broker } from '@framewire/messaging';
import { JobsRepository } from '@framewire/persistence';
import { LOGGER, type Logger } from '@framewire/runtime';
import { OBJECT_STORE, objectKeys, type ObjectStore } from '@framewire/storage';
import { QueryService } from './query.service';

export interface JobDeletion {
  job_id: string;
  /** Objects removed: the input, frames stored by reference, dead-letter bodies. */
  objects: number;
  /** Events removed from FW_EVENTS. */
  events: number;
}

/**
 * Delete a finished job and everything of it: its objects (input, frames,
 * dead-letter bodies), its events in FW_EVENTS, then its rows (results, event
 * log, job) in one transaction. The rows go last, so a deletion cut short by an
 * outage leaves the job visible and the next attempt (the client's retry, or
 * the next retention sweep) finishes it: every step is idempotent. Used by
 * `DELETE /v1/jobs/{id}`, gRPC `DeleteJob` and the retention sweep.
 */
@Injectable()
export class DeleteService {
  constructor(
    private readonly queries: QueryService,
    private readonly jobs: JobsRepository,
    private readonly broker: Broker,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async deleteJob(jobId: string, cause: 'request' | 'retention'): Promise<JobDeletion> {
    const job = await this.queries.getJob(jobId);
    if (!isTerminal(job.status)) throw notFinished(job.id, job.status);
    let objects = 0;
    for (const prefix of objectKeys.jobPrefixes(job.id)) objects += await this.store.deletePrefix(prefix);
    const events = await this.broker.purgeJobEvents(job.id);
    const outcome = await this.jobs.deleteFinished(job.id);
    // A job can only move forward, so `not_terminal` cannot happen here; `not_found` is a concurrent delete that won.
    if (outcome === 'not_terminal') throw notFinished(job.id, 'running');
    this.logger.info({ job_id: job.id, status: job.status, cause, objects, events, rows: outcome }, 'job deleted');
    return { job_id: job.id, objects, events };
  }
}

function notFinished(id: string, status: string): DomainError {
  return new DomainError(
    'CONFLICT',
    `job ${id} is ${status}; only a finished job can be deleted: cancel it first (POST /v1/jobs/${id}/cancel, gRPC CancelJob), then delete it`,
  );
}
