import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { jobIdSchema, pipelineIdSchema, SAMPLE_MODES, videoMetadataSchema } from './jobs';
import { STAGES } from './stages';

/**
 * Job events, published on fw.events.<job_id>.<type>. Versioned by `v`; a
 * consumer that meets a version it does not know refuses it loudly.
 */
const base = {
  v: z.literal(1),
  job_id: jobIdSchema,
  at: z.string().datetime({ offset: true }),
  worker_id: z.string().optional(),
};

export const submittedEvent = z.object({
  ...base,
  type: z.literal('submitted'),
  pipeline_id: pipelineIdSchema,
  frame_stride: z.number().int().min(1),
  max_frames: z.number().int().min(1).nullable(),
  /** Sampling by time and range, as asked (absent in events published before they existed: null). */
  sample_fps: z.number().positive().nullable().optional(),
  start_ms: z.number().int().nonnegative().nullable().optional(),
  end_ms: z.number().int().positive().nullable().optional(),
  /** `keyframes` when only keyframes are sampled (absent in events published before it existed: `frames`). */
  sample: z.enum(SAMPLE_MODES).optional(),
});

/** Extraction started: the video was probed. */
export const extractingEvent = z.object({
  ...base,
  type: z.literal('extracting'),
  video: videoMetadataSchema,
});

/** Decoding ended: `frames_total` sampled frames were published to fw.work.infer. */
export const extractedEvent = z.object({
  ...base,
  type: z.literal('extracted'),
  frames_total: z.number().int().nonnegative(),
  frames_decoded: z.number().int().nonnegative(),
  /** Of frames_total, those whose result is reused from an earlier frame (temporal reuse); absent in older events: 0. */
  frames_reused: z.number().int().nonnegative().optional(),
});

/**
 * Progress: the job's frames persisted so far (cumulative counts of
 * frame_results when the event was published, and the sampled total once
 * extraction has ended). Throttled at the source: each persister replica
 * publishes at most one per job per FW_PROGRESS_INTERVAL_MS, always including
 * the last state, and the batch that completes the job at once. With several
 * replicas two events may arrive out of order: the larger counts are the newer.
 * The projection re-reads frame_results rather than trusting these counts.
 */
export const framesEvent = z.object({
  ...base,
  type: z.literal('frames'),
  frames_done: z.number().int().nonnegative(),
  frames_failed: z.number().int().nonnegative(),
  frames_total: z.number().int().nonnegative().nullable().optional(),
});

export const completedEvent = z.object({
  ...base,
  type: z.literal('completed'),
  frames_total: z.number().int().nonnegative(),
  frames_done: z.number().int().nonnegative(),
  frames_failed: z.number().int().nonnegative(),
  processing_ms: z.number().nonnegative(),
});

export const failedEvent = z.object({
  ...base,
  type: z.literal('failed'),
  stage: z.enum(STAGES),
  error_code: z.enum(ERROR_CODES),
  error_message: z.string(),
});

export const cancelledEvent = z.object({
  ...base,
  type: z.literal('cancelled'),
  reason: z.string().nullable(),
});

/**
 * The job's text tracks are final: built by the status service from all of
 * its frame results and stored (GET /v1/jobs/{id}/tracks). Published once,
 * before `completed`, so a client that sees `completed` can read them. Jobs
 * whose pipeline has no text outputs get it too, with zero tracks.
 */
export const tracksEvent = z.object({
  ...base,
  type: z.literal('tracks'),
  /** Tracks stored: text tracks (ocr lines) and region tracks (text_regions). */
  tracks: z.number().int().nonnegative(),
  text_tracks: z.number().int().nonnegative(),
  region_tracks: z.number().int().nonnegative(),
  /** Frame results they were built from. */
  frames: z.number().int().nonnegative(),
  final: z.boolean(),
});

export const jobEventSchema = z.discriminatedUnion('type', [
  submittedEvent,
  extractingEvent,
  extractedEvent,
  framesEvent,
  tracksEvent,
  completedEvent,
  failedEvent,
  cancelledEvent,
]);

export type JobEvent = z.infer<typeof jobEventSchema>;
export type JobEventType = JobEvent['type'];
export type EventOf<T extends JobEventType> = Extract<JobEvent, { type: T }>;
export const JOB_EVENT_TYPES: readonly JobEventType[] = jobEventSchema.options.map((o) => o.shape.type.value);

/** Build an event with `v` and `at` filled in. */
export function makeEvent<T extends JobEventType>(
  type: T,
  jobId: string,
  fields: Omit<EventOf<T>, 'v' | 'type' | 'job_id' | 'at'>,
  at: Date = new Date(),
): EventOf<T> {
  return { ...fields, v: 1, type, job_id: jobId, at: at.toISOString() } as EventOf<T>;
}
