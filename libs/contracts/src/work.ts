import { z } from 'zod';
import { jobIdSchema, pipelineIdSchema, SAMPLE_MODES, videoMetadataSchema } from './jobs';
import { frameGeometrySchema } from './results';
import { WORK_SUBJECTS } from './subjects';
import { WEBHOOK_STATUSES } from './webhooks';

/** fw.work.extract — decode one job's video. Carries ids and facts, never entities. */
export const extractRequestV1 = z.object({
  v: z.literal(1),
  job_id: jobIdSchema,
  input_key: z.string().min(1),
  pipeline_id: pipelineIdSchema,
  frame_stride: z.number().int().min(1),
  max_frames: z.number().int().min(1).nullable(),
  /** Sampling by time (see submitParamsSchema); optional so that messages queued before they existed still read as "none". */
  sample_fps: z.number().positive().nullable().optional(),
  start_ms: z.number().int().nonnegative().nullable().optional(),
  end_ms: z.number().int().positive().nullable().optional(),
  /**
   * Intake's probe of the stored input (ffprobe, headers only), so the
   * extractor does not probe the same bytes again; it re-checks the limits on
   * it. Absent in messages queued before it existed: the extractor probes.
   */
  video: videoMetadataSchema.optional(),
  /** Temporal reuse allowed (the job's `reuse`); absent in messages queued before it existed: allowed. */
  reuse: z.boolean().optional(),
  /** Keyframe sampling; optional so that messages queued before it existed read as `frames`. */
  sample: z.enum(SAMPLE_MODES).optional(),
});
export type ExtractRequestV1 = z.infer<typeof extractRequestV1>;

/**
 * fw.work.infer — one sampled frame. The JPEG travels inside the message
 * (see frame-codec.ts) while it fits, or as an object-store key otherwise.
 */
export const frameRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inline'), bytes: z.number().int().positive() }),
  z.object({ kind: z.literal('object'), key: z.string().min(1), bytes: z.number().int().positive() }),
]);
export type FrameRef = z.infer<typeof frameRefSchema>;

export const inferRequestV1 = z.object({
  v: z.literal(1),
  job_id: jobIdSchema,
  pipeline_id: pipelineIdSchema,
  frame_index: z.number().int().nonnegative(),
  pts_ms: z.number().nonnegative(),
  /** The JPEG's size: the frame as analysed (after FW_MAX_FRAME_WIDTH scaling). */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /**
   * The source video's size as displayed (rotation applied), which results
   * are mapped to. Absent in messages queued before it existed: the
   * analysed size stands for it.
   */
  source_width: z.number().int().positive().optional(),
  source_height: z.number().int().positive().optional(),
  frame: frameRefSchema,
});
export type InferRequestV1 = z.infer<typeof inferRequestV1>;

/** fw.work.persist — one frame's outcome. `result` is the pipeline's JSON output, never image bytes. */
export const frameResultV1 = z
  .object({
    v: z.literal(1),
    job_id: jobIdSchema,
    frame_index: z.number().int().nonnegative(),
    pts_ms: z.number().nonnegative(),
    result: z.unknown().nullable(),
    error: z.string().nullable(),
    timings_ms: z.record(z.string(), z.number().nonnegative()),
    worker_id: z.string(),
    /** The analysed and source sizes; `result`'s boxes are already in source pixels. Absent in older messages. */
    geometry: frameGeometrySchema.nullable().optional(),
    /**
     * Temporal reuse: the extractor found this frame the same as the job's
     * earlier frame `reused_from` (its anchor) and sent it here without running
     * the models; `result` and `error` are null and the persister copies the
     * anchor's in. Absent or null: computed.
     */
    reused_from: z.number().int().nonnegative().nullable().optional(),
  })
  .refine((r) => r.reused_from === null || r.reused_from === undefined || r.reused_from < r.frame_index, {
    message: 'reused_from must be an earlier frame_index',
    path: ['reused_from'],
  });
export type FrameResultV1 = z.infer<typeof frameResultV1>;

/**
 * fw.work.webhook — POST the job's webhook for a terminal status. Ids and
 * facts only: the consumer re-reads the job (its callback_url, counts, error).
 * `at` is when the job reached the status; FW_WEBHOOK_MAX_AGE counts from it.
 */
export const webhookRequestV1 = z.object({
  v: z.literal(1),
  job_id: jobIdSchema,
  event: z.enum(WEBHOOK_STATUSES),
  at: z.string().datetime({ offset: true }),
});
export type WebhookRequestV1 = z.infer<typeof webhookRequestV1>;

/** The typed catalogue: subject → payload schema. */
export const WORK_PAYLOADS = {
  [WORK_SUBJECTS.extract]: extractRequestV1,
  [WORK_SUBJECTS.infer]: inferRequestV1,
  [WORK_SUBJECTS.persist]: frameResultV1,
  [WORK_SUBJECTS.webhook]: webhookRequestV1,
} as const;

export type WorkPayloads = typeof WORK_PAYLOADS;
export type PayloadOf<S extends keyof WorkPayloads> = z.infer<WorkPayloads[S]>;
