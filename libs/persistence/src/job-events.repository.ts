import type { DataSource } from 'typeorm';
import { UUID_ANY_CASE, type JobEventType } from '@framewire/contracts';
import { toJobEventRecord } from './records';
import type { JobEventRecord } from './records';
import { withConnection } from './sql';
import type { Sql } from './sql';

/** A job's timeline as projected. Writes normally go through the status projection (JobsRepository.withLockedJob), in its's transaction. */
export class JobEventsRepository {
  constructor(private readonly ds: DataSource) {}

  /** Records the event once per (job, eventKey). Returns false when it was already recorded. */
  append(jobId: string, eventKey: string, type: JobEventType, payload: unknown, occurredAt: Date): Promise<boolean> {
    return withConnection(this.ds, (sql) => appendEvent(sql, jobId, eventKey, type, payload, occurredAt));
  }

  /** Oldest first by when the events happened, then by when they were recorded. */
  async list(jobId: string): Promise<JobEventRecord[]> {
    if (!UUID_ANY_CASE.test(jobId)) return [];
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query(`SELECT * FROM "job_events" WHERE "job_id" = $1 ORDER BY "occurred_at", "id"`, [jobId]);
      return rows.map(toJobEventRecord);
    });
  }
}

/** Shared with withLockedJob. A job that does not exist is a foreign-key violation (23503). */
export async function appendEvent(
  sql: Sql,
  jobId: string,
  eventKey: string,
  type: JobEventType,
  payload: unknown,
  occurredAt: Date,
): Promise<boolean> {
  const { rowCount } = await sql.query(
    `INSERT INTO "job_events" ("job_id", "event_key", "type", "payload", "occurred_at")
     VALUES ($1, $2, $3, $4::jsonb, $5)
     ON CONFLICT ("job_id", "event_key") DO NOTHING`,
    [jobId, eventKey, type, JSON.stringify(payload ?? null), occurredAt],
  );
  return rowCount === 1;
}
