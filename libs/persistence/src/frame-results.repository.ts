import type { DataSource } from 'typeorm';
import { DomainError, UUID_ANY_CASE } from '@framewire/contracts';
import { toFrameResultRecord } from './records';
import type { FrameCounts, FrameResultInput, FrameResultsPage, FrameResultsQuery } from './records';
import { inTransaction, withConnection } from './sql';
import type { Sql } from './sql';

export const MAX_RESULTS_PAGE = 10_000;

/** A job's frame progress: results without an error, with one, and the sampled total (null until extraction ends). */
export interface JobProgress {
  done: number;
  failed: number;
  total: number | null;
}

/**
 * Rows per statement. The rows travel as one jsonb parameter whatever their
 * count, so Postgres' 65535-parameter limit never applies; the cap only bounds
 * the size of one statement. A larger batch is split and written in one
 * transaction.
 */
export const UPSERT_CHUNK_ROWS = 5000;

/** A frame's pipeline time: the sum of the numbers in its timings_ms (one per node; the nodes run one after another). */
const FRAME_MS = (timings: string) =>
  `(SELECT coalesce(sum(t."value"::float8), 0) FROM jsonb_each(${timings}) t WHERE jsonb_typeof(t."value") = 'number')`;

/** The row columns of an upsert's source, in the table's order. */
const ROW_COLUMNS = '"job_id", "frame_index", "pts_ms", "result", "error", "timings_ms", "worker_id", "geometry", "reused_from"';
/**
 * The batch as rows: $1 is one JSON array of row objects (rowsParam), a JSON
 * null field (or a missing one) is SQL NULL. One parameter serialised with one
 * JSON.stringify, where per-column arrays made pg escape every jsonb element
 * into an array literal and Postgres parse it twice (array, then jsonb).
 */
const ROWS_FROM_JSON =
  'jsonb_to_recordset($1::jsonb) AS i("job_id" uuid, "frame_index" int, "pts_ms" float8, "result" jsonb, "error" text, "timings_ms" jsonb, "worker_id" text, "geometry" jsonb, "reused_from" int)';
/** What is inserted: the source's columns, and a reused row is pending until its anchor's result is copied in (resolveReused). */
const INSERT_COLUMNS = `${ROW_COLUMNS}, "reuse_pending"`;
const INSERT_VALUES = `${ROW_COLUMNS}, "reused_from" IS NOT NULL`;

/**
 * Write the rows of `source` on (job_id, frame_index). On conflict the newer
 * write wins, except that an error never replaces a stored success: a
 * redelivered frame whose rerun failed keeps its result.
 */
const UPSERT_FROM = (source: string) => `
  INSERT INTO "frame_results" AS fr (${INSERT_COLUMNS})
  ${source}
  ON CONFLICT ("job_id", "frame_index") DO UPDATE SET
    "pts_ms" = EXCLUDED."pts_ms",
    "result" = EXCLUDED."result",
    "error" = EXCLUDED."error",
    "timings_ms" = EXCLUDED."timings_ms",
    "worker_id" = EXCLUDED."worker_id",
    "geometry" = EXCLUDED."geometry",
    "reused_from" = EXCLUDED."reused_from",
    "reuse_pending" = EXCLUDED."reuse_pending",
    "updated_at" = now()
  WHERE EXCLUDED."error" IS NULL OR fr."error" IS NOT NULL`;

const UPSERT_ROWS = UPSERT_FROM(`SELECT ${INSERT_VALUES} FROM ${ROWS_FROM_JSON}`);

/**
 * The same upsert, which in the same statement keeps jobs.inference_ms equal
 * to the sum of the stored rows' pipeline time: it adds, per job, what the
 * written rows bring minus what they replace (`old` is read in the
 * statement's snapshot, before the insert), so a redelivered frame is never
 * counted twice. Exact as long as writers of one job are serialised, which the
 * job row lock that upsertBatchWithProgress takes first guarantees.
 */
const UPSERT_ROWS_TIMED = `
  WITH "input" AS (
    SELECT ${ROW_COLUMNS} FROM ${ROWS_FROM_JSON}
  ), "old" AS (
    SELECT fr."job_id", fr."frame_index", fr."timings_ms"
    FROM "frame_results" fr JOIN "input" i ON fr."job_id" = i."job_id" AND fr."frame_index" = i."frame_index"
  ), "up" AS (${UPSERT_FROM(`SELECT ${INSERT_VALUES} FROM "input"`)}
    RETURNING fr."job_id", fr."frame_index", fr."timings_ms"
  ), "delta" AS (
    SELECT up."job_id", sum(${FRAME_MS('up."timings_ms"')} - coalesce(${FRAME_MS('old."timings_ms"')}, 0)) AS "ms"
    FROM "up" LEFT JOIN "old" ON old."job_id" = up."job_id" AND old."frame_index" = up."frame_index"
    GROUP BY up."job_id"
  ), "timed" AS (
    UPDATE "jobs" j SET "inference_ms" = greatest(0, j."inference_ms" + d."ms")
    FROM "delta" d WHERE j."id" = d."job_id" AND d."ms" <> 0
    RETURNING j."id"
  )
  SELECT (SELECT count(*) FROM "up")::int AS "written"`;

/**
 * One statement cannot touch a row twice (ON CONFLICT DO UPDATE refuses), and a
 * batch may hold a redelivered frame twice: keep the last occurrence. Sorting
 * by key makes concurrent batches lock rows in the same order (no deadlocks).
 */
export function normaliseBatch(rows: readonly FrameResultInput[]): FrameResultInput[] {
  const byKey = new Map<string, FrameResultInput>();
  for (const row of rows) byKey.set(`${row.job_id}\u0000${row.frame_index}`, row);
  return [...byKey.values()].sort((a, b) => (a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : a.frame_index - b.frame_index));
}

/**
 * JSON text of `value` without U+0000 in any string, key or value: Postgres
 * refuses it in jsonb and text, and one model output must never fail a whole
 * batch of other jobs' rows. The check is a scan of the text the upsert sends
 * anyway (JSON.stringify writes U+0000 as \u0000); an escaped backslash before
 * "u0000" (the six characters, not a NUL) stays.
 */
export function jsonWithoutNul(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.includes('\\u0000') ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1') : text;
}

/** The one parameter of the upserts: the rows as a JSON array (a null or absent `result`/`geometry` is SQL NULL), without NULs. */
function rowsParam(rows: readonly FrameResultInput[]): string {
  return jsonWithoutNul(
    rows.map((r) => ({
      job_id: r.job_id,
      frame_index: r.frame_index,
      pts_ms: r.pts_ms,
      result: r.result ?? null,
      error: r.error,
      timings_ms: r.timings_ms,
      worker_id: r.worker_id,
      geometry: r.geometry ?? null,
      reused_from: r.reused_from ?? null,
    })),
  );
}

/**
 * Temporal reuse, order-independent: a reused row carries its anchor's
 * result, error and geometry. The extractor sends a reused frame straight to
 * the persister, usually before the models have finished its anchor, so
 * either row may land first, in any batch, on any replica. After every
 * upsert, in the same transaction and under the job row locks that serialise
 * one job's writers, this statement copies the anchor into:
 * - the reused rows just written whose anchor is stored (and not itself pending), and
 * - the reused rows of the anchors just written (a rerun anchor updates them too).
 * Whichever of the two rows commits second therefore sees the first and fills
 * the reused one: nothing waits, nothing is retried, a redelivery rewrites the
 * same values. Until then a reused row is `reuse_pending` and counts as
 * neither done nor failed, so a job cannot complete before every reused row
 * is filled (its anchor is one of its frames and must land first).
 */
const RESOLVE_REUSED = `
  WITH "k" AS (
    SELECT * FROM unnest($1::uuid[], $2::int[]) AS k("job_id", "frame_index")
  ), "pairs" AS (
    SELECT r."job_id", r."frame_index", a."result", a."error", a."geometry"
    FROM "k" JOIN "frame_results" r ON r."job_id" = k."job_id" AND r."frame_index" = k."frame_index"
    JOIN "frame_results" a ON a."job_id" = r."job_id" AND a."frame_index" = r."reused_from" AND NOT a."reuse_pending"
    UNION ALL
    SELECT r."job_id", r."frame_index", a."result", a."error", a."geometry"
    FROM "k" JOIN "frame_results" a ON a."job_id" = k."job_id" AND a."frame_index" = k."frame_index" AND NOT a."reuse_pending"
    JOIN "frame_results" r ON r."job_id" = a."job_id" AND r."reused_from" = a."frame_index"
  )
  UPDATE "frame_results" fr SET
    "result" = p."result", "error" = p."error", "geometry" = p."geometry", "reuse_pending" = false, "updated_at" = now()
  FROM "pairs" p WHERE fr."job_id" = p."job_id" AND fr."frame_index" = p."frame_index"`;

async function resolveReused(sql: Sql, rows: readonly FrameResultInput[]): Promise<void> {
  await sql.query(RESOLVE_REUSED, [rows.map((r) => r.job_id), rows.map((r) => r.frame_index)]);
}

async function upsertRows(sql: Sql, rows: readonly FrameResultInput[]): Promise<number> {
  const { rowCount } = await sql.query(UPSERT_ROWS, [rowsParam(rows)]);
  return rowCount;
}

/** The upsert that also adds the rows' pipeline time to their jobs' inference_ms; run it under the jobs' row locks. */
async function upsertRowsTimed(sql: Sql, rows: readonly FrameResultInput[]): Promise<number> {
  const { rows: out } = await sql.query<{ written: number }>(UPSERT_ROWS_TIMED, [rowsParam(rows)]);
  return out[0]?.written ?? 0;
}

/** Lock the batch's job rows in id order (the lock the status projection takes); returns what they hold. */
async function lockJobs(sql: Sql, batch: readonly FrameResultInput[]): Promise<Array<{ id: string; frames_total: number | null }>> {
  const jobIds = [...new Set(batch.map((r) => r.job_id))].sort();
  const { rows } = await sql.query<{ id: string; frames_total: number | null }>(
    `SELECT "id", "frames_total" FROM "jobs" WHERE "id" = ANY($1::uuid[]) ORDER BY "id" FOR NO KEY UPDATE`,
    [jobIds],
  );
  return rows;
}

export class FrameResultsRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Idempotent batch upsert on (job_id, frame_index): one
   * INSERT ... SELECT FROM jsonb_to_recordset($1) ON CONFLICT DO UPDATE statement (per
   * chunk of UPSERT_CHUNK_ROWS). Returns the rows inserted or updated. Rows
   * only: it takes no job row lock and leaves jobs.inference_ms alone (the
   * persister writes with upsertBatchWithProgress, which keeps it). Nor does
   * it fill reused rows from their anchors (RESOLVE_REUSED needs the job row
   * locks): rows written here are taken as they are.
   *
   * History: unnest() of 8 per-column arrays beat a multi-row VALUES list
   * (500 rows: ~16 ms against ~20 ms, local Postgres 15; a constant statement
   * text); one jsonb parameter replaced the arrays (README, Performance).
   */
  async upsertBatch(rows: readonly FrameResultInput[]): Promise<number> {
    const batch = normaliseBatch(rows);
    if (batch.length === 0) return 0;
    if (batch.length <= UPSERT_CHUNK_ROWS) return withConnection(this.ds, (sql) => upsertRows(sql, batch));
    return inTransaction(this.ds, async (sql) => {
      let written = 0;
      for (let i = 0; i < batch.length; i += UPSERT_CHUNK_ROWS) {
        written += await upsertRows(sql, batch.slice(i, i + UPSERT_CHUNK_ROWS));
      }
      return written;
    });
  }

  /**
   * The same upsert, and each job's progress as it stands once the batch is in:
   * its frame counts and sampled total, read in the upsert's transaction under
   * the job row's lock (FOR NO KEY UPDATE, the lock the status projection
   * takes). Writers of one job's progress are therefore serialised with each
   * other and with the projection: whichever comes second sees what the first
   * committed, so the batch that completes a job always knows it (its counts
   * reach the total), or the projection of `extracted` counts its rows. Rows are
   * locked in id order (no deadlocks between replicas). The rows of a job
   * without a row (unknown, or deleted) are skipped, not written, and the job
   * is absent from the map: the lock keeps a job from being deleted between
   * the check and the insert, so no foreign-key error can fail the batch.
   * The upsert adds the rows' pipeline time to their jobs' inference_ms.
   */
  async upsertBatchWithProgress(rows: readonly FrameResultInput[]): Promise<Map<string, JobProgress>> {
    const batch = normaliseBatch(rows);
    const progress = new Map<string, JobProgress>();
    if (batch.length === 0) return progress;
    return inTransaction(this.ds, async (sql) => {
      const locked = await lockJobs(sql, batch);
      const known = new Set(locked.map((j) => j.id));
      const rowsOfKnown = batch.filter((r) => known.has(r.job_id.toLowerCase()));
      for (let i = 0; i < rowsOfKnown.length; i += UPSERT_CHUNK_ROWS) {
        await upsertRowsTimed(sql, rowsOfKnown.slice(i, i + UPSERT_CHUNK_ROWS));
      }
      for (let i = 0; i < rowsOfKnown.length; i += UPSERT_CHUNK_ROWS) {
        await resolveReused(sql, rowsOfKnown.slice(i, i + UPSERT_CHUNK_ROWS));
      }
      const counts = await countFramesOf(
        sql,
        locked.map((j) => j.id),
      );
      for (const job of locked) {
        const c = counts.get(job.id) ?? { done: 0, failed: 0 };
        progress.set(job.id, { done: c.done, failed: c.failed, total: job.frames_total === null ? null : Number(job.frames_total) });
      }
      return progress;
    });
  }

  /** Results in frame order, keyset-paginated on frame_index. */
  async page(jobId: string, query: FrameResultsQuery): Promise<FrameResultsPage> {
    const { limit } = query;
    if (!UUID_ANY_CASE.test(jobId)) return { items: [], next_after_frame_index: null };
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS_PAGE) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be an integer in 1..${MAX_RESULTS_PAGE}`);
    }
    const after = query.afterFrameIndex ?? -1;
    if (!Number.isInteger(after)) {
      throw new DomainError('INVALID_ARGUMENT', 'afterFrameIndex must be an integer');
    }
    return withConnection(this.ds, async (sql) => {
      // A reused row still waiting for its anchor's result is not shown yet (it has none).
      const { rows } = await sql.query(
        `SELECT * FROM "frame_results" WHERE "job_id" = $1 AND "frame_index" > $2 AND NOT "reuse_pending"
         ORDER BY "frame_index" LIMIT $3`,
        [jobId, after, limit + 1],
      );
      const items = rows.slice(0, limit).map(toFrameResultRecord);
      const last = items[items.length - 1];
      return { items, next_after_frame_index: rows.length > limit && last ? last.frame_index : null };
    });
  }

  /** done = rows without an error, failed = rows with one; a reused row waiting for its anchor is neither. */
  async counts(jobId: string): Promise<FrameCounts> {
    if (!UUID_ANY_CASE.test(jobId)) return { done: 0, failed: 0 };
    return withConnection(this.ds, (sql) => countFrames(sql, jobId));
  }
}

/** Shared with withLockedJob. */
export async function countFrames(sql: Sql, jobId: string): Promise<FrameCounts> {
  const { rows } = await sql.query<{ done: number; failed: number }>(
    `SELECT count(*) FILTER (WHERE "error" IS NULL AND NOT "reuse_pending")::int AS "done",
            count(*) FILTER (WHERE "error" IS NOT NULL)::int AS "failed"
     FROM "frame_results" WHERE "job_id" = $1`,
    [jobId],
  );
  const row = rows[0];
  return { done: row?.done ?? 0, failed: row?.failed ?? 0 };
}

/** frame_results' counts of several jobs in one statement (a job without rows is absent). */
async function countFramesOf(sql: Sql, jobIds: readonly string[]): Promise<Map<string, FrameCounts>> {
  const out = new Map<string, FrameCounts>();
  if (jobIds.length === 0) return out;
  const { rows } = await sql.query<{ job_id: string; done: number; failed: number }>(
    `SELECT "job_id",
            count(*) FILTER (WHERE "error" IS NULL AND NOT "reuse_pending")::int AS "done",
            count(*) FILTER (WHERE "error" IS NOT NULL)::int AS "failed"
     FROM "frame_results" WHERE "job_id" = ANY($1::uuid[]) GROUP BY "job_id"`,
    [jobIds],
  );
  for (const r of rows) out.set(r.job_id, { done: r.done, failed: r.failed });
  return out;
}
