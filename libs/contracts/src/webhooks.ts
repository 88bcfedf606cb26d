import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { jobIdSchema, pipelineIdSchema } from './jobs';

/** The headers of every webhook POST. */
export const WEBHOOK_HEADERS = {
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with FW_WEBHOOK_SECRET. */
  signature: 'Framewire-Signature',
  /** `job.completed`, `job.failed` or `job.cancelled`. */
  event: 'Framewire-Event',
  /** `<job_id>:<status>`: the same on every attempt of one webhook (a receiver dedupes on it). */
  delivery: 'Framewire-Delivery',
  /** 1 for the first attempt. */
  attempt: 'Framewire-Attempt',
} as const;

export const WEBHOOK_STATUSES = ['completed', 'failed', 'cancelled'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

const iso = z.string().datetime({ offset: true });

/** The JSON body POSTed to a job's callback_url when it reaches a terminal state. Links are paths on the API. */
export const webhookBodyV1 = z.object({
  v: z.literal(1),
  event: z.enum(['job.completed', 'job.failed', 'job.cancelled']),
  delivery_id: z.string(),
  job_id: jobIdSchema,
  status: z.enum(WEBHOOK_STATUSES),
  pipeline_id: pipelineIdSchema,
  client_tag: z.string().nullable(),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string().nullable() }).nullable(),
  counts: z.object({
    frames_total: z.number().int().nullable(),
    frames_done: z.number().int(),
    frames_failed: z.number().int(),
  }),
  timings: z.object({
    created_at: iso,
    started_at: iso.nullable(),
    finished_at: iso.nullable(),
    processing_ms: z.number().nullable(),
  }),
  links: z.object({ self: z.string(), results: z.string(), metrics: z.string() }),
});
export type WebhookBodyV1 = z.infer<typeof webhookBodyV1>;
