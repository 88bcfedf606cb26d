import { extractRequestV1, jobEventSchema } from '@framewire/contracts';
import { jobRecord } from './job-record.fixture';
import { submitMessages } from './submit-messages';

describe('submitMessages', () => {
  const job = jobRecord({ frame_stride: 5, max_frames: 20 });
  const [event, work] = submitMessages(job, 'trace-1');
  const decode = (p: Uint8Array) => JSON.parse(new TextDecoder().decode(p)) as unknown;

  it('announces the job first, then queues its extraction', () => {
    expect(event?.subject).toBe(`fw.events.${job.id}.submitted`);
    expect(work?.subject).toBe('fw.work.extract');
  });

  it('derives each Nats-Msg-Id from what the message means, so a second publish is deduplicated', () => {
    expect(event?.msg_id).toBe(`${job.id}:event:submitted`);
    expect(work?.msg_id).toBe(`${job.id}:extract`);
    expect(submitMessages(job, 'another-trace').map((m) => m.msg_id)).toEqual([event?.msg_id, work?.msg_id]);
  });

  it('carries payloads that pass their contracts, dated by the job', () => {
    expect(jobEventSchema.parse(decode(event!.payload))).toMatchObject({
      type: 'submitted',
      job_id: job.id,
      frame_stride: 5,
      max_frames: 20,
      at: job.created_at.toISOString(),
    });
    expect(extractRequestV1.parse(decode(work!.payload))).toMatchObject({ job_id: job.id, input_key: job.input_key, frame_stride: 5 });
  });

  it('carries sampling by time and range in the event and the work message; a message without them reads as none', () => {
    const timed = jobRecord({ frame_stride: 1, sample_fps: 2.5, start_ms: 1000, end_ms: 9000 });
    const [ev, w] = submitMessages(timed, 'trace-2');
    expect(jobEventSchema.parse(decode(ev!.payload))).toMatchObject({ sample_fps: 2.5, start_ms: 1000, end_ms: 9000 });
    expect(extractRequestV1.parse(decode(w!.payload))).toMatchObject({ frame_stride: 1, sample_fps: 2.5, start_ms: 1000, end_ms: 9000 });
    const queuedBefore = { v: 1, job_id: job.id, input_key: 'k', pipeline_id: 'ocr', frame_stride: 3, max_frames: null };
    expect(extractRequestV1.parse(queuedBefore)).toEqual(queuedBefore);
  });

  it("carries intake's probe to the extractor, so the video is probed once", () => {
    const video = { duration_ms: 10_000, fps: 30, width: 1280, height: 720, codec: 'h264', frame_count: 300 };
    const [, w] = submitMessages(job, 'trace-3', video);
    expect(extractRequestV1.parse(decode(w!.payload))).toMatchObject({ job_id: job.id, video });
    expect(extractRequestV1.parse(decode(work!.payload)).video).toBeUndefined();
  });

  it('carries the trace and job ids in headers', () => {
    for (const m of [event, work]) expect(m?.headers).toEqual({ 'Fw-Trace-Id': 'trace-1', 'Fw-Job-Id': job.id });
  });
});
