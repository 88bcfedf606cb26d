import { makeEvent } from '@framewire/contracts';
import type { JobEvent } from '@framewire/contracts';
import type { FrameCounts, JobPatch, JobProjectionState } from '@framewire/persistence';
import { advances, decide, projectEvent, shouldComplete } from './projection';

const JOB = '0b5e3c1e-8a2f-4c7e-9b1d-2f3a4b5c6d7e';
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const VIDEO = { duration_ms: 4000, fps: 25, width: 640, height: 360, codec: 'h264', frame_count: 100 };

const pending: JobProjectionState = {
  status: 'pending',
  video: null,
  frames_total: null,
  frames_done: 0,
  frames_failed: 0,
  frames_reused: 0,
  error_code: null,
  error_message: null,
  started_at: null,
  extracted_at: null,
  finished_at: null,
};
const running: JobProjectionState = { ...pending, status: 'running', video: VIDEO, started_at: t(1) };
const completed: JobProjectionState = {
  ...running,
  status: 'completed',
  frames_total: 4,
  frames_done: 4,
  extracted_at: t(2),
  finished_at: t(5),
};
const failed: JobProjectionState = {
  ...running,
  status: 'failed',
  error_code: 'INVALID_VIDEO',
  error_message: 'not a video',
  finished_at: t(3),
};
const cancelled: JobProjectionState = { ...running, status: 'cancelled', finished_at: t(3) };

const ev = {
  submitted: (s = 0) => makeEvent('submitted', JOB, { pipeline_id: 'p', frame_stride: 1, max_frames: null }, t(s)),
  extracting: (s = 1, video = VIDEO) => makeEvent('extracting', JOB, { video }, t(s)),
  extracted: (s = 2, total = 4) => makeEvent('extracted', JOB, { frames_total: total, frames_decoded: total }, t(s)),
  frames: (s = 3, done = 99, failedCount = 99) => makeEvent('frames', JOB, { frames_done: done, frames_failed: failedCount }, t(s)),
  completed: (s = 5) => makeEvent('completed', JOB, { frames_total: 4, frames_done: 3, frames_failed: 1, processing_ms: 5000 }, t(s)),
  failed: (s = 4) => makeEvent('failed', JOB, { stage: 'extractor', error_code: 'INVALID_VIDEO', error_message: 'not a video' }, t(s)),
  cancelled: (s = 4) => makeEvent('cancelled', JOB, { reason: 'user' }, t(s)),
};

/** What the store does: patch, then complete when the rules say so. */
function apply(state: JobProjectionState, event: JobEvent, counts: FrameCounts | null = null): JobProjectionState {
  const next = { ...state, ...projectEvent(state, event, counts) };
  return shouldComplete(next) ? { ...next, status: 'completed', finished_at: new Date(event.at) } : next;
}

describe('projectEvent', () => {
  describe('submitted', () => {
    it('changes nothing', () => {
      expect(projectEvent(pending, ev.submitted(), null)).toEqual({});
      expect(projectEvent(completed, ev.submitted(), null)).toEqual({});
    });
  });

  describe('extracting', () => {
    it('moves pending to running, sets started_at and the video metadata', () => {
      expect(projectEvent(pending, ev.extracting(1), null)).toEqual<JobPatch>({
        status: 'running',
        started_at: t(1),
        video: VIDEO,
      });
    });

    it('keeps the earliest started_at and the first metadata on a replay', () => {
      expect(projectEvent(running, ev.extracting(9, { ...VIDEO, fps: 30 }), null)).toEqual({});
      expect(projectEvent({ ...running, started_at: t(5) }, ev.extracting(1), null)).toEqual({ started_at: t(1) });
    });

    it('never moves a terminal job back, but fills in metadata it lacked', () => {
      for (const state of [completed, failed, cancelled]) {
        const patch = projectEvent({ ...state, video: null }, ev.extracting(1), null);
        expect(patch.status).toBeUndefined();
        expect(patch.video).toEqual(VIDEO);
      }
      expect(projectEvent(completed, ev.extracting(1), null)).toEqual({});
    });
  });

  describe('extracted', () => {
    it('sets frames_total, extracted_at and the counts read from frame_results', () => {
      expect(projectEvent(running, ev.extracted(2, 4), { done: 1, failed: 1 })).toEqual<JobPatch>({
        frames_total: 4,
        extracted_at: t(2),
        frames_done: 1,
        frames_failed: 1,
      });
    });

    it('implies running when it arrives before extracting', () => {
      expect(projectEvent(pending, ev.extracted(2), { done: 0, failed: 0 })).toMatchObject({
        status: 'running',
        started_at: t(2),
      });
    });

    it('keeps the first frames_total and the earliest extracted_at', () => {
      const state = { ...running, frames_total: 4, extracted_at: t(2) };
      expect(projectEvent(state, ev.extracted(7, 5), { done: 0, failed: 0 })).toEqual({});
    });

    it('fills frames_total on a terminal job without touching status or counts', () => {
      const patch = projectEvent({ ...failed, frames_total: null }, ev.extracted(2, 4), { done: 4, failed: 0 });
      expect(patch).toEqual({ frames_total: 4, extracted_at: t(2) });
    });
  });

  describe('frames', () => {
    it('takes the counts from frame_results, not from the event', () => {
      expect(projectEvent(running, ev.frames(3, 99, 99), { done: 2, failed: 1 })).toEqual({
        frames_done: 2,
        frames_failed: 1,
      });
    });

    it('moves pending to running (frames before extracting)', () => {
      expect(projectEvent(pending, ev.frames(3), { done: 1, failed: 0 })).toEqual({
        status: 'running',
        started_at: t(3),
        frames_done: 1,
      });
    });

    it('never changes a terminal job (counts freeze)', () => {
      for (const state of [completed, failed, cancelled]) {
        expect(projectEvent(state, ev.frames(9), { done: 4, failed: 0 })).toEqual({});
      }
    });
  });

  describe('completed', () => {
    it('completes a non-terminal job with finished_at', () => {
      expect(projectEvent({ ...running, frames_total: 4, frames_done: 3 }, ev.completed(5), null)).toEqual({
        status: 'completed',
        finished_at: t(5),
        frames_failed: 1,
      });
    });

    it('is a no-op on a job the store already completed (its own event coming back)', () => {
      expect(projectEvent(completed, ev.completed(6), null)).toEqual({});
    });

    it('does not override failed or cancelled', () => {
      expect(projectEvent(failed, ev.completed(6), null)).toEqual({});
      expect(projectEvent(cancelled, ev.completed(6), null)).toEqual({});
    });
  });

  describe('failed', () => {
    it('wins over pending and running, with finished_at and the error', () => {
      for (const state of [pending, running]) {
        expect(projectEvent(state, ev.failed(4), null)).toEqual<JobPatch>({
          status: 'failed',
          finished_at: t(4),
          error_code: 'INVALID_VIDEO',
          error_message: 'not a video',
        });
      }
    });

    it('never changes a terminal job', () => {
      expect(projectEvent(completed, ev.failed(9), null)).toEqual({});
      expect(projectEvent(cancelled, ev.failed(9), null)).toEqual({});
      expect(projectEvent(failed, { ...ev.failed(9), error_message: 'other' }, null)).toEqual({});
    });
  });

  describe('cancelled', () => {
    it('wins over a non-terminal job', () => {
      expect(projectEvent(running, ev.cancelled(4), null)).toEqual({ status: 'cancelled', finished_at: t(4) });
    });
    it('never changes a terminal job', () => {
      expect(projectEvent(completed, ev.cancelled(9), null)).toEqual({});
    });
  });
});

describe('shouldComplete', () => {
  it.each<[string, JobProjectionState, boolean]>([
    ['frames_total unknown', { ...running, frames_done: 10 }, false],
    ['some frames missing', { ...running, frames_total: 4, frames_done: 2, frames_failed: 1 }, false],
    ['all frames done', { ...running, frames_total: 4, frames_done: 4 }, true],
    ['done + failed reach total', { ...running, frames_total: 4, frames_done: 3, frames_failed: 1 }, true],
    ['more outcomes than frames (replayed extraction)', { ...running, frames_total: 4, frames_done: 5 }, true],
    ['zero frames sampled', { ...running, frames_total: 0 }, true],
    ['already completed', completed, false],
    ['failed', { ...failed, frames_total: 4, frames_done: 4 }, false],
    ['cancelled', { ...cancelled, frames_total: 4, frames_done: 4 }, false],
  ])('%s → %s', (_label, state, expected) => {
    expect(shouldComplete(state)).toBe(expected);
  });
});

describe('advances (the forward-only rule)', () => {
  it.each<[JobProjectionState['status'], JobProjectionState['status'], boolean]>([
    ['pending', 'running', true],
    ['pending', 'failed', true],
    ['running', 'completed', true],
    ['running', 'cancelled', true],
    ['running', 'running', false],
    ['running', 'pending', false],
    ['completed', 'failed', false],
    ['failed', 'cancelled', false],
    ['cancelled', 'running', false],
  ])('%s → %s: %s', (from, to, expected) => {
    expect(advances(from, to)).toBe(expected);
  });
});

describe('decide', () => {
  it('completes the job when the event gives every frame an outcome, finished_at the latest known time', () => {
    const state = { ...running, frames_total: 4, frames_done: 3, extracted_at: t(9) };
    expect(decide(state, ev.frames(3), { done: 4, failed: 0 })).toEqual({ frames_done: 4, status: 'completed', finished_at: t(9) });
  });

  it('returns only what changes', () => {
    expect(decide(running, ev.extracting(1), null)).toEqual({});
    expect(decide(completed, ev.failed(9), null)).toEqual({});
  });

  it('never moves a status back', () => {
    for (const state of [running, completed, failed, cancelled]) {
      for (const e of Object.values(ev).map((make) => make())) {
        const status = decide(state, e, { done: 0, failed: 0 }).status;
        if (status !== undefined) expect(advances(state.status, status)).toBe(true);
      }
    }
  });
});

describe('event order', () => {
  // The frame_results counts each event would read, in delivery order.
  const counts = (e: JobEvent, seen: number): FrameCounts | null =>
    e.type === 'frames' || e.type === 'extracted' ? { done: seen, failed: 0 } : null;

  const run = (events: JobEvent[], frameCountsAt: number[]) =>
    events.reduce((s, e, i) => apply(s, e, counts(e, frameCountsAt[i])), pending);

  const inOrder = [ev.submitted(0), ev.extracting(1), ev.extracted(2, 4), ev.frames(3), ev.frames(4)];

  it('in order: completes when the last frames event sees every frame', () => {
    const final = run(inOrder, [0, 0, 0, 2, 4]);
    expect(final).toMatchObject({ status: 'completed', frames_total: 4, frames_done: 4, started_at: t(1) });
    expect(final.video).toEqual(VIDEO);
  });

  it('out of order: extracted last still completes, extracting late still fills metadata', () => {
    const events = [ev.frames(4), ev.extracted(2, 4), ev.submitted(0), ev.extracting(1), ev.frames(3)];
    const final = run(events, [4, 4, 4, 4, 4]);
    expect(final).toMatchObject({
      status: 'completed',
      frames_total: 4,
      frames_done: 4,
      started_at: t(1),
      extracted_at: t(2),
      video: VIDEO,
    });
  });

  it('every permutation of the facts converges on the same facts', () => {
    const facts = [ev.extracting(1), ev.extracted(2, 4), ev.frames(3), ev.frames(4)];
    const permutations = (xs: JobEvent[]): JobEvent[][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    const outcomes = permutations(facts).map((order) => {
      // frame_results hold all 4 rows before any event is handled
      const { finished_at: _ignored, ...rest } = run(order, [4, 4, 4, 4]);
      return rest;
    });
    for (const o of outcomes) expect(o).toEqual(outcomes[0]);
    expect(outcomes[0]).toMatchObject({ status: 'completed', started_at: t(1), extracted_at: t(2) });
  });

  it('a late failed after completion changes nothing; failed before completion sticks', () => {
    const done = run(inOrder, [0, 0, 0, 2, 4]);
    expect(projectEvent(done, ev.failed(9), null)).toEqual({});
    const broken = run([ev.extracting(1), ev.failed(2), ev.extracted(3, 4), ev.frames(4)], [0, 0, 4, 4]);
    expect(broken.status).toBe('failed');
    expect(broken.frames_total).toBe(4);
    expect(broken.frames_done).toBe(0);
  });

  it('replaying every event twice gives the same state', () => {
    const once = run(inOrder, [0, 0, 0, 2, 4]);
    const twice = [...inOrder, ...inOrder].reduce((s, e) => apply(s, e, counts(e, 4)), once);
    expect(twice).toEqual(once);
  });
});
