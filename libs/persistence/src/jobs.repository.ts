import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DomainError, TERMINAL_STATUSES, UUID_ANY_CASE, type JobStatus } from '@framewire/contracts';
import { decodeJobCursor, encodeJobCursor } from './cursor';
import { sqlState } from './errors';
import { withLockedJob, type LockedJob } from './locked-job';
import { toJobRecord } from './records';
import { insertOutbox } from './outbox.repository';
import type { CreateJobInput, CreateJobResult, JobRecord, JobsPage, ListJobsQuery, OutgoingMessage } from './records';
import { inTransaction, withConnection } from './sql';
import type { Sql } from './sql';

export const MAX_LIST_LIMIT = 1000;

/** A probed job's range of video time in ms: [start_ms, end_ms) within [0, duration_ms] (see estimateSampledFrames in libs/media). */
const RANGE_MS = `GREATEST(0, LEAST(COALESCE(j."end_ms", j."duration_ms"), j."duration_ms") - COALESCE(j."start_ms", 0))`;
/** The share of a probed job's frames in its range (1 without a range, or when the duration is unknown). */
const RANGE_FRACTION = `(CASE WHEN (j."start_ms" IS NULL AND j."end_ms" IS NULL) OR COALESCE(j."duration_ms", 0) <= 0 THEN 1
                              ELSE ${RANGE_MS} / j."duration_ms" END)`;

/** created_at as microsecond UTC text, the cursor's own precision. */
const CURSOR_TS = `to_char("created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursor_ts"`;

/** Reads and creates jobs. Status changes belong to the status service (apps/status/src/projection-store.ts), through withLockedJob. */
export class JobsRepository {
  constructor(private readonly ds: DataSource) {}

  /** See {@link withLockedJob}: for the status projection only. */
  withLockedJob<T>(id: string, fn: (locked: LockedJob) => Promise<T>): Promise<T | null> {
    return withLockedJob(this.ds, id, fn);
  }

  /** How many jobs have each status (statuses without jobs are absent). */
  countByStatus(): Promise<Array<{ status: JobStatus; count: number }>> {
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query<{ status: JobStatus; count: number }>(
        `SELECT "status", count(*)::int AS "count" FROM "jobs" GROUP BY "status"`,
      );
      return rows;
    });
  }

  /**
   * Inserts a pending job. With an idempotency key that is already stored, the
   * existing job is returned instead (`created: false`), whatever its state; the
   * caller decides whether differing parameters are a conflict. A duplicate id
   * is DomainError('CONFLICT').
   *
   * `outbox` builds the job's outgoing messages from the inserted row; they are
   * written to the outbox in the same transaction, so the job never exists
   * without them (nothing is written for an existing job).
   */
  createPending(input: CreateJobInput, outbox?: (job: JobRecord) => OutgoingMessage[]): Promise<CreateJobResult> {
    return inTransaction(this.ds, async (sql) => {
      const id = input.id ?? randomUUID();
      const key = input.idempotency_key ?? null;
      let inserted;
      try {
        inserted = await sql.query(
          `INSERT INTO "jobs" ("id", "status", "pipeline_id", "pipeline_version", "models", "input_key",
             "input_size", "input_sha256", "frame_stride", "max_frames", "idempotency_key", "client_tag", "retention_days",
             "sample_fps", "start_ms", "end_ms", "callback_url", "reuse", "sample", "keyframe_count")
           VALUES ($1, 'pending', $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
           ON CONFLICT ("idempotency_key") WHERE "idempotency_key" IS NOT NULL DO NOTHING
           RETURNING *`,
          [
            id,
            input.pipeline_id,
            input.pipeline_version ?? null,
            input.models == null ? null : JSON.stringify(input.models),
            input.input_key,
            input.input_size,
            input.input_sha256,
            input.frame_stride,
            input.max_frames,
            key,
            input.client_tag ?? null,
            input.retention_days ?? null,
            input.sample_fps ?? null,
            input.start_ms ?? null,
            input.end_ms ?? null,
            input.callback_url ?? null,
            input.reuse ?? true,
            input.sample ?? 'frames',
            input.keyframe_count ?? null,
          ],
        );
      } catch (err) {
        if (sqlState(err) === '23505') {
          throw new DomainError('CONFLICT', `job ${id} already exists`, { cause: err });
        }
        throw err;
      }
      const row = inserted.rows[0];
      if (row) {
        const job = toJobRecord(row);
        return { job, created: true, outbox: outbox ? await insertOutbox(sql, job.id, outbox(job)) : [] };
      }
      // The key is taken. ON CONFLICT waited for the other insert to commit, so this statement sees it.
      const existing = await sql.query(`SELECT * FROM "jobs" WHERE "idempotency_key" = $1`, [key]);
      const found = existing.rows[0];
      if (!found) {
        throw new DomainError('CONFLICT', 'idempotency key was taken by a job that no longer exists; retry');
      }
      return { job: toJobRecord(found), created: false, outbox: [] };
    });
  }

  /**
   * Deletes a finished job's rows (frame_results, job_events, text tracks, jobs) in one
   * transaction, under the job's row lock: `not_terminal` (nothing deleted)
   * while it is pending or running, `not_found` when there is no such job.
   */
  async deleteFinished(id: string): Promise<'deleted' | 'not_found' | 'not_terminal'> {
    if (!UUID_ANY_CASE.test(id)) return 'not_found';
    return inTransaction(this.ds, async (sql) => {
      const { rows } = await sql.query<{ status: string }>(`SELECT "status" FROM "jobs" WHERE "id" = $1 FOR UPDATE`, [id]);
      const status = rows[0]?.status;
      if (status === undefined) return 'not_found';
      if (!TERMINAL_STATUSES.has(status as JobStatus)) return 'not_terminal';
      await sql.query(`DELETE FROM "frame_results" WHERE "job_id" = $1`, [id]);
      await sql.query(`DELETE FROM "job_events" WHERE "job_id" = $1`, [id]);
      await sql.query(`DELETE FROM "text_tracks" WHERE "job_id" = $1`, [id]);
      await sql.query(`DELETE FROM "text_track_builds" WHERE "job_id" = $1`, [id]);
      await sql.query(`DELETE FROM "jobs" WHERE "id" = $1`, [id]);
      return 'deleted';
    });
  }

  /**
   * Up to `limit` finished jobs whose retention has passed at `now`, oldest
   * first: finished (or, lacking that, last updated) more than their
   * `retention_days` ago, or `defaultDays` ago when they have none. With
   * `defaultDays` null, only jobs with their own retention expire.
   */
  async listExpired(now: Date, defaultDays: number | null, limit: number): Promise<string[]> {
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query<{ id: string }>(
        `SELECT "id" FROM "jobs"
         WHERE "status" IN ('completed', 'failed', 'cancelled')
           AND COALESCE("finished_at", "updated_at") + make_interval(days => COALESCE("retention_days", $2::integer)) <= $1::timestamptz
         ORDER BY COALESCE("finished_at", "updated_at"), "id"
         LIMIT $3`,
        [now.toISOString(), defaultDays, limit],
      );
      return rows.map((r) => r.id);
    });
  }

  /**
   * Runs `fn` while holding the session-level advisory lock `key` (a bigint, as text) on a
   * connection of its own, or returns `{ ran: false }` at once when another
   * session holds it. A lost connection releases the lock with it.
   */
  async withExclusiveLock<T>(key: string, fn: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1::bigint) AS "locked"`, [key]);
      if (!rows[0]?.locked) return { ran: false };
      const unlock = () => sql.query(`SELECT pg_advisory_unlock($1::bigint)`, [key]);
      let result: T;
      try {
        result = await fn();
      } catch (err) {
        // A lost connection makes the unlock fail too (and released the lock); the first error is the one that matters.
        await unlock().catch(() => undefined);
        throw err;
      }
      await unlock();
      return { ran: true, result };
    });
  }

  /** The job submitted with this idempotency key, or null. */
  /**
   * Admission control: an estimate of the frames the jobs that are not yet
   * extracted (pending, or running without frames_total) will still queue for
   * inference. A job the extractor has probed counts its sampled frames
   * (range duration × sample_fps, or its frames in range / stride, or the
   * keyframes in range intake counted, capped by
   * max_frames or `maxFramesPerJob`); a job
   * not yet probed counts the mean frames_total of the jobs completed in the
   * last hour (capped the same way; max_frames, or 0, when there is none).
   * Frames already done or failed are subtracted; frames already queued for
   * inference are not (the consumer counts them), so a job being extracted
   * right now counts its frames in flight twice (at most the extractor's
   * FW_JOB_FRAMES_IN_FLIGHT): the estimate errs on the busy side.
   */
  async framesNotYetExtracted(maxFramesPerJob: number): Promise<number> {
    return withConnection(this.ds, async (sql) => {
      const res = await sql.query<{ frames: number }>(
        `WITH "recent" AS (
           SELECT avg("frames_total")::float8 AS "mean" FROM "jobs"
            WHERE "status" = 'completed' AND "frames_total" IS NOT NULL AND "finished_at" > now() - interval '1 hour'
         )
         SELECT COALESCE(SUM(GREATEST(0,
                  CASE WHEN j."keyframe_count" IS NOT NULL
                       THEN LEAST(j."keyframe_count", COALESCE(j."max_frames", $1))
                       WHEN j."sample_fps" IS NOT NULL AND j."duration_ms" IS NOT NULL
                       THEN LEAST(CEIL(${RANGE_MS} / 1000.0 * j."sample_fps"), COALESCE(j."max_frames", $1))
                       WHEN j."frame_count" IS NOT NULL
                       THEN LEAST(CEIL(j."frame_count"::float8 * ${RANGE_FRACTION} / j."frame_stride"), COALESCE(j."max_frames", $1))
                       ELSE LEAST(COALESCE(j."max_frames", $1), COALESCE((SELECT "mean" FROM "recent"), j."max_frames", 0))
                  END - j."frames_done" - j."frames_failed")), 0)::float8 AS "frames"
           FROM "jobs" j
          WHERE j."status" = 'pending' OR (j."status" = 'running' AND j."frames_total" IS NULL)`,
        [maxFramesPerJob],
      );
      return Number(res.rows[0]?.frames ?? 0);
    });
  }

  async findByIdempotencyKey(key: string): Promise<JobRecord | null> {
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query(`SELECT * FROM "jobs" WHERE "idempotency_key" = $1`, [key]);
      const row = rows[0];
      return row ? toJobRecord(row) : null;
    });
  }

  /** The job, or null when there is none (including ids that are not uuids). */
  async get(id: string): Promise<JobRecord | null> {
    if (!UUID_ANY_CASE.test(id)) return null;
    return withConnection(this.ds, (sql) => getJob(sql, id));
  }

  /** Newest first, keyset-paginated on (created_at, id): no gaps or repeats while jobs are being added. */
  async list(query: ListJobsQuery): Promise<JobsPage> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be an integer in 1..${MAX_LIST_LIMIT}`);
    }
    const cursor = query.cursor ? decodeJobCursor(query.cursor) : null;
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      params.push(query.status);
      where.push(`"status" = $${params.length}`);
    }
    if (cursor) {
      params.push(cursor.created_at, cursor.id);
      where.push(`("created_at", "id") < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const text =
      `SELECT *, ${CURSOR_TS} FROM "jobs"` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY "created_at" DESC, "id" DESC LIMIT $${params.length}`;
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query(text, params);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toJobRecord),
        next_cursor: rows.length > limit && last ? encodeJobCursor({ created_at: String(last.cursor_ts), id: String(last.id) }) : null,
      };
    });
  }
}

async function getJob(sql: Sql, id: string): Promise<JobRecord | null> {
  const { rows } = await sql.query(`SELECT * FROM "jobs" WHERE "id" = $1`, [id]);
  const row = rows[0];
  return row ? toJobRecord(row) : null;
}
