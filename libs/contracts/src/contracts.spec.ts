import {
  eventSubject,
  extractRequestV1,
  frameResultV1,
  jobEventSchema,
  JOB_EVENT_TYPES,
  makeEvent,
  msgIds,
  submitParamsSchema,
} from './index';

const JOB = '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60';

describe('contracts', () => {
  it('names event subjects by job and type', () => {
    expect(eventSubject(JOB, 'frames')).toBe(`fw.events.${JOB}.frames`);
    expect(msgIds.infer(JOB, 7)).toBe(`${JOB}:7:infer`);
  });

  it('builds versioned events that validate', () => {
    const ev = makeEvent(
      'failed',
      JOB,
      { stage: 'extractor', error_code: 'INVALID_VIDEO', error_message: 'file is not a video' },
      new Date(0),
    );
    expect(jobEventSchema.parse(ev)).toEqual({
      v: 1,
      type: 'failed',
      job_id: JOB,
      at: '1970-01-01T00:00:00.000Z',
      stage: 'extractor',
      error_code: 'INVALID_VIDEO',
      error_message: 'file is not a video',
    });
    expect(JOB_EVENT_TYPES).toEqual(['submitted', 'extracting', 'extracted', 'frames', 'tracks', 'completed', 'failed', 'cancelled']);
  });

  it('refuses an event of an unknown version', () => {
    const ev = { ...makeEvent('frames', JOB, { frames_done: 1, frames_failed: 0 }), v: 2 };
    expect(jobEventSchema.safeParse(ev).success).toBe(false);
  });

  it.each([
    [
      { pipeline_id: 'ocr' },
      {
        pipeline_id: 'ocr',
        frame_stride: 1,
        max_frames: null,
        client_tag: null,
        retention_days: null,
        sample: 'frames',
        sample_fps: null,
        start_ms: null,
        end_ms: null,
        callback_url: null,
        reuse: true,
      },
    ],
    [
      { pipeline_id: 'ocr', frame_stride: '7', max_frames: '5', retention_days: '0', callback_url: 'https://hooks.example.com/fw?k=1' },
      {
        pipeline_id: 'ocr',
        frame_stride: 7,
        max_frames: 5,
        client_tag: null,
        retention_days: 0,
        sample: 'frames',
        sample_fps: null,
        start_ms: null,
        end_ms: null,
        callback_url: 'https://hooks.example.com/fw?k=1',
        reuse: true,
      },
    ],
    [
      { pipeline_id: 'ocr', sample_fps: '29.97', start_ms: '0', end_ms: '1500' },
      {
        pipeline_id: 'ocr',
        frame_stride: 1,
        max_frames: null,
        client_tag: null,
        retention_days: null,
        sample: 'frames',
        sample_fps: 29.97,
        start_ms: 0,
        end_ms: 1500,
        callback_url: null,
        reuse: true,
      },
    ],
    [
      { pipeline_id: 'ocr', frame_stride: '1', sample_fps: '0.5', start_ms: '60000' },
      {
        pipeline_id: 'ocr',
        frame_stride: 1,
        max_frames: null,
        client_tag: null,
        retention_days: null,
        sample: 'frames',
        sample_fps: 0.5,
        start_ms: 60000,
        end_ms: null,
        callback_url: null,
        reuse: true,
      },
    ],
    [
      { pipeline_id: 'ocr', reuse: 'false' },
      {
        pipeline_id: 'ocr',
        frame_stride: 1,
        max_frames: null,
        client_tag: null,
        retention_days: null,
        sample_fps: null,
        start_ms: null,
        end_ms: null,
        callback_url: null,
        reuse: false,
        sample: 'frames',
      },
    ],
  ])('parses submit parameters %j', (input, expected) => {
    expect(submitParamsSchema.parse(input)).toEqual(expected);
  });

  it('parses keyframe sampling, with a range (frame_stride 1 is the default, not a conflict)', () => {
    const p = submitParamsSchema.parse({ pipeline_id: 'ocr', sample: 'keyframes', frame_stride: '1', start_ms: '1000', end_ms: '9000' });
    expect(p).toMatchObject({ sample: 'keyframes', frame_stride: 1, sample_fps: null, start_ms: 1000, end_ms: 9000 });
    expect(
      extractRequestV1.parse({
        v: 1,
        job_id: '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60',
        input_key: 'k',
        pipeline_id: 'ocr',
        frame_stride: 1,
        max_frames: null,
      }).sample,
    ).toBeUndefined();
  });

  it.each([
    [{ pipeline_id: '../etc/passwd' }, /pipeline id/],
    [{ pipeline_id: 'ocr', frame_stride: '0' }, /frame_stride must be >= 1/],
    [{ pipeline_id: 'ocr', frame_stride: '1.5' }, /integer/],
    [{ pipeline_id: 'ocr', frame_stride: 'abc' }, /integer/],
    [{ pipeline_id: 'ocr', max_frames: '0' }, /max_frames must be >= 1/],
    [{ pipeline_id: 'ocr', max_frames: '99999999999' }, /max_frames must be <=/],
    [{ pipeline_id: 'ocr', retention_days: '-1' }, /retention_days must be >= 0/],
    [{ pipeline_id: 'ocr', retention_days: '36501' }, /retention_days must be <=/],
    [{ pipeline_id: 'ocr', sample_fps: '0' }, /sample_fps must be >= 0.001/],
    [{ pipeline_id: 'ocr', sample_fps: '-2' }, /sample_fps must be >= 0.001/],
    [{ pipeline_id: 'ocr', sample_fps: '241' }, /sample_fps must be <= 240/],
    [{ pipeline_id: 'ocr', sample_fps: 'fast' }, /sample_fps must be a number/],
    [{ pipeline_id: 'ocr', sample_fps: '2', frame_stride: '5' }, /sample_fps and frame_stride are mutually exclusive/],
    [
      { pipeline_id: 'ocr', sample: 'keyframes', frame_stride: '5' },
      /sample=keyframes .* cannot be combined with sample_fps or a frame_stride/,
    ],
    [{ pipeline_id: 'ocr', sample: 'keyframes', sample_fps: '1' }, /sample=keyframes .* cannot be combined/],
    [{ pipeline_id: 'ocr', sample: 'iframes' }, /sample must be one of frames, keyframes/],
    [{ pipeline_id: 'ocr', start_ms: '-1' }, /start_ms must be >= 0/],
    [{ pipeline_id: 'ocr', start_ms: '1.5' }, /start_ms must be an integer/],
    [{ pipeline_id: 'ocr', end_ms: '0' }, /end_ms must be > start_ms \(0\)/],
    [{ pipeline_id: 'ocr', start_ms: '2000', end_ms: '2000' }, /end_ms must be > start_ms \(2000\)/],
    [{ pipeline_id: 'ocr', end_ms: String(8 * 24 * 3_600_000) }, /end_ms must be <=/],
    [{ pipeline_id: 'ocr', callback_url: 'not a url' }, /callback_url must be an absolute http or https URL/],
    [{ pipeline_id: 'ocr', callback_url: 'file:///etc/passwd' }, /callback_url must be an http or https URL/],
    [{ pipeline_id: 'ocr', callback_url: 'https://u:p@hooks.example.com/' }, /must not carry credentials/],
    [{ pipeline_id: 'ocr', callback_url: `https://hooks.example.com/${'x'.repeat(2048)}` }, /at most 2048/],
    [{ pipeline_id: 'ocr', reuse: 'maybe' }, /reuse must be true or false/],
  ])('refuses submit parameters %j', (input, message) => {
    const r = submitParamsSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });
});

describe('frame results', () => {
  const base = {
    v: 1,
    job_id: '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60',
    pts_ms: 0,
    result: null,
    error: null,
    timings_ms: {},
    worker_id: 'x',
  };

  it('take reused_from only of an earlier frame; older messages have none', () => {
    expect(frameResultV1.safeParse({ ...base, frame_index: 3, reused_from: 0 }).success).toBe(true);
    expect(frameResultV1.safeParse({ ...base, frame_index: 3 }).success).toBe(true);
    expect(frameResultV1.safeParse({ ...base, frame_index: 3, reused_from: 3 }).error?.issues[0]?.message).toBe(
      'reused_from must be an earlier frame_index',
    );
  });
});
