import { admissionDecision, BoundedSlots, MAX_RETRY_AFTER_S, retryAfterSeconds, ThroughputMeter } from './admission';

describe('admissionDecision', () => {
  it('admits when nothing is queued, nothing is measured yet, or the limit is off', () => {
    expect(admissionDecision({ framesQueued: 0, framesPerSecond: 2, maxBacklogS: 10 })).toEqual({ admit: true, backlogS: 0 });
    expect(admissionDecision({ framesQueued: 5000, framesPerSecond: null, maxBacklogS: 10 })).toEqual({ admit: true, backlogS: null });
    expect(admissionDecision({ framesQueued: 5000, framesPerSecond: 1, maxBacklogS: 0 })).toEqual({ admit: true, backlogS: 5000 });
  });

  it('admits up to the limit and refuses past it, with the seconds until the backlog is back under it', () => {
    expect(admissionDecision({ framesQueued: 100, framesPerSecond: 10, maxBacklogS: 10 })).toEqual({ admit: true, backlogS: 10 });
    expect(admissionDecision({ framesQueued: 101, framesPerSecond: 10, maxBacklogS: 10 })).toEqual({
      admit: false,
      backlogS: 10.1,
      retryAfterS: 1,
    });
    // 600 frames at 4 frames/s: 150 s of backlog, 120 s over a limit of 30.
    expect(admissionDecision({ framesQueued: 600, framesPerSecond: 4, maxBacklogS: 30 })).toEqual({
      admit: false,
      backlogS: 150,
      retryAfterS: 120,
    });
  });

  it('bounds Retry-After between 1 s and an hour', () => {
    expect(retryAfterSeconds(0.01)).toBe(1);
    expect(retryAfterSeconds(2.2)).toBe(3);
    expect(retryAfterSeconds(1e9)).toBe(MAX_RETRY_AFTER_S);
    expect(retryAfterSeconds(Infinity)).toBe(MAX_RETRY_AFTER_S);
  });
});

describe('ThroughputMeter', () => {
  const at = (s: number) => 1_000_000 + s * 1000;

  it('knows nothing before two heartbeats of a working replica', () => {
    const m = new ThroughputMeter(30_000);
    expect(m.rate()).toBeNull();
    m.observe([{ workerId: 'a', frames: 10, at: at(0) }], at(0));
    expect(m.rate()).toBeNull();
    m.observe([{ workerId: 'a', frames: 10, at: at(0) }], at(2)); // the same heartbeat again
    expect(m.rate()).toBeNull();
  });

  it('adds up the replicas and counts only the intervals in which they worked', () => {
    const m = new ThroughputMeter(30_000);
    m.observe(
      [
        { workerId: 'a', frames: 0, at: at(0) },
        { workerId: 'b', frames: 100, at: at(0) },
      ],
      at(0),
    );
    m.observe(
      [
        { workerId: 'a', frames: 20, at: at(5) }, // 4 frames/s
        { workerId: 'b', frames: 110, at: at(5) }, // 2 frames/s
      ],
      at(5),
    );
    expect(m.rate()).toBeCloseTo(6);
    // a goes idle: its idle interval does not dilute its rate.
    m.observe(
      [
        { workerId: 'a', frames: 20, at: at(10) },
        { workerId: 'b', frames: 120, at: at(10) },
      ],
      at(10),
    );
    expect(m.rate()).toBeCloseTo(6);
  });

  it('keeps the last measured rate when the window holds no work (idle, or every replica gone)', () => {
    const m = new ThroughputMeter(10_000);
    m.observe([{ workerId: 'a', frames: 0, at: at(0) }], at(0));
    m.observe([{ workerId: 'a', frames: 30, at: at(5) }], at(5));
    expect(m.rate()).toBeCloseTo(6);
    m.observe([], at(60));
    expect(m.rate()).toBeCloseTo(6);
    // A new replica (a restart has a new id) starts from its own first heartbeat.
    m.observe([{ workerId: 'c', frames: 0, at: at(61) }], at(61));
    m.observe([{ workerId: 'c', frames: 10, at: at(66) }], at(66));
    expect(m.rate()).toBeCloseTo(2);
  });
});

describe('BoundedSlots', () => {
  it('holds at most its limit, and a release frees one slot once', () => {
    const s = new BoundedSlots(2);
    const a = s.tryAcquire();
    const b = s.tryAcquire();
    expect(a && b).toBeTruthy();
    expect(s.tryAcquire()).toBeNull();
    a?.();
    a?.();
    expect(s.inUse).toBe(1);
    expect(s.tryAcquire()).not.toBeNull();
    expect(s.tryAcquire()).toBeNull();
  });

  it('lets a bounded line wait for a slot, first come first served, and refuses past the line', async () => {
    const s = new BoundedSlots(1, 1, 5000);
    const first = await s.acquire();
    expect(first).not.toBeNull();
    const waiting = s.acquire();
    expect(await s.acquire()).toBeNull(); // the line (1) is full
    first?.();
    const second = await waiting;
    expect(second).not.toBeNull();
    expect(s.inUse).toBe(1);
    second?.();
    expect(s.inUse).toBe(0);
  });

  it('gives up on a wait that runs out', async () => {
    jest.useFakeTimers();
    try {
      const s = new BoundedSlots(1, 4, 100);
      const held = s.tryAcquire();
      const waiting = s.acquire();
      jest.advanceTimersByTime(101);
      expect(await waiting).toBeNull();
      held?.();
      expect(s.inUse).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
