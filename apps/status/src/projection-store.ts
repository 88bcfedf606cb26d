import { Injectable } from '@nestjs/common';
import type { JobEvent, JobStatus } from '@framewire/contracts';
import { JobsRepository, type JobRecord } from '@framewire/persistence';
import { decide } from './projection';

export type TerminalStatus = Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;

export type ApplyEventResult =
  /** No job has this id. Nothing was recorded; the event cannot ever apply (term it). */
  | { outcome: 'job_not_found' }
  /** This event key was already recorded and projected; nothing changed. */
  | { outcome: 'duplicate'; job: JobRecord }
  | {
      outcome: 'applied';
      /** The job after the event. */
      job: JobRecord;
      /** Whether the jobs row changed. */
      changed: boolean;
      /**
       * The terminal status this event moved the job into, or null. 'completed'
       * here with a non-`completed` event means the projection decided
       * completion: the caller publishes the `completed` event.
       */
      becameTerminal: TerminalStatus | null;
    };

/**
 * The status service's write path into `jobs`: one transaction per event.
 *
 * 1. lock the job row;
 * 2. record the event in job_events, once per event key; a repeat stops here;
 * 3. for `frames` and `extracted`, count frame_results (under the lock, so the
 *    count includes every result committed before the event was handled);
 * 4. decide the change (./projection.ts: the rules, completion, forward-only);
 * 5. write the changed columns and updated_at.
 *
 * An unreachable database surfaces as DomainError('DATABASE_UNAVAILABLE').
 */
@Injectable()
export class ProjectionStore {
  constructor(private readonly jobs: JobsRepository) {}

  /**
   * @param eventKey dedup key, unique per job: use the message's Nats-Msg-Id
   *   (or the stream sequence when it has none), so a redelivery is projected once.
   */
  async applyEvent(event: JobEvent, eventKey: string): Promise<ApplyEventResult> {
    const res = await this.jobs.withLockedJob(event.job_id, async (locked): Promise<ApplyEventResult> => {
      const { job } = locked;
      const recorded = await locked.recordEvent(eventKey, event.type, event, new Date(event.at));
      if (!recorded) return { outcome: 'duplicate', job };

      const counts = event.type === 'frames' || event.type === 'extracted' ? await locked.countFrames() : null;
      const changes = decide(job, event, counts);
      if (Object.keys(changes).length === 0) return { outcome: 'applied', job, changed: false, becameTerminal: null };

      const updated = await locked.update(changes);
      const becameTerminal =
        changes.status === 'completed' || changes.status === 'failed' || changes.status === 'cancelled' ? changes.status : null;
      return { outcome: 'applied', job: updated, changed: true, becameTerminal };
    });
    return res ?? { outcome: 'job_not_found' };
  }
}
