import { status } from '@grpc/grpc-js';
import { DomainError, ERROR_CODES, makeEvent, overloaded, type JobEvent } from '@framewire/contracts';
import { JobEvent as JobEventMessage, JobStatus } from '@framewire/grpc';
import type { FrameResultRecord } from '@framewire/persistence';
import { httpStatusOf } from '../http/problem.filter';
import { frameResultMessage, jobEventMessage, jobMessage } from './mappers';
import { grpcStatusOf, toGrpcError } from './status';
import { FIXTURE_JOB_ID, jobRecord } from '../jobs/job-record.fixture';

const JOB = FIXTURE_JOB_ID;

const job = jobRecord;

describe('gRPC status mapping', () => {
  it('gives every error code a status consistent with its HTTP status', () => {
    for (const code of ERROR_CODES) {
      const http = httpStatusOf(code);
      const grpc = grpcStatusOf(code);
      if (http === 401) expect(grpc).toBe(status.UNAUTHENTICATED);
      else if (http === 404) expect(grpc).toBe(status.NOT_FOUND);
      else if (http === 409) expect(grpc).toBe(status.FAILED_PRECONDITION);
      else if (http === 413 || http === 429) expect(grpc).toBe(status.RESOURCE_EXHAUSTED);
      else if (http >= 400 && http < 500) expect(grpc).toBe(status.INVALID_ARGUMENT);
      else if (http === 503) expect(grpc).toBe(status.UNAVAILABLE);
      else if (http === 504) expect(grpc).toBe(status.DEADLINE_EXCEEDED);
      else expect(grpc).toBe(status.INTERNAL);
    }
  });

  it('keeps the domain message and code, and hides anything unexpected', () => {
    const { error, unexpected } = toGrpcError(new DomainError('UNKNOWN_PIPELINE', "unknown pipeline 'x'"));
    expect(unexpected).toBe(false);
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, details: "unknown pipeline 'x'" });
    expect(error.metadata.get('fw-error-code')).toEqual(['UNKNOWN_PIPELINE']);
    const busy = toGrpcError(overloaded('too busy; retry after 12 s', 12)).error;
    expect(busy).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'too busy; retry after 12 s' });
    expect(busy.metadata.get('fw-error-code')).toEqual(['OVERLOADED']);
    expect(busy.metadata.get('retry-after')).toEqual(['12']);
    const hidden = toGrpcError(new Error('connection string postgres://secret@db'));
    expect(hidden.unexpected).toBe(true);
    expect(hidden.error).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
  });
});

describe('gRPC message mapping', () => {
  it('maps a job, with nulls as absent fields', () => {
    const m = jobMessage(
      job({
        status: 'completed',
        video: { duration_ms: 1000, fps: 30, width: 320, height: 240, codec: 'h264', frame_count: null },
        frames_total: 4,
        frames_done: 3,
        frames_failed: 1,
        finished_at: new Date('2026-01-01T00:00:05Z'),
      }),
    );
    expect(m).toMatchObject({
      jobId: JOB,
      status: JobStatus.JOB_STATUS_COMPLETED,
      framesTotal: 4,
      progress: 1,
      maxFrames: undefined,
      errorCode: undefined,
      video: { durationMs: 1000, fps: 30, width: 320, height: 240, codec: 'h264', frameCount: undefined },
    });
    expect(m.finishedAt).toEqual(new Date('2026-01-01T00:00:05Z'));
  });

  it('maps a frame result; a failed frame has no result', () => {
    const base: FrameResultRecord = {
      job_id: JOB,
      frame_index: 4,
      pts_ms: 133.333,
      result: { detect: { regions: [] } },
      error: null,
      timings_ms: { detect: 12.5 },
      worker_id: 'w',
      geometry: { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } },
      reused_from: null,
      created_at: new Date(),
      updated_at: new Date(),
    };
    expect(frameResultMessage(base)).toEqual({
      frameIndex: 4,
      ptsMs: 133.333,
      result: { detect: { regions: [] } },
      error: undefined,
      timingsMs: { detect: 12.5 },
      outputs: { detect: { value: { $case: 'textRegions', textRegions: { regions: [] } } } },
      geometry: { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } },
    });
    expect(frameResultMessage({ ...base, result: null, error: 'boom' })).toMatchObject({ result: undefined, error: 'boom', outputs: {} });
    // Rows stored before geometry existed: the field is absent.
    expect(frameResultMessage({ ...base, geometry: null }).geometry).toBeUndefined();
  });

  const events: JobEvent[] = [
    makeEvent('submitted', JOB, { pipeline_id: 'text_regions', frame_stride: 2, max_frames: null }),
    makeEvent('extracting', JOB, { video: { duration_ms: null, fps: 30, width: 320, height: 240, codec: 'h264', frame_count: 30 } }),
    makeEvent('extracted', JOB, { frames_total: 15, frames_decoded: 30 }),
    makeEvent('frames', JOB, { frames_done: 7, frames_failed: 1, frames_total: 15, worker_id: 'persister-1' }),
    makeEvent('completed', JOB, { frames_total: 15, frames_done: 14, frames_failed: 1, processing_ms: 2000 }),
    makeEvent('failed', JOB, { stage: 'extractor', error_code: 'INVALID_VIDEO', error_message: 'bad' }),
    makeEvent('cancelled', JOB, { reason: null }),
  ];

  it.each(events.map((e) => [e.type, e] as const))(
    'maps a %s event, typed and as its JSON payload, and it survives the wire',
    (type, event) => {
      const m = jobEventMessage({ event, sequence: 42, subject: `fw.events.${JOB}.${type}`, pending: 0 });
      expect(m).toMatchObject({ jobId: JOB, type, sequence: 42, at: new Date(event.at), payload: JSON.parse(JSON.stringify(event)) });
      expect(m.detail?.$case).toBe(type);
      expect(JobEventMessage.decode(JobEventMessage.encode(m).finish())).toEqual(m);
    },
  );
});
