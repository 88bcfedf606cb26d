import { z } from 'zod';

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['completed', 'failed', 'cancelled']);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Identifiers that name things on disk or in subjects: no dots, slashes or spaces. */
export const SAFE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A uuid in either case, as Postgres accepts it (lookups by id must not fail on an uppercase one). */
export const UUID_ANY_CASE = new RegExp(UUID.source, 'i');

export const jobIdSchema = z.string().regex(UUID, 'job id must be a lowercase uuid');
export const pipelineIdSchema = z.string().regex(SAFE_ID, 'pipeline id must match [a-z0-9][a-z0-9_-]*');

export const videoMetadataSchema = z.object({
  duration_ms: z.number().nonnegative().nullable(),
  fps: z.number().positive().nullable(),
  /** As displayed: a quarter turn of rotation metadata (phone videos) swaps the stored width and height. */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  codec: z.string(),
  frame_count: z.number().int().nonnegative().nullable(),
});
export type VideoMetadata = z.infer<typeof videoMetadataSchema>;

/** Limits on what a client may ask for; the HTTP and gRPC edges share them. */
export const SUBMIT_LIMITS = {
  maxFrameStride: 100_000,
  maxFrames: 1_000_000,
  /** About 100 years: longer is "forever", which is what leaving retention_days out means with FW_RETENTION_DAYS off. */
  maxRetentionDays: 36_500,
  /** sample_fps: 1 frame every 1000 s at the least, 240 a second at the most (no video is denser). */
  minSampleFps: 0.001,
  maxSampleFps: 240,
  /** start_ms / end_ms: within FW_MAX_DURATION_MS's own ceiling (a week), so a typo is a 400, not a 422 later. */
  maxRangeMs: 7 * 24 * 3_600_000,
} as const;

/** Why `raw` is no usable callback_url (an absolute http(s) URL with a host and no credentials), or null. */
export function callbackUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'callback_url must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'callback_url must be an http or https URL';
  if (url.hostname === '') return 'callback_url must name a host';
  if (url.username !== '' || url.password !== '')
    return 'callback_url must not carry credentials (they would show on the job); verify the Framewire-Signature header instead';
  return null;
}

export const callbackUrlSchema = z
  .string()
  .max(2048, 'callback_url must be at most 2048 characters')
  .superRefine((raw, ctx) => {
    const problem = callbackUrlProblem(raw);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** What a job decodes: every frame (sampled by frame_stride or sample_fps), or only the keyframes (a fast preview). */
export const SAMPLE_MODES = ['frames', 'keyframes'] as const;
export type SampleMode = (typeof SAMPLE_MODES)[number];

const rangeMsSchema = (name: string) =>
  z.coerce
    .number({ message: `${name} must be an integer (milliseconds)` })
    .int(`${name} must be an integer (milliseconds)`)
    .min(0, `${name} must be >= 0`)
    .max(SUBMIT_LIMITS.maxRangeMs, `${name} must be <= ${SUBMIT_LIMITS.maxRangeMs}`)
    .nullable()
    .default(null);

/**
 * What a client may ask of a job. Sampling is by frame count (`frame_stride`:
 * every n-th decoded frame) or by time (`sample_fps`: the first frame at or
 * after each multiple of 1/sample_fps from the range's start), not both;
 * `start_ms`/`end_ms` restrict either to the frames whose pts is in
 * [start_ms, end_ms).
 */
export const submitParamsSchema = z
  .object({
    pipeline_id: pipelineIdSchema,
    frame_stride: z.coerce
      .number({ message: 'frame_stride must be an integer' })
      .int('frame_stride must be an integer')
      .min(1, 'frame_stride must be >= 1')
      .max(SUBMIT_LIMITS.maxFrameStride, `frame_stride must be <= ${SUBMIT_LIMITS.maxFrameStride}`)
      .default(1),
    max_frames: z.coerce
      .number({ message: 'max_frames must be an integer' })
      .int('max_frames must be an integer')
      .min(1, 'max_frames must be >= 1')
      .max(SUBMIT_LIMITS.maxFrames, `max_frames must be <= ${SUBMIT_LIMITS.maxFrames}`)
      .nullable()
      .default(null),
    client_tag: z.string().max(128).nullable().default(null),
    /** Days the job is kept once finished (0: deleted at the next retention sweep); null: the deployment's FW_RETENTION_DAYS. */
    retention_days: z.coerce
      .number({ message: 'retention_days must be an integer' })
      .int('retention_days must be an integer')
      .min(0, 'retention_days must be >= 0')
      .max(SUBMIT_LIMITS.maxRetentionDays, `retention_days must be <= ${SUBMIT_LIMITS.maxRetentionDays}`)
      .nullable()
      .default(null),
    /** Frames per second of video time to analyse; null: sample by frame_stride. */
    sample_fps: z.coerce
      .number({ message: 'sample_fps must be a number' })
      .refine(Number.isFinite, 'sample_fps must be a number')
      .min(SUBMIT_LIMITS.minSampleFps, `sample_fps must be >= ${SUBMIT_LIMITS.minSampleFps}`)
      .max(SUBMIT_LIMITS.maxSampleFps, `sample_fps must be <= ${SUBMIT_LIMITS.maxSampleFps}`)
      .nullable()
      .default(null),
    /** `keyframes`: decode and analyse only the keyframes; `frames` (the default): every frame, sampled by frame_stride or sample_fps. */
    sample: z.enum(SAMPLE_MODES, { message: `sample must be one of ${SAMPLE_MODES.join(', ')}` }).default('frames'),
    /** First ms of video time to analyse (inclusive, by frame pts); null: from the start. */
    start_ms: rangeMsSchema('start_ms'),
    /** End of the range (exclusive, by frame pts); null: to the end. Past the video's end means to the end. */
    end_ms: rangeMsSchema('end_ms'),
    /** Where the job's terminal states are POSTed (webhooks); null: none. */
    callback_url: callbackUrlSchema.nullable().default(null),
    /**
     * Temporal reuse: a sampled frame that looks the same as the job's last
     * computed frame gets that frame's result instead of running the models
     * (FW_REUSE_THRESHOLD). false: every sampled frame goes to the models.
     * Multipart fields are text: "true" / "false".
     */
    reuse: z
      .preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ message: 'reuse must be true or false' }))
      .default(true),
  })
  .superRefine((p, ctx) => {
    if (p.sample_fps !== null && p.frame_stride !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['sample_fps'],
        message:
          'sample_fps and frame_stride are mutually exclusive: sample by time (sample_fps) or by frame count (frame_stride), not both',
      });
    }
    if (p.sample === 'keyframes' && (p.sample_fps !== null || p.frame_stride !== 1)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sample'],
        message:
          'sample=keyframes analyses every keyframe: it cannot be combined with sample_fps or a frame_stride other than 1 (start_ms/end_ms may narrow it)',
      });
    }
    if (p.end_ms !== null && p.end_ms <= (p.start_ms ?? 0)) {
      ctx.addIssue({ code: 'custom', path: ['end_ms'], message: `end_ms must be > start_ms (${p.start_ms ?? 0})` });
    }
  });
export type SubmitParams = z.infer<typeof submitParamsSchema>;
