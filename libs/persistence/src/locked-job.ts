import type { DataSource } from 'typeorm';
import type { ErrorCode, JobEventType, JobStatus, VideoMetadata } from '@framewire/contracts';
import { countFrames } from './frame-results.repository';
import { appendEvent } from './job-events.repository';
import { toJobRecord } from './records';
import type { FrameCounts, JobRecord } from './records';
import { inTransaction } from './sql';
import type { Sql } from './sql';

/** The columns of a job the status projection reads and writes. A JobRecord is one. */
export interface JobProjectionState {
  status: JobStatus;
  video: VideoMetadata | null;
  frames_total: number | null;
  frames_done: number;
  frames_failed: number;
  frames_reused: number;
  error_code: ErrorCode | null;
  error_message: string | null;
  started_at: Date | null;
  extracted_at: Date | null;
  finished_at: Date | null;
}

export type JobPatch = Partial<JobProjectionState>;

/**
 * One job, its row locked for the rest of a transaction. Storage only: what to
 * write is the status service's decision (apps/status/src/projection.ts).
 */
export interface LockedJob {
  /** The row as read under the lock. */
  readonly job: JobRecord;
  /** Records the event in job_events once per event key; false when that key was already recorded. */
  recordEvent(eventKey: string, type: JobEventType, payload: unknown, occurredAt: Date): Promise<boolean>;
  /** frame_results' counts, read under the lock. */
  countFrames(): Promise<FrameCounts>;
  /** Writes the patch's columns and updated_at; returns the row after. */
  update(patch: JobPatch): Promise<JobRecord>;
}

const SCALAR_COLUMNS = [
  'status',
  'frames_total',
  'frames_done',
  'frames_failed',
  'frames_reused',
  'error_code',
  'error_message',
  'started_at',
  'extracted_at',
  'finished_at',
] as const satisfies readonly (keyof JobProjectionState)[];

const VIDEO_COLUMNS = ['duration_ms', 'fps', 'width', 'height', 'codec', 'frame_count'] as const satisfies readonly (keyof VideoMetadata)[];

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
 * Runs `fn` in one transaction with the job's row locked FOR NO KEY UPDATE
 * (serialises work on one job without blocking the persister's frame_results
 * inserts, whose foreign-key checks take KEY SHARE on the same row). Resolves
 * null, without calling `fn`, when no job has this id.
 */
export function withLockedJob<T>(ds: DataSource, id: string, fn: (locked: LockedJob) => Promise<T>): Promise<T | null> {
  return inTransaction(ds, async (sql) => {
    const { rows } = await sql.query(`SELECT * FROM "jobs" WHERE "id" = $1 FOR NO KEY UPDATE`, [id]);
    const row = rows[0];
    if (!row) return null;
    const job = toJobRecord(row);
    return fn({
      job,
      recordEvent: (eventKey, type, payload, occurredAt) => appendEvent(sql, job.id, eventKey, type, payload, occurredAt),
      countFrames: () => countFrames(sql, job.id),
      update: (patch) => updateJob(sql, job.id, patch),
    });
  });
}
