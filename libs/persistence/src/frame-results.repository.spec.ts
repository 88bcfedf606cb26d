import { normaliseBatch } from './frame-results.repository';
import type { FrameResultInput } from './records';

const row = (job: string, frame: number, worker = 'w'): FrameResultInput => ({
  job_id: job,
  frame_index: frame,
  pts_ms: frame * 40,
  result: { frame },
  error: null,
  timings_ms: {},
  worker_id: worker,
});

describe('normaliseBatch', () => {
  const a = '00000000-0000-4000-8000-00000000000a';
  const b = '00000000-0000-4000-8000-00000000000b';

  it('keeps the last occurrence of a repeated (job, frame)', () => {
    const out = normaliseBatch([row(a, 1, 'first'), row(a, 2), row(a, 1, 'second')]);
    expect(out.map((r) => [r.frame_index, r.worker_id])).toEqual([
      [1, 'second'],
      [2, 'w'],
    ]);
  });

  it('sorts by job then frame, so concurrent batches lock rows in one order', () => {
    const out = normaliseBatch([row(b, 0), row(a, 10), row(a, 2), row(b, -1)]);
    expect(out.map((r) => `${r.job_id.slice(-1)}:${r.frame_index}`)).toEqual(['a:2', 'a:10', 'b:-1', 'b:0']);
  });
});
