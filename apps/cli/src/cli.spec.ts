import { TextTrackKind, type JobEvent } from '@framewire/grpc';
import { applyEvent, initialState, isFinished, progressText } from './follow';
import type { Tty } from './output';
import { canonical, ResultsWriter, summarize } from './results';
import { trackFromMessage, trackLines, writeTracks } from './tracks';

const plain: Tty = { write: () => undefined, isTTY: false, columns: 100 };

function ev(sequence: number, detail: JobEvent['detail']): JobEvent {
  return { jobId: 'j', type: detail?.$case ?? '', sequence, at: new Date(0), payload: {}, detail };
}

describe('following a job', () => {
  it('folds events into progress: estimate, then total, counts that only grow, the end', () => {
    let s = initialState();
    s = applyEvent(s, ev(1, { $case: 'submitted', submitted: { pipelineId: 'p', frameStride: 2, maxFrames: 10 } }));
    s = applyEvent(s, ev(2, { $case: 'extracting', extracting: { video: { width: 1, height: 1, codec: 'h264', frameCount: 30 } } }));
    expect(s).toMatchObject({ status: 'running', estimate: 10, total: null });
    expect(progressText(s, plain).text).toContain('0/~10 frames');
    s = applyEvent(s, ev(3, { $case: 'frames', frames: { framesDone: 4, framesFailed: 1, framesTotal: undefined } }), 1000);
    s = applyEvent(s, ev(4, { $case: 'frames', frames: { framesDone: 3, framesFailed: 0, framesTotal: 10 } }), 2000);
    expect(s).toMatchObject({ done: 4, failed: 1, total: 10, lastSequence: 4 });
    expect(progressText(s, plain)).toMatchObject({ fraction: 0.5, text: expect.stringContaining('5/10 frames · 1 failed') });
    s = applyEvent(s, ev(5, { $case: 'tracks', tracks: { tracks: 2, textTracks: 2, regionTracks: 0, frames: 10, final: true } }));
    expect(s).toMatchObject({ status: 'running', tracks: 2 });
    s = applyEvent(s, ev(6, { $case: 'completed', completed: { framesTotal: 10, framesDone: 9, framesFailed: 1, processingMs: 1500 } }));
    expect(isFinished(s)).toBe(true);
    expect(progressText(s, plain)).toMatchObject({ fraction: 1, text: expect.stringContaining('2 text tracks · in 1.5 s') });
  });

  it('estimates a job sampled by time from the range of video it covers', () => {
    let s = initialState();
    s = applyEvent(
      s,
      ev(1, { $case: 'submitted', submitted: { pipelineId: 'p', frameStride: 1, sampleFps: 2, startMs: 10_000, endMs: 40_000 } }),
    );
    const video = { width: 1, height: 1, codec: 'h264', frameCount: 1800, durationMs: 60_000, fps: 30 };
    s = applyEvent(s, ev(2, { $case: 'extracting', extracting: { video } }));
    expect(s).toMatchObject({ sampleFps: 2, startMs: 10_000, endMs: 40_000, estimate: 60 });
  });

  it('remembers why a job failed or was cancelled', () => {
    const failed = applyEvent(
      initialState(),
      ev(1, { $case: 'failed', failed: { stage: 'extractor', errorCode: 'INVALID_VIDEO', errorMessage: 'bad' } }),
    );
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'INVALID_VIDEO', message: 'bad' } });
    expect(applyEvent(initialState(), ev(1, { $case: 'cancelled', cancelled: { reason: 'x' } }))).toMatchObject({
      status: 'cancelled',
      reason: 'x',
    });
  });
});

describe('results output', () => {
  it('orders object keys canonically (Postgres jsonb reorders them) and leaves arrays alone', () => {
    expect(JSON.stringify(canonical({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }))).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('summarises what each output node found', () => {
    expect(summarize({ detect: { regions: [{}, {}] } })).toBe('detect: 2 regions');
    expect(summarize({ read: { lines: [{ text: 'HELLO' }, { text: '42' }] } })).toBe('read: 2 lines "HELLO | 42"');
    expect(summarize({ custom: { n: 1 } })).toBe('custom: {"n":1}');
    expect(summarize(null)).toBe('-');
  });

  it('streams a JSON array, and prints nothing for a failure before any result', () => {
    let out = '';
    const tty: Tty = { write: (t) => void (out += t), isTTY: false, columns: 80 };
    const w = new ResultsWriter('json', tty);
    const geometry = { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } };
    w.add({ frame_index: 0, pts_ms: 0, result: { b: 1, a: 2 }, error: null, timings_ms: {}, geometry });
    w.add({ frame_index: 5, pts_ms: 166.7, result: null, error: 'boom', timings_ms: {}, geometry: null });
    expect(w.end(true)).toBe(2);
    expect(JSON.parse(out)).toEqual([
      { frame_index: 0, pts_ms: 0, result: { a: 2, b: 1 }, error: null, timings_ms: {}, geometry },
      { frame_index: 5, pts_ms: 166.7, result: null, error: 'boom', timings_ms: {}, geometry: null },
    ]);
    out = '';
    new ResultsWriter('json', tty).end(false);
    expect(out).toBe('');
    new ResultsWriter('json', tty).end(true);
    expect(out).toBe('[]\n');
  });
});

describe('tracks output', () => {
  const box = { x: 66.4, y: 63.6, width: 371, height: 37.2 };
  const norm = { x: 0.1, y: 0.1, width: 0.5, height: 0.05 };
  const message = {
    trackIndex: 0,
    output: 'read',
    kind: TextTrackKind.TEXT_TRACK_KIND_TEXT,
    text: 'FRAMEWIRE 2026',
    confidence: 0.98,
    startMs: 0,
    endMs: 4966.67,
    firstFrame: 0,
    lastFrame: 145,
    frameCount: 30,
    bbox: box,
    bboxNorm: norm,
    boxes: [
      {
        frameIndex: 0,
        ptsMs: 0,
        polygon: [
          { x: 66, y: 64 },
          { x: 437, y: 64 },
          { x: 437, y: 101 },
        ],
        bbox: box,
        polygonNorm: [
          { x: 0.1, y: 0.1 },
          { x: 0.6, y: 0.1 },
          { x: 0.6, y: 0.15 },
        ],
        bboxNorm: norm,
        text: 'FRAMEWIRE 2026',
        score: 0.98,
      },
    ],
  };

  it('maps a ListTracks track to the API shape (snake_case, null text for regions)', () => {
    const t = trackFromMessage(message);
    expect(t).toMatchObject({ track_index: 0, kind: 'text', text: 'FRAMEWIRE 2026', start_ms: 0, end_ms: 4966.67, bbox: box });
    expect(t.boxes[0]).toMatchObject({
      frame_index: 0,
      text: 'FRAMEWIRE 2026',
      polygon: [
        [66, 64],
        [437, 64],
        [437, 101],
      ],
    });
    const region = trackFromMessage({ ...message, kind: TextTrackKind.TEXT_TRACK_KIND_REGION, text: undefined, boxes: [] });
    expect(region).toMatchObject({ kind: 'region', text: null });
  });

  it('prints one line per track: text, seconds, first box in source pixels, texts padded so times line up', () => {
    const a = trackFromMessage(message);
    const b = trackFromMessage({
      ...message,
      trackIndex: 1,
      text: 'TRUCK',
      startMs: 6000,
      endMs: 9300,
      bbox: { x: 10, y: 300, width: 90, height: 30 },
    });
    const c = trackFromMessage({ ...message, trackIndex: 2, kind: TextTrackKind.TEXT_TRACK_KIND_REGION, text: undefined });
    expect(trackLines([a], plain)).toEqual(['FRAMEWIRE 2026  0.00–4.97 s  at 66,64 371×37']);
    expect(trackLines([a, b, c], plain)).toEqual([
      'FRAMEWIRE 2026  0.00–4.97 s  at 66,64 371×37',
      'TRUCK           6.00–9.30 s  at 10,300 90×30',
      '(text region)   0.00–4.97 s  at 66,64 371×37',
    ]);
  });

  it('heads the block with the count, and says when the job is still running', () => {
    let out = '';
    const tty: Tty = { write: (t) => void (out += t), isTTY: false, columns: 80 };
    writeTracks([trackFromMessage(message)], tty, { final: true });
    expect(out).toBe('1 text track\nFRAMEWIRE 2026  0.00–4.97 s  at 66,64 371×37\n');
    out = '';
    writeTracks([], tty, { final: false });
    expect(out).toBe('no text tracks (not final: from the frames done so far)\n');
  });
});
