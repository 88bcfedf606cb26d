import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { describeError, isDomainError } from '@framewire/contracts';
import { JobsRepository } from '@framewire/persistence';
import { LOGGER, PeriodicTask, type Logger } from '@framewire/runtime';
import type { IntakeConfig } from '../config';
import { INTAKE_CONFIG } from '../tokens';
import { DeleteService } from './delete.service';

/** Advisory lock of the retention sweep: one replica sweeps at a time (any bigint; distinct from the migration lock). */
export const RETENTION_LOCK_KEY = '3691717177845725441';

export interface SweepReport {
  /** False when another replica held the lock. */
  ran: boolean;
  deleted: number;
  /** Jobs whose deletion failed (outage): left for the next tick. */
  failed: number;
}

/**
 * The retention sweep: every FW_RETENTION_SWEEP_INTERVAL_MS, under a Postgres
 * advisory lock so that replicas take turns, finished jobs whose retention has
 * passed (their `retention_days`, else FW_RETENTION_DAYS) are deleted the way
 * `DELETE /v1/jobs/{id}` deletes them, a batch at a time, oldest first. An
 * outage ends the tick with a log line; the next tick retries. Pending and
 * running jobs are never touched.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask | null;

  constructor(
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    private readonly jobs: JobsRepository,
    private readonly deleter: DeleteService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const interval = config.retentionSweepIntervalMs;
    // sweep() logs its own failures (one line a sweep: sweeps are far apart) and never throws.
    this.task =
      interval === null
        ? null
        : new PeriodicTask(
            {
              intervalMs: interval,
              firstRunDelayMs: Math.min(interval, 60_000),
              logger,
              failingMessage: 'retention sweep failed',
              recoveredMessage: 'retention sweep recovered',
            },
            async () => {
              await this.sweep();
            },
          );
  }

  onApplicationBootstrap(): void {
    if (!this.task) return;
    this.logger.info(
      { retention_days: this.config.retentionDays ?? 'off', interval_ms: this.config.retentionSweepIntervalMs },
      'retention sweep scheduled',
    );
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  /** One sweep now (also what each tick runs). Never throws: failures are logged and left for the next tick. */
  async sweep(now = new Date()): Promise<SweepReport> {
    try {
      const locked = await this.jobs.withExclusiveLock(RETENTION_LOCK_KEY, () => this.sweepLocked(now));
      return locked.ran ? locked.result : { ran: false, deleted: 0, failed: 0 };
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'retention sweep failed; retrying next tick');
      return { ran: true, deleted: 0, failed: 1 };
    }
  }

  private async sweepLocked(now: Date): Promise<SweepReport> {
    const batch = this.config.retentionSweepBatch;
    let deleted = 0;
    let failed = 0;
    for (let round = 0; round < MAX_BATCHES_PER_SWEEP && !this.task?.isStopped; round++) {
      const ids = await this.jobs.listExpired(now, this.config.retentionDays, batch);
      for (const id of ids) {
        try {
          await this.deleter.deleteJob(id, 'retention');
          deleted++;
        } catch (err) {
          // Deleted meanwhile (a DELETE request): nothing left to do.
          if (isDomainError(err) && err.code === 'NOT_FOUND') continue;
          failed++;
          this.logger.warn({ job_id: id, err: describeError(err) }, 'retention: could not delete an expired job; retrying next tick');
        }
      }
      // A failure stops the sweep (the same jobs would come back first); a short batch was the last.
      if (failed > 0 || ids.length < batch) break;
    }
    if (deleted > 0 || failed > 0) this.logger.info({ deleted, failed }, 'retention sweep done');
    return { ran: true, deleted, failed };
  }
}

/** Bound on one sweep's work, so a huge backlog is worked off over several ticks. */
const MAX_BATCHES_PER_SWEEP = 50;
