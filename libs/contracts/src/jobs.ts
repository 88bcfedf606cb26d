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
} as const;

export const submitParamsSchema = z.object({
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
});
export type SubmitParams = z.infer<typeof submitParamsSchema>;
