/** The parts of the API's answers the dashboard reads (the OpenAPI document at /openapi.json has them in full). */
export interface Job {
  job_id: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  pipeline: { id: string; version: string };
  params: Record<string, unknown>;
  input: { size: number | null; sha256: string | null };
  video: { duration_ms: number; fps: number; width: number; height: number; codec: string; frame_count: number | null } | null;
  progress: { frames_done: number; frames_failed: number; frames_total: number | null; fraction: number };
  timings: Record<string, string | number | null>;
  error: { code: string; message: string | null } | null;
  metrics: Record<string, unknown>;
  client_tag: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface FrameResult {
  frame_index: number;
  pts_ms: number;
  result: unknown;
  error: unknown;
  timings_ms: Record<string, number> | null;
  /** Temporal reuse: the frame whose result this one took (null: computed). */
  reused_from?: number | null;
  geometry?: { analysed: { width: number; height: number }; source: { width: number; height: number } } | null;
}

export interface TextTrack {
  track_index: number;
  output: string;
  kind: 'text' | 'region';
  text: string | null;
  confidence: number;
  start_ms: number;
  end_ms: number;
  first_frame: number;
  last_frame: number;
  frame_count: number;
}

export interface TracksPage extends Page<TextTrack> {
  final: boolean;
}

export interface Pipeline {
  id: string;
  name: string;
  version: string;
  description?: string;
}

export interface DeadLetter {
  seq: number;
  kind: string;
  original_subject: string;
  reason: string;
  deliveries: number;
  job_id: string | null;
  worker_id: string | null;
  dead_at: string;
  body: { bytes: number; ref: string | null };
}

export interface Worker {
  worker_id: string;
  stage: string;
  host: string;
  pid: number;
  version: string;
  started_at: string;
  age_ms: number;
  uptime_s: number;
  jobs_processed: number;
  frames_processed: number;
  frames_failed: number;
  redeliveries: number;
  in_flight: number;
  decoder?: { source: string; version: string } | null;
}

export interface WorkerList {
  items: Worker[];
  stages: Record<string, number>;
  ttl_ms: number;
}

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
