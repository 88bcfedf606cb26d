import type { JobProgress } from '@framewire/persistence';
import { ProgressThrottle } from './progress-throttle';

const JOB = '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60';
const p = (done: number, total: number | null = null, failed = 0): JobProgress => ({ done, failed, total });

describe('ProgressThrottle', () => {
  let now: number;
  let emitted: Array<{ at: number; jobId: string; progress: JobProgress }>;
  let throttle: ProgressThrottle;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    emitted = [];
    throttle = new ProgressThrottle(
      500,
      async (jobId, progress) => {
        emitted.push({ at: now, jobId, progress });
      },
      () => undefined,
      () => now,
    );
  });
  afterEach(() => jest.useRealTimers());

  const advance = async (ms: number) => {
    now += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };

  it('announces the first batch at once, then at most one per interval, always ending on the last state', async () => {
    for (let i = 1; i <= 100; i++) {
      await throttle.observe(JOB, p(i, 1000));
      await advance(20); // a batch every 20 ms for 2 s
    }
    await advance(500);
    expect(emitted[0]).toEqual({ at: 0, jobId: JOB, progress: p(1, 1000) });
    expect(emitted.length).toBeLessThanOrEqual(2000 / 500 + 2);
    expect(emitted.at(-1)!.progress).toEqual(p(100, 1000));
    const gaps = emitted.slice(1).map((e, i) => e.at - emitted[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    expect(throttle.held).toBe(0);
  });

  it('announces the batch that completes the job at once, whatever the interval, and drops what it held', async () => {
    await throttle.observe(JOB, p(1, 3));
    await advance(10);
    await throttle.observe(JOB, p(2, 3));
    expect(emitted).toHaveLength(1);
    await advance(10);
    await throttle.observe(JOB, p(2, 3, 1));
    expect(emitted.map((e) => e.progress)).toEqual([p(1, 3), p(2, 3, 1)]);
    await advance(1000);
    expect(emitted).toHaveLength(2); // the held p(2, 3) is superseded, never sent after the final state
  });

  it('keeps jobs apart, and with interval 0 announces every batch', async () => {
    const other = '1b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f61';
    await throttle.observe(JOB, p(1));
    await throttle.observe(other, p(1));
    expect(emitted.map((e) => e.jobId)).toEqual([JOB, other]);

    const every = new ProgressThrottle(
      0,
      async (jobId, progress) => void emitted.push({ at: now, jobId, progress }),
      () => undefined,
      () => now,
    );
    emitted = [];
    await every.observe(JOB, p(1));
    await every.observe(JOB, p(2));
    expect(emitted).toHaveLength(2);
  });

  it('drops a state older than one already observed (batches in flight report out of order), also after the completing one', async () => {
    await throttle.observe(JOB, p(10, 20));
    await advance(600);
    await throttle.observe(JOB, p(8, 20)); // an earlier batch reporting after a later one
    await throttle.observe(JOB, p(9, null));
    expect(emitted.map((e) => e.progress)).toEqual([p(10, 20)]);
    await throttle.observe(JOB, p(9, 20, 2)); // an error replaced by a success elsewhere: more rows, fewer done → newer
    expect(emitted.at(-1)!.progress).toEqual(p(9, 20, 2));
    await throttle.observe(JOB, p(20, 20));
    await throttle.observe(JOB, p(19, 20));
    await throttle.observe(JOB, p(20, 20)); // the same completing state again (a redelivered batch) still goes out
    await advance(1000);
    expect(emitted.map((e) => e.progress)).toEqual([p(10, 20), p(9, 20, 2), p(20, 20), p(20, 20)]);
  });

  it('flushes what it holds on shutdown, and a failed trailing publish is reported, not thrown', async () => {
    const errors: unknown[] = [];
    let fail = false;
    const t = new ProgressThrottle(
      500,
      async (jobId, progress) => {
        if (fail) throw new Error('broker down');
        emitted.push({ at: now, jobId, progress });
      },
      (_jobId, err) => errors.push(err),
      () => now,
    );
    await t.observe(JOB, p(1));
    await t.observe(JOB, p(2));
    await t.flushAll();
    expect(emitted.map((e) => e.progress)).toEqual([p(1), p(2)]);
    await advance(100);
    await t.observe(JOB, p(3));
    fail = true;
    await advance(1000);
    expect(errors).toHaveLength(1);
  });
});
