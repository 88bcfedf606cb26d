import {
  eventSubject,
  HEADERS,
  jobEventSchema,
  makeEvent,
  msgIds,
  WORK_SUBJECTS,
  type ExtractRequestV1,
  type VideoMetadata,
} from '@framewire/contracts';
import type { JobRecord, OutgoingMessage } from '@framewire/persistence';

/**
 * What a new job publishes, in publish order: its `submitted` event, then its
 * work.extract message. The event goes first so a job's timeline never shows
 * `extracting` before `submitted` (the status projection itself does not care:
 * it ignores `submitted` and is order-independent). Each message carries the
 * Nats-Msg-Id that makes a second publish of it a no-op inside the stream's
 * duplicate window, and the request's trace id. The work message carries
 * intake's probe of the video (`video`), so the extractor does not probe it again.
 */
export function submitMessages(job: JobRecord, traceId: string, video?: VideoMetadata): OutgoingMessage[] {
  const headers = { [HEADERS.traceId]: traceId, [HEADERS.jobId]: job.id };
  const event = jobEventSchema.parse(
    makeEvent(
      'submitted',
      job.id,
      {
        pipeline_id: job.pipeline_id,
        frame_stride: job.frame_stride,
        max_frames: job.max_frames,
        sample_fps: job.sample_fps,
        start_ms: job.start_ms,
        end_ms: job.end_ms,
        ...keyframeSampling(job),
      },
      job.created_at,
    ),
  );
  const work: ExtractRequestV1 = {
    v: 1,
    job_id: job.id,
    input_key: job.input_key,
    pipeline_id: job.pipeline_id,
    frame_stride: job.frame_stride,
    max_frames: job.max_frames,
    sample_fps: job.sample_fps,
    start_ms: job.start_ms,
    end_ms: job.end_ms,
    ...(video ? { video } : {}),
    reuse: job.reuse,
    ...keyframeSampling(job),
  };
  return [
    { subject: eventSubject(job.id, event.type), msg_id: msgIds.event(job.id, event.type), payload: json(event), headers },
    { subject: WORK_SUBJECTS.extract, msg_id: msgIds.extract(job.id), payload: json(work), headers },
  ];
}

/** `sample` only for keyframe jobs: a `frames` job's messages stay as they were (absent reads as `frames`). */
function keyframeSampling(job: JobRecord): { sample?: 'keyframes' } {
  return job.sample === 'keyframes' ? { sample: 'keyframes' } : {};
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
