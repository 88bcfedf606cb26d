import { ERROR_CODES, JOB_STATUSES } from '@framewire/contracts';
import type { ErrorCode, FrameGeometry, JobEventType, JobStatus, SampleMode, VideoMetadata } from '@framewire/contracts';

/**
 * What the repositories hand out: plain, typed, snake_case records shaped like
 * the contracts. No entity leaves this lib.
 */

export interface ModelRef {
  name: string;
  sha256: string;
}

export interface JobRecord {
  id: string;
  status: JobStatus;
  pipeline_id: string;
  pipeline_version: string | null;
  models: ModelRef[] | null;
  input_key: string;
  input_size: number;
  input_sha256: string;
  frame_stride: number;
  max_frames: number | null;
  /** Frames per second of video time (sampling by time); null: by frame_stride. */
  sample_fps: number | null;
  /** The range of video time asked for, [start_ms, end_ms) by frame pts; null: from the start / to the end. */
  start_ms: number | null;
  end_ms: number | null;
  /** `keyframes`: only the keyframes are decoded and analysed; `frames`: every frame, sampled by frame_stride or sample_fps. */
  sample: SampleMode;
  /** The keyframes in range, as intake counted them (keyframe jobs only); null otherwise. */
  keyframe_count: number | null;
  /** Null until the extractor has probed the video. */
  video: VideoMetadata | null;
  /** Null until extraction has ended. */
  frames_total: number | null;
  frames_done: number;
  frames_failed: number;
  /** Whether temporal reuse was allowed; frames_reused: sampled frames whose result was reused (known once extracted). */
  reuse: boolean;
  frames_reused: number;
  /** Pipeline time of the stored frame results (the sum of their timings_ms), in ms; 0 before the first. */
  inference_ms: number;
  error_code: ErrorCode | null;
  error_message: string | null;
  idempotency_key: string | null;
  client_tag: string | null;
  /** Days the job is kept once finished; null: the deployment's default (FW_RETENTION_DAYS). */
  retention_days: number | null;
  /** Where the job's terminal states are POSTed (webhooks); null: none. */
  callback_url: string | null;
  created_at: Date;
  started_at: Date | null;
  extracted_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export interface CreateJobInput {
  /** Defaults to a random uuid; intake may choose it up front to key the upload. */
  id?: string;
  pipeline_id: string;
  pipeline_version?: string | null;
  models?: ModelRef[] | null;
  input_key: string;
  input_size: number;
  input_sha256: string;
  frame_stride: number;
  max_frames: number | null;
  sample_fps?: number | null;
  /** Temporal reuse allowed (default true). */
  reuse?: boolean;
  start_ms?: number | null;
  end_ms?: number | null;
  sample?: SampleMode;
  keyframe_count?: number | null;
  idempotency_key?: string | null;
  client_tag?: string | null;
  retention_days?: number | null;
  callback_url?: string | null;
}

export interface CreateJobResult {
  job: JobRecord;
  /** False when a job with the same idempotency key already existed; `job` is that job. */
  created: boolean;
  /** The outbox rows written with the job, in publish order (none when `created` is false). */
  outbox: OutboxMessage[];
}

/** A message to publish, kept in the outbox until the stream has acknowledged it. */
export interface OutgoingMessage {
  subject: string;
  /** The Nats-Msg-Id. */
  msg_id: string;
  payload: Uint8Array;
  /** Header name → value, published as they are. */
  headers: Record<string, string>;
}

/** An outbox row: `id` (int8 as text) orders the messages of a job. */
export interface OutboxMessage extends OutgoingMessage {
  id: string;
  job_id: string;
}

export interface ListJobsQuery {
  status?: JobStatus;
  /** 1..1000 */
  limit: number;
  /** `next_cursor` of the previous page. */
  cursor?: string | null;
}

export interface JobsPage {
  items: JobRecord[];
  /** Null on the last page. */
  next_cursor: string | null;
}

/** One frame's outcome as the persister writes it (FrameResultV1 without `v`). */
export interface FrameResultInput {
  job_id: string;
  frame_index: number;
  pts_ms: number;
  /** The pipeline's JSON output; null when the frame failed. */
  result: unknown;
  error: string | null;
  timings_ms: Record<string, number>;
  worker_id: string;
  /** The analysed and source sizes (`result` is in source pixels); null or absent when unknown (older messages). */
  geometry?: FrameGeometry | null;
  /**
   * Temporal reuse: the anchor frame whose result this frame carries (the
   * models did not run on it). Written with no result of its own; the anchor's
   * result, error and geometry are copied in when both rows exist.
   */
  reused_from?: number | null;
}

export interface FrameResultRecord extends FrameResultInput {
  geometry: FrameGeometry | null;
  reused_from: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface FrameResultsQuery {
  /** Exclusive; omit for the first page. */
  afterFrameIndex?: number | null;
  /** 1..10000 */
  limit: number;
}

export interface FrameResultsPage {
  items: FrameResultRecord[];
  /** Pass as `afterFrameIndex` for the next page; null on the last page. */
  next_after_frame_index: number | null;
}

export interface FrameCounts {
  /** Rows without an error. */
  done: number;
  /** Rows with an error. */
  failed: number;
}

/** How one webhook attempt ended; `given_up`: FW_WEBHOOK_MAX_AGE ran out, no more attempts. */
export type WebhookOutcome = 'delivered' | 'failed' | 'given_up';

export interface WebhookDeliveryInput {
  job_id: string;
  /** The terminal status announced. */
  event: string;
  attempt: number;
  at: Date;
  outcome: WebhookOutcome;
  http_status: number | null;
  error: string | null;
  duration_ms: number | null;
}

export interface WebhookDeliveryRecord extends WebhookDeliveryInput {
  id: number;
}

export interface JobEventRecord {
  id: number;
  job_id: string;
  type: JobEventType;
  event_key: string;
  payload: unknown;
  occurred_at: Date;
  recorded_at: Date;
}

// ---------------------------------------------------------------------------
// Row mapping (internal)

type Row = Record<string, unknown>;

const STATUS_SET: ReadonlySet<string> = new Set(JOB_STATUSES);
const ERROR_CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return v.toString();
  throw new TypeError(`expected text from the database, got ${typeof v}`);
}
function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : str(v);
}
function dateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : v instanceof Date ? v : new Date(str(v));
}

export function toJobRecord(row: Row): JobRecord {
  const status = str(row.status);
  if (!STATUS_SET.has(status)) throw new Error(`jobs row ${str(row.id)} has unknown status "${status}"`);
  const errorCode = strOrNull(row.error_code);
  return {
    id: str(row.id),
    status: status as JobStatus,
    pipeline_id: str(row.pipeline_id),
    pipeline_version: strOrNull(row.pipeline_version),
    models: (row.models ?? null) as ModelRef[] | null,
    input_key: str(row.input_key),
    input_size: num(row.input_size),
    input_sha256: str(row.input_sha256),
    frame_stride: num(row.frame_stride),
    max_frames: numOrNull(row.max_frames),
    sample_fps: numOrNull(row.sample_fps),
    start_ms: numOrNull(row.start_ms),
    end_ms: numOrNull(row.end_ms),
    sample: row.sample === 'keyframes' ? 'keyframes' : 'frames',
    keyframe_count: numOrNull(row.keyframe_count),
    video:
      row.width === null || row.width === undefined
        ? null
        : {
            duration_ms: numOrNull(row.duration_ms),
            fps: numOrNull(row.fps),
            width: num(row.width),
            height: num(row.height),
            codec: str(row.codec),
            frame_count: numOrNull(row.frame_count),
          },
    frames_total: numOrNull(row.frames_total),
    frames_done: num(row.frames_done),
    frames_failed: num(row.frames_failed),
    reuse: row.reuse === undefined || row.reuse === null ? true : row.reuse === true,
    frames_reused: row.frames_reused === undefined || row.frames_reused === null ? 0 : num(row.frames_reused),
    inference_ms: row.inference_ms === undefined || row.inference_ms === null ? 0 : num(row.inference_ms),
    error_code: errorCode === null ? null : ERROR_CODE_SET.has(errorCode) ? (errorCode as ErrorCode) : 'INTERNAL',
    error_message: strOrNull(row.error_message),
    idempotency_key: strOrNull(row.idempotency_key),
    client_tag: strOrNull(row.client_tag),
    retention_days: numOrNull(row.retention_days),
    callback_url: strOrNull(row.callback_url),
    created_at: dateOrNull(row.created_at) as Date,
    started_at: dateOrNull(row.started_at),
    extracted_at: dateOrNull(row.extracted_at),
    finished_at: dateOrNull(row.finished_at),
    updated_at: dateOrNull(row.updated_at) as Date,
  };
}

export function toFrameResultRecord(row: Row): FrameResultRecord {
  return {
    job_id: str(row.job_id),
    frame_index: num(row.frame_index),
    pts_ms: num(row.pts_ms),
    result: row.result ?? null,
    error: strOrNull(row.error),
    timings_ms: (row.timings_ms ?? {}) as Record<string, number>,
    worker_id: str(row.worker_id),
    geometry: (row.geometry ?? null) as FrameGeometry | null,
    reused_from: numOrNull(row.reused_from),
    created_at: dateOrNull(row.created_at) as Date,
    updated_at: dateOrNull(row.updated_at) as Date,
  };
}

export function toJobEventRecord(row: Row): JobEventRecord {
  return {
    id: num(row.id),
    job_id: str(row.job_id),
    type: str(row.type) as JobEventType,
    event_key: str(row.event_key),
    payload: row.payload,
    occurred_at: dateOrNull(row.occurred_at) as Date,
    recorded_at: dateOrNull(row.recorded_at) as Date,
  };
}

export function toWebhookDeliveryRecord(row: Row): WebhookDeliveryRecord {
  return {
    id: num(row.id),
    job_id: str(row.job_id),
    event: str(row.event),
    attempt: num(row.attempt),
    at: dateOrNull(row.at) as Date,
    outcome: str(row.outcome) as WebhookOutcome,
    http_status: numOrNull(row.http_status),
    error: strOrNull(row.error),
    duration_ms: numOrNull(row.duration_ms),
  };
}
