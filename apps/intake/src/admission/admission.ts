/**
 * Admission control, the pure part: how much work is queued, how fast the
 * inference stage has been doing it, whether one more job may come in and
 * when to try again. The service around it (admission.service.ts) samples
 * NATS and Postgres; everything here is arithmetic the tests call directly.
 */

/** One replica's counter as the worker registry shows it: frames it finished (or gave up on) by its last heartbeat. */
export interface CounterSample {
  workerId: string;
  /** frames_processed + frames_failed of the replica. */
  frames: number;
  /** Its last heartbeat, ms since the epoch. */
  at: number;
}

interface BusyInterval {
  workerId: string;
  end: number;
  frames: number;
  ms: number;
}

/**
 * Frames per second of a stage over a sliding window, from its replicas'
 * heartbeat counters. Only the intervals in which a replica did something
 * count (an idle replica says nothing about how fast it works), and the rates
 * of the replicas add up. When nothing was done inside the window (the stage
 * is idle, or every replica is gone) the last measured rate stands; before
 * anything was ever measured the rate is null.
 */
export class ThroughputMeter {
  private readonly last = new Map<string, CounterSample>();
  private intervals: BusyInterval[] = [];
  private lastRate: number | null = null;

  constructor(private readonly windowMs: number) {}

  /** Feed the replicas' current counters (the same heartbeat seen twice counts once). */
  observe(samples: readonly CounterSample[], now: number): void {
    const seen = new Set<string>();
    for (const s of samples) {
      seen.add(s.workerId);
      const prev = this.last.get(s.workerId);
      if (prev && s.at > prev.at && s.frames > prev.frames) {
        this.intervals.push({ workerId: s.workerId, end: s.at, frames: s.frames - prev.frames, ms: s.at - prev.at });
      }
      if (!prev || s.at >= prev.at) this.last.set(s.workerId, s);
    }
    for (const id of this.last.keys()) if (!seen.has(id)) this.last.delete(id);
    this.intervals = this.intervals.filter((i) => i.end > now - this.windowMs);
  }

  /** Frames per second, or null when nothing has ever been measured. */
  rate(): number | null {
    if (this.intervals.length === 0) return this.lastRate;
    const perWorker = new Map<string, { frames: number; ms: number }>();
    for (const i of this.intervals) {
      const w = perWorker.get(i.workerId) ?? { frames: 0, ms: 0 };
      w.frames += i.frames;
      w.ms += i.ms;
      perWorker.set(i.workerId, w);
    }
    let total = 0;
    for (const w of perWorker.values()) total += (w.frames * 1000) / w.ms;
    this.lastRate = total;
    return total;
  }
}

export type AdmissionDecision = { admit: true; backlogS: number | null } | { admit: false; backlogS: number; retryAfterS: number };

/** The longest Retry-After we ever answer: past an hour the figure means nothing. */
export const MAX_RETRY_AFTER_S = 3600;

/**
 * Whether a new job may come in: the backlog is the frames queued divided by
 * the measured frames per second. Nothing queued, nothing measured yet (a cold
 * system), or a limit of 0 (off): admit. Over the limit: refuse, and say to
 * come back when the backlog will be under the limit again at the measured
 * rate (at least 1 s, at most an hour).
 */
export function admissionDecision(input: { framesQueued: number; framesPerSecond: number | null; maxBacklogS: number }): AdmissionDecision {
  const { framesQueued, framesPerSecond, maxBacklogS } = input;
  if (framesQueued <= 0 || framesPerSecond === null || framesPerSecond <= 0) return { admit: true, backlogS: framesQueued <= 0 ? 0 : null };
  const backlogS = framesQueued / framesPerSecond;
  if (maxBacklogS <= 0 || backlogS <= maxBacklogS) return { admit: true, backlogS };
  return { admit: false, backlogS, retryAfterS: retryAfterSeconds(backlogS - maxBacklogS) };
}

export function retryAfterSeconds(seconds: number): number {
  if (!Number.isFinite(seconds)) return MAX_RETRY_AFTER_S;
  return Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(seconds)));
}

/**
 * A counting bound with a bounded waiting line: up to `limit` holders at once,
 * up to `maxWaiting` more wait (first come, first served) for at most
 * `maxWaitMs`; past that, acquire answers null at once (or when the wait runs
 * out) and the caller refuses. Release is idempotent.
 */
export class BoundedSlots {
  private held = 0;
  private readonly waiting: Array<{ grant: () => void }> = [];

  constructor(
    readonly limit: number,
    private readonly maxWaiting = 0,
    private readonly maxWaitMs = 0,
  ) {}

  get inUse(): number {
    return this.held;
  }

  /** A slot now, or null when every slot is taken and nobody may wait. */
  tryAcquire(): (() => void) | null {
    if (this.held >= this.limit) return null;
    this.held++;
    return this.releaser();
  }

  /** A slot, waiting in line if allowed; null when the line is full or the wait ran out. */
  async acquire(): Promise<(() => void) | null> {
    const now = this.tryAcquire();
    if (now || this.waiting.length >= this.maxWaiting || this.maxWaitMs <= 0) return now;
    return new Promise((resolve) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          this.held++;
          resolve(this.releaser());
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(null);
      }, this.maxWaitMs);
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
      this.waiting.shift()?.grant();
    };
  }
}
