import type { JobEvent } from '@framewire/grpc';
import { applyEvent, initialState, isFinished, progressText } from './follow';
import type { Tty } from './output';
import { canonical, ResultsWriter, summarize } from './results';

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
    s = applyEvent(s, ev(5, { $case: 'completed', completed: { framesTotal: 10, framesDone: 9, framesFailed: 1, processingMs: 1500 } }));
    expect(isFinished(s)).toBe(true);
    expect(progressText(s, plain)).toMatchObject({ fraction: 1, text: expect.stringContaining('in 1.5 s') });
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
