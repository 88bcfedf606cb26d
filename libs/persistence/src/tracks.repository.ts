import type { DataSource } from 'typeorm';
import { DomainError, UUID_ANY_CASE } from '@framewire/contracts';
import type { BBox, TextTrack, TrackBox } from '@framewire/contracts';
import { inTransaction, withConnection } from './sql';
import type { Row, Sql } from './sql';

/** Tracks per page at most (a track carries its box in every frame it was seen in). */
export const MAX_TRACKS_PAGE = 1000;

export interface ReplaceTracksOptions {
  /** Built once all of the job's frames were in: a later non-final build never replaces these. */
  final: boolean;
  /** How many frame results the tracks were built from. */
  framesSeen: number;
}

/** What the stored tracks of a job were built from. */
export interface TracksState {
  final: boolean;
  built_at: Date;
  /** Frame results the tracks were built from. */
  frames: number;
  /** Tracks stored. */
  tracks: number;
}

export interface TracksQuery {
  /** 1..MAX_TRACKS_PAGE */
  limit: number;
  /** Exclusive track_index; omit for the first page. */
  after?: number | null;
}

export interface TracksPage {
  items: TextTrack[];
  /** Pass as `after` for the next page; null on the last page. */
  next: number | null;
}

/** Columns of text_tracks, in the order the insert lists them. */
const TRACK_COLUMNS = [
  'track_index',
  'output',
  'kind',
  'text',
  'confidence',
  'start_ms',
  'end_ms',
  'first_frame',
  'last_frame',
  'frame_count',
  'bbox',
  'bbox_norm',
  'boxes',
] as const;

const RECORD_TYPES =
  '"track_index" int, "output" text, "kind" text, "text" text, "confidence" float8, "start_ms" float8, "end_ms" float8, ' +
  '"first_frame" int, "last_frame" int, "frame_count" int, "bbox" jsonb, "bbox_norm" jsonb, "boxes" jsonb';

const COLUMN_LIST = TRACK_COLUMNS.map((c) => `"${c}"`).join(', ');

function toTrack(row: Row): TextTrack {
  return {
    track_index: Number(row.track_index),
    output: row.output as string,
    kind: row.kind === 'region' ? 'region' : 'text',
    text: typeof row.text === 'string' ? row.text : null,
    confidence: Number(row.confidence),
    start_ms: Number(row.start_ms),
    end_ms: Number(row.end_ms),
    first_frame: Number(row.first_frame),
    last_frame: Number(row.last_frame),
    frame_count: Number(row.frame_count),
    bbox: row.bbox as BBox,
    bbox_norm: row.bbox_norm as BBox,
    boxes: row.boxes as TrackBox[],
  };
}

/**
 * A job's text tracks (built by the status service from its frame results)
 * and the state of their build. Rows go with the job: ON DELETE CASCADE, and
 * JobsRepository.deleteFinished deletes them by name.
 */
export class TracksRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Replaces the job's tracks with `tracks` and records the build, in one
   * transaction: idempotent (the same tracks give the same rows). Builds of
   * one job are serialised on its text_track_builds row. Returns false, and
   * writes nothing, when the job does not exist (deleted meanwhile), when
   * final tracks are stored and this build is not final, or when this
   * non-final build saw fewer frames than the stored one (an older build that
   * finished late).
   */
  async replaceForJob(jobId: string, tracks: readonly TextTrack[], opts: ReplaceTracksOptions): Promise<boolean> {
    if (!UUID_ANY_CASE.test(jobId)) return false;
    if (!Number.isInteger(opts.framesSeen) || opts.framesSeen < 0) {
      throw new DomainError('INVALID_ARGUMENT', 'framesSeen must be a non-negative integer');
    }
    const seen = new Set<number>();
    for (const t of tracks) {
      if (seen.has(t.track_index)) throw new DomainError('INVALID_ARGUMENT', `track_index ${t.track_index} appears twice`);
      seen.add(t.track_index);
    }
    return inTransaction(this.ds, async (sql) => {
      // KEY SHARE: the job cannot be deleted under us, and the projection's NO KEY UPDATE lock does not wait for us.
      const { rows: job } = await sql.query(`SELECT "id" FROM "jobs" WHERE "id" = $1 FOR KEY SHARE`, [jobId]);
      if (job.length === 0) return false;
      const previous = await lockBuild(sql, jobId);
      if (previous && !opts.final && (previous.final || previous.frames > opts.framesSeen)) return false;
      await sql.query(`DELETE FROM "text_tracks" WHERE "job_id" = $1`, [jobId]);
      if (tracks.length > 0) {
        const records = tracks.map((t) => Object.fromEntries(TRACK_COLUMNS.map((c) => [c, t[c]])));
        await sql.query(
          `INSERT INTO "text_tracks" ("job_id", ${COLUMN_LIST})
           SELECT $1, ${COLUMN_LIST} FROM jsonb_to_recordset($2::jsonb) AS r(${RECORD_TYPES})`,
          [jobId, JSON.stringify(records)],
        );
      }
      await sql.query(
        `UPDATE "text_track_builds" SET "final" = $2, "frames" = $3, "track_count" = $4, "built_at" = now() WHERE "job_id" = $1`,
        [jobId, opts.final, opts.framesSeen, tracks.length],
      );
      return true;
    });
  }

  /** Tracks in track_index order, keyset-paginated on it. */
  async page(jobId: string, query: TracksQuery): Promise<TracksPage> {
    const { limit } = query;
    if (!UUID_ANY_CASE.test(jobId)) return { items: [], next: null };
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TRACKS_PAGE) {
      throw new DomainError('INVALID_ARGUMENT', `limit must be an integer in 1..${MAX_TRACKS_PAGE}`);
    }
    const after = query.after ?? -1;
    if (!Number.isInteger(after)) throw new DomainError('INVALID_ARGUMENT', 'after must be an integer');
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query(
        `SELECT ${COLUMN_LIST} FROM "text_tracks" WHERE "job_id" = $1 AND "track_index" > $2
         ORDER BY "track_index" LIMIT $3`,
        [jobId, after, limit + 1],
      );
      const items = rows.slice(0, limit).map(toTrack);
      const last = items[items.length - 1];
      return { items, next: rows.length > limit && last ? last.track_index : null };
    });
  }

  /** Null until the job's tracks have been built once. */
  async state(jobId: string): Promise<TracksState | null> {
    if (!UUID_ANY_CASE.test(jobId)) return null;
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query<{ final: boolean; frames: number; track_count: number; built_at: Date }>(
        `SELECT "final", "frames", "track_count", "built_at" FROM "text_track_builds" WHERE "job_id" = $1 AND "frames" >= 0`,
        [jobId],
      );
      const row = rows[0];
      if (!row) return null;
      return { final: row.final, built_at: new Date(row.built_at), frames: Number(row.frames), tracks: Number(row.track_count) };
    });
  }
}

/**
 * The job's build row, locked for the rest of the transaction (created as a
 * placeholder with frames = -1 on the first build, so that two first builds
 * queue on it too). Null when there was no build before.
 */
async function lockBuild(sql: Sql, jobId: string): Promise<{ final: boolean; frames: number } | null> {
  await sql.query(
    `INSERT INTO "text_track_builds" ("job_id", "final", "frames", "track_count") VALUES ($1, false, -1, 0)
     ON CONFLICT ("job_id") DO NOTHING`,
    [jobId],
  );
  const { rows } = await sql.query<{ final: boolean; frames: number }>(
    `SELECT "final", "frames" FROM "text_track_builds" WHERE "job_id" = $1 FOR UPDATE`,
    [jobId],
  );
  const row = rows[0];
  if (!row || Number(row.frames) < 0) return null;
  return { final: row.final, frames: Number(row.frames) };
}
