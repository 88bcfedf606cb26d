import { WEBHOOK_HEADERS, type WebhookBodyV1, type WebhookStatus } from '@framewire/contracts';
import type { JobRecord } from '@framewire/persistence';
import { signatureHeader } from '@framewire/webhooks';

/** The same on every attempt of one webhook: receivers dedupe on it. */
export function deliveryId(jobId: string, status: WebhookStatus): string {
  return `${jobId}:${status}`;
}

/** What a job's webhook says: the job as it is now (ids, status, error, counts, timings, links), never its inputs or secrets. */
export function webhookBody(job: JobRecord, status: WebhookStatus): WebhookBodyV1 {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    v: 1,
    event: `job.${status}`,
    delivery_id: deliveryId(job.id, status),
    job_id: job.id,
    status,
    pipeline_id: job.pipeline_id,
    client_tag: job.client_tag,
    error: job.error_code ? { code: job.error_code, message: job.error_message } : null,
    counts: { frames_total: job.frames_total, frames_done: job.frames_done, frames_failed: job.frames_failed },
    timings: {
      created_at: job.created_at.toISOString(),
      started_at: iso(job.started_at),
      finished_at: iso(job.finished_at),
      processing_ms: job.started_at && job.finished_at ? job.finished_at.getTime() - job.started_at.getTime() : null,
    },
    links: { self: `/v1/jobs/${job.id}`, results: `/v1/jobs/${job.id}/results`, metrics: `/v1/jobs/${job.id}/metrics` },
  };
}

/** The headers of one attempt: the event, the delivery id, the attempt, and the signature of exactly `body`. */
export function webhookHeaders(
  secret: string,
  body: string,
  status: WebhookStatus,
  jobId: string,
  attempt: number,
  at: Date = new Date(),
): Record<string, string> {
  return {
    [WEBHOOK_HEADERS.signature]: signatureHeader(secret, body, at),
    [WEBHOOK_HEADERS.event]: `job.${status}`,
    [WEBHOOK_HEADERS.delivery]: deliveryId(jobId, status),
    [WEBHOOK_HEADERS.attempt]: String(attempt),
    'user-agent': 'framewire-webhooks/1',
  };
}
