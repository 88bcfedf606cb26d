import type { JobStatus } from '@framewire/contracts';
import type { FrameResultRecord, JobRecord } from '@framewire/persistence';

/** The job as the HTTP and gRPC APIs show it. */
export function jobView(job: JobRecord) {
  const total = job.frames_total;
  return {
    job_id: job.id,
    status: job.status,
    pipeline: { id: job.pipeline_id, version: job.pipeline_version, models: job.models ?? [] },
    params: { frame_stride: job.frame_stride, max_frames: job.max_frames },
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
    client_tag: job.client_tag,
    links: { self: `/v1/jobs/${job.id}`, results: `/v1/jobs/${job.id}/results` },
  };
}
export type JobView = ReturnType<typeof jobView>;

/** 0..1; unknown totals count as 0 until the job completes. */
export function progressFraction(job: Pick<JobRecord, 'status' | 'frames_total' | 'frames_done' | 'frames_failed'>): number {
  if (job.status === 'completed') return 1;
  if (job.frames_total === null || job.frames_total === 0) return 0;
  return Math.min(1, (job.frames_done + job.frames_failed) / job.frames_total);
}

export function resultView(r: FrameResultRecord) {
  return { frame_index: r.frame_index, pts_ms: r.pts_ms, result: r.result, error: r.error, timings_ms: r.timings_ms };
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
