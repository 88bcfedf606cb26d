import type { JobEvent as DomainEvent, VideoMetadata as DomainVideo } from '@framewire/contracts';
import type { ReceivedJobEvent } from '@framewire/events';
import {
  toProtoStatus,
  type FrameResult,
  type Job,
  type JobEvent,
  type JobMetrics,
  type VideoMetadata,
  type Worker,
} from '@framewire/grpc';
import type { LiveWorker } from '@framewire/messaging';
import type { FrameResultRecord, JobRecord } from '@framewire/persistence';
import { jobMetrics, progressFraction } from '../jobs/views';

/** Pure mappings from what the services return to the generated gRPC messages. */

export function jobMessage(job: JobRecord): Job {
  return {
    jobId: job.id,
    status: toProtoStatus(job.status),
    pipelineId: job.pipeline_id,
    pipelineVersion: job.pipeline_version ?? '',
    models: (job.models ?? []).map((m) => ({ name: m.name, sha256: m.sha256 })),
    frameStride: job.frame_stride,
    maxFrames: job.max_frames ?? undefined,
    inputSize: job.input_size,
    inputSha256: job.input_sha256,
    video: job.video ? videoMessage(job.video) : undefined,
    framesDone: job.frames_done,
    framesFailed: job.frames_failed,
    framesTotal: job.frames_total ?? undefined,
    progress: progressFraction(job),
    errorCode: job.error_code ?? undefined,
    errorMessage: job.error_message ?? undefined,
    clientTag: job.client_tag ?? undefined,
    createdAt: job.created_at,
    startedAt: job.started_at ?? undefined,
    extractedAt: job.extracted_at ?? undefined,
    finishedAt: job.finished_at ?? undefined,
    updatedAt: job.updated_at,
    metrics: jobMetricsMessage(job),
    retentionDays: job.retention_days ?? undefined,
  };
}

/** The HTTP `metrics` object, field for field (absent where HTTP says null). */
export function jobMetricsMessage(job: JobRecord): JobMetrics {
  const m = jobMetrics(job);
  return {
    queueMs: m.queue_ms ?? undefined,
    extractionMs: m.extraction_ms ?? undefined,
    inferenceMs: m.inference_ms,
    meanFrameMs: m.mean_frame_ms ?? undefined,
    processingMs: m.processing_ms ?? undefined,
    endToEndMs: m.end_to_end_ms ?? undefined,
    framesPerSecond: m.frames_per_second ?? undefined,
    frameCount: m.frame_count ?? undefined,
    framesDone: m.frames_done,
    framesFailed: m.frames_failed,
    errorCode: m.error?.code,
    errorMessage: m.error?.message ?? undefined,
  };
}

export function workerMessage(w: LiveWorker): Worker {
  return {
    workerId: w.worker_id,
    stage: w.stage,
    host: w.host,
    pid: w.pid,
    version: w.version,
    startedAt: new Date(w.started_at),
    lastHeartbeat: new Date(w.last_heartbeat),
    ageMs: Math.round(w.age_ms),
    uptimeS: w.uptime_s,
    jobsProcessed: w.jobs_processed,
    jobsFailed: w.jobs_failed,
    framesProcessed: w.frames_processed,
    framesFailed: w.frames_failed,
    messagesHandled: w.messages_handled,
    redeliveries: w.redeliveries,
    inFlight: w.in_flight,
    decoder: w.decoder,
  };
}

export function videoMessage(v: DomainVideo): VideoMetadata {
  return {
    durationMs: v.duration_ms ?? undefined,
    fps: v.fps ?? undefined,
    width: v.width,
    height: v.height,
    codec: v.codec,
    frameCount: v.frame_count ?? undefined,
  };
}

export function frameResultMessage(r: FrameResultRecord): FrameResult {
  return {
    frameIndex: r.frame_index,
    ptsMs: r.pts_ms,
    result: isPlainObject(r.result) ? r.result : undefined,
    error: r.error ?? undefined,
    timingsMs: r.timings_ms,
    geometry: r.geometry ?? undefined,
  };
}

export function jobEventMessage({ event, sequence }: ReceivedJobEvent): JobEvent {
  return {
    jobId: event.job_id,
    type: event.type,
    sequence,
    at: new Date(event.at),
    payload: JSON.parse(JSON.stringify(event)) as Record<string, unknown>,
    detail: eventDetail(event),
    workerId: event.worker_id,
  };
}

function eventDetail(event: DomainEvent): JobEvent['detail'] {
  switch (event.type) {
    case 'submitted':
      return {
        $case: 'submitted',
        submitted: { pipelineId: event.pipeline_id, frameStride: event.frame_stride, maxFrames: event.max_frames ?? undefined },
      };
    case 'extracting':
      return { $case: 'extracting', extracting: { video: videoMessage(event.video) } };
    case 'extracted':
      return { $case: 'extracted', extracted: { framesTotal: event.frames_total, framesDecoded: event.frames_decoded } };
    case 'frames':
      return {
        $case: 'frames',
        frames: { framesDone: event.frames_done, framesFailed: event.frames_failed, framesTotal: event.frames_total ?? undefined },
      };
    case 'completed':
      return {
        $case: 'completed',
        completed: {
          framesTotal: event.frames_total,
          framesDone: event.frames_done,
          framesFailed: event.frames_failed,
          processingMs: event.processing_ms,
        },
      };
    case 'failed':
      return { $case: 'failed', failed: { stage: event.stage, errorCode: event.error_code, errorMessage: event.error_message } };
    case 'cancelled':
      return { $case: 'cancelled', cancelled: { reason: event.reason ?? undefined } };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
