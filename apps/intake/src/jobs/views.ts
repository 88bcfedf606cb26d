import type { JobStatus } from '@framewire/contracts';
import type { FrameResultRecord, JobRecord, WebhookDeliveryRecord } from '@framewire/persistence';

/** The job as the HTTP and gRPC APIs show it. */
export function jobView(job: JobRecord) {
  const total = job.frames_total;
  return {
    job_id: job.id,
    status: job.status,
    pipeline: { id: job.pipeline_id, version: job.pipeline_version, models: job.models ?? [] },
    params: {
      frame_stride: job.frame_stride,
      max_frames: job.max_frames,
      retention_days: job.retention_days,
      sample_fps: job.sample_fps,
      sample: job.sample,
      start_ms: job.start_ms,
      end_ms: job.end_ms,
      reuse: job.reuse,
    },
    input: { size: job.input_size, sha256: job.input_sha256 },
    video: job.video,
    progress: {
      frames_done: job.frames_done,
      frames_failed: job.frames_failed,
      frames_total: total,
      fraction: progressFraction(job),
    },
    frame_count: total,
    timings: {
      created_at: iso(job.created_at),
      started_at: iso(job.started_at),
      extracted_at: iso(job.extracted_at),
      finished_at: iso(job.finished_at),
      updated_at: iso(job.updated_at),
      queue_ms: job.started_at ? job.started_at.getTime() - job.created_at.getTime() : null,
      processing_ms: job.started_at && job.finished_at ? job.finished_at.getTime() - job.started_at.getTime() : null,
    },
    error: job.error_code ? { code: job.error_code, message: job.error_message } : null,
    metrics: jobMetrics(job),
    client_tag: job.client_tag,
    webhook: job.callback_url === null ? null : { url: job.callback_url },
    links: { self: `/v1/jobs/${job.id}`, results: `/v1/jobs/${job.id}/results`, metrics: `/v1/jobs/${job.id}/metrics` },
  };
}
export type JobView = ReturnType<typeof jobView>;

/** GET /v1/jobs/{id}: the job, with its webhook's delivery attempts (oldest first). */
export function jobDetailView(job: JobRecord, deliveries: WebhookDeliveryRecord[]) {
  const view = jobView(job);
  return {
    ...view,
    webhook:
      view.webhook === null
        ? null
        : {
            ...view.webhook,
            deliveries: deliveries.map((d) => ({
              event: d.event,
              attempt: d.attempt,
              at: d.at.toISOString(),
              outcome: d.outcome,
              http_status: d.http_status,
              error: d.error,
              duration_ms: d.duration_ms,
            })),
          },
  };
}

/**
 * What a job cost, stage by stage (the original system's get_job_metrics). Each
 * duration is null until both of its ends are known:
 *   queue_ms       created → started (the extractor took it)
 *   extraction_ms  started → extracted (decoding and sampling ended)
 *   inference_ms   the pipeline time of its stored frames (sum of their timings_ms); 0 before the first
 *   mean_frame_ms  inference_ms per frame the models ran on (reused frames ran none)
 *   processing_ms  started → finished
 *   end_to_end_ms  created → finished
 * frames_per_second is frames done per second of processing (null until finished,
 * or when it took no measurable time); frame_count is the sampled total.
 */
export function jobMetrics(job: JobRecord) {
  const between = (from: Date | null, to: Date | null) => (from && to ? Math.max(0, to.getTime() - from.getTime()) : null);
  const processing = between(job.started_at, job.finished_at);
  const frames = job.frames_done + job.frames_failed;
  // Reused frames ran no model (their timings are empty): the mean is over the frames the models ran on.
  const computed = Math.max(0, frames - job.frames_reused);
  return {
    queue_ms: between(job.created_at, job.started_at),
    extraction_ms: between(job.started_at, job.extracted_at),
    inference_ms: round3(job.inference_ms),
    mean_frame_ms: computed > 0 ? round3(job.inference_ms / computed) : null,
    processing_ms: processing,
    end_to_end_ms: between(job.created_at, job.finished_at),
    frames_per_second: processing ? round3(job.frames_done / (processing / 1000)) : null,
    frame_count: job.frames_total,
    frames_done: job.frames_done,
    frames_failed: job.frames_failed,
    frames_reused: job.frames_reused,
    error: job.error_code ? { code: job.error_code, message: job.error_message } : null,
  };
}
export type JobMetricsView = ReturnType<typeof jobMetrics>;

/** GET /v1/jobs/{id}/metrics: the job's metrics with its id and status. */
export function jobMetricsView(job: JobRecord) {
  return { job_id: job.id, status: job.status, ...jobMetrics(job) };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** 0..1; unknown totals count as 0 until the job completes. */
export function progressFraction(job: Pick<JobRecord, 'status' | 'frames_total' | 'frames_done' | 'frames_failed'>): number {
  if (job.status === 'completed') return 1;
  if (job.frames_total === null || job.frames_total === 0) return 0;
  return Math.min(1, (job.frames_done + job.frames_failed) / job.frames_total);
}

export function resultView(r: FrameResultRecord) {
  return {
    frame_index: r.frame_index,
    pts_ms: r.pts_ms,
    result: r.result,
    error: r.error,
    timings_ms: r.timings_ms,
    geometry: r.geometry,
    reused_from: r.reused_from,
  };
}

/** The original system knew four statuses; a cancelled job reads as failed there. */
export function legacyStatus(status: JobStatus): 'pending' | 'running' | 'completed' | 'failed' {
  switch (status) {
    case 'pending':
    case 'running':
    case 'completed':
    case 'failed':
      return status;
    case 'cancelled':
      return 'failed';
  }
}

export function legacyStatusView(job: JobRecord) {
  return {
    job_id: job.id,
    status: legacyStatus(job.status),
    progress: progressFraction(job),
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
  };
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}
