import type { DataSource } from 'typeorm';
import type { ErrorCode, JobEvent, JobStatus, VideoMetadata } from '@framewire/contracts';
import { countFrames } from './frame-results.repository';
import { appendEvent } from './job-events.repository';
import { getJob } from './jobs.repository';
import { toJobRecord } from './records';
import type { FrameCounts, JobRecord } from './records';
import { inTransaction } from './sql';
import type { Sql } from './sql';

/** The part of a job the projection reads and writes. A JobRecord is one. */
export interface JobProjectionState {
  status: JobStatus;
  video: VideoMetadata | null;
  frames_total: number | null;
  frames_done: number;
  frames_failed: number;
  error_code: ErrorCode | null;
  error_message: string | null;
  started_at: Date | null;
  extracted_at: Date | null;
  finished_at: Date | null;
}

export type JobPatch = Partial<JobProjectionState>;

/**
 * The pure rules, owned by the status service and handed to the store (libs
 * do not import apps).
 */
export interface ProjectionRules {
  /**
   * The change `event` makes to `state`. `counts` are frame_results' counts,
   * read under the job's row lock, for `frames` and `extracted` events; null
   * for the others.
   */
  project(state: JobProjectionState, event: JobEvent, counts: FrameCounts | null): JobPatch;
  /** Whether the job, in this state, is done and should become `completed`. */
  shouldComplete(state: JobProjectionState): boolean;
}

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
       * here with a non-`completed` event means the store decided completion: the
       * caller publishes the `completed` event.
       */
      becameTerminal: TerminalStatus | null;
    };

const SCALAR_COLUMNS = [
  'status',
  'frames_total',
  'frames_done',
  'frames_failed',
  'error_code',
  'error_message',
  'started_at',
  'extracted_at',
  'finished_at',
] as const satisfies readonly (keyof JobProjectionState)[];

const VIDEO_COLUMNS = ['duration_ms', 'fps', 'width', 'height', 'codec', 'frame_count'] as const satisfies readonly (keyof VideoMetadata)[];

const STATUS_RANK: Record<JobStatus, number> = { pending: 0, running: 1, completed: 2, failed: 2, cancelled: 2 };

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  const va = a as Record<string, unknown>;
  const vb = b as Record<string, unknown>;
  return VIDEO_COLUMNS.every((k) => va[k] === vb[k]);
}

/** The entries of `patch` that differ from `state`. */
export function effectivePatch(state: JobProjectionState, patch: JobPatch): JobPatch {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!sameValue(state[key as keyof JobProjectionState], value)) out[key] = value;
  }
  return out;
}

function latest(...dates: (Date | null)[]): Date {
  return new Date(Math.max(...dates.filter((d): d is Date => d !== null).map((d) => d.getTime())));
}

async function updateJob(sql: Sql, id: string, patch: JobPatch): Promise<JobRecord> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  const set = (column: string, value: unknown) => {
    params.push(value);
    sets.push(`"${column}" = $${params.length}`);
  };
  for (const column of SCALAR_COLUMNS) if (patch[column] !== undefined) set(column, patch[column]);
  if (patch.video !== undefined) {
    for (const column of VIDEO_COLUMNS) set(column, patch.video === null ? null : patch.video[column]);
  }
  const { rows } = await sql.query(`UPDATE "jobs" SET ${sets.join(', ')}, "updated_at" = now() WHERE "id" = $1 RETURNING *`, params);
  const row = rows[0];
  if (!row) throw new Error(`job ${id} vanished while locked`);
  return toJobRecord(row);
}

/**
 * The status service's write path into `jobs`: one transaction per event.
 *
 * 1. lock the job row (FOR NO KEY UPDATE: serialises projections of one job
 *    without blocking the persister's frame_results inserts, whose foreign-key
 *    checks take KEY SHARE on the same row);
 * 2. record the event in job_events, once per event key; a repeat stops here;
 * 3. for `frames` and `extracted`, count frame_results (under the lock, so the
 *    count includes every result committed before the event was handled);
 * 4. apply the rules' patch, then complete the job if the rules say so;
 * 5. write the changed columns and updated_at.
 *
 * An unreachable database surfaces as DomainError('DATABASE_UNAVAILABLE').
 */
export class ProjectionStore {
  constructor(
    private readonly ds: DataSource,
    private readonly rules: ProjectionRules,
  ) {}

  /**
   * @param eventKey dedup key, unique per job: use the message's Nats-Msg-Id
   *   (or the stream sequence when it has none), so a redelivery is projected once.
   */
  applyEvent(event: JobEvent, eventKey: string): Promise<ApplyEventResult> {
    return inTransaction(this.ds, async (sql): Promise<ApplyEventResult> => {
      const job = await getJob(sql, event.job_id, true);
      if (!job) return { outcome: 'job_not_found' };

      const at = new Date(event.at);
      const recorded = await appendEvent(sql, job.id, eventKey, event.type, event, at);
      if (!recorded) return { outcome: 'duplicate', job };

      const counts = event.type === 'frames' || event.type === 'extracted' ? await countFrames(sql, job.id) : null;
      const patch: JobPatch = { ...this.rules.project(job, event, counts) };
      const next: JobProjectionState = { ...job, ...patch };
      if (this.rules.shouldComplete(next)) {
        patch.status = 'completed';
        patch.finished_at = latest(at, next.started_at, next.extracted_at);
      }

      // Whatever the rules say, the stored status only moves forward.
      if (patch.status !== undefined && STATUS_RANK[patch.status] <= STATUS_RANK[job.status]) delete patch.status;

      const changes = effectivePatch(job, patch);
      if (Object.keys(changes).length === 0) return { outcome: 'applied', job, changed: false, becameTerminal: null };

      const updated = await updateJob(sql, job.id, changes);
      const becameTerminal =
        changes.status === 'completed' || changes.status === 'failed' || changes.status === 'cancelled' ? changes.status : null;
      return { outcome: 'applied', job: updated, changed: true, becameTerminal };
    });
  }
}
