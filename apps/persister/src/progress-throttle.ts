import type { JobProgress } from '@framewire/persistence';

export type EmitProgress = (jobId: string, progress: JobProgress) => Promise<void>;

interface JobState {
  lastEmitAt: number;
  /** The latest progress not yet announced (throttled), or null. */
  pending: JobProgress | null;
  timer: NodeJS.Timeout | null;
}

/**
 * At most one progress event per job per interval from this replica, and
 * never a lost final state:
 * - the first observation of a job, and any after the interval, go out at once;
 * - observations inside the interval are held, and the latest of them goes
 *   out when the interval has passed (a trailing event);
 * - a job whose persisted frames reach its total goes out at once, whatever
 *   the interval: the status service completes the job when it sees it.
 * A held (trailing) event only carries intermediate progress: if it is lost
 * (the replica stops), the next event or the completing one supersedes it.
 * `intervalMs` 0 turns throttling off.
 */
export class ProgressThrottle {
  private readonly jobs = new Map<string, JobState>();
  /** The newest progress observed per job (bounded: oldest forgotten), to drop one that arrives after a newer one. */
  private readonly newest = new Map<string, JobProgress>();

  constructor(
    private readonly intervalMs: number,
    private readonly emit: EmitProgress,
    private readonly onTrailingError: (jobId: string, err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Record a job's progress after a persisted batch; resolves once any immediate event is published. */
  async observe(jobId: string, progress: JobProgress): Promise<void> {
    if (!this.isNewest(jobId, progress)) return;
    const t = this.now();
    const state = this.jobs.get(jobId);
    const final = progress.total !== null && progress.done + progress.failed >= progress.total;
    if (final || this.intervalMs === 0 || !state || t - state.lastEmitAt >= this.intervalMs) {
      if (state?.timer) clearTimeout(state.timer);
      if (final) this.jobs.delete(jobId);
      else this.jobs.set(jobId, { lastEmitAt: t, pending: null, timer: null });
      this.sweep(t);
      await this.emit(jobId, progress);
      return;
    }
    state.pending = progress;
    state.timer ??= setTimeout(() => this.flush(jobId), Math.max(0, state.lastEmitAt + this.intervalMs - t));
  }

  /**
   * Batches written at once (FW_PERSIST_BATCHES_IN_FLIGHT) commit one job's
   * rows one after another (the job row lock), but may report after each
   * other's commit in either order. A job's states only grow: done and
   * done + failed never decrease (a success is never replaced by an error),
   * and its total, once known, stays. A state below the newest observed in
   * all three is older and is dropped, never announced after the newer one
   * (nor after the job's completing state). An equal state goes through: a
   * redelivered batch whose first announcement failed announces it again.
   */
  private isNewest(jobId: string, p: JobProgress): boolean {
    const n = this.newest.get(jobId);
    const older =
      n !== undefined &&
      p.done <= n.done &&
      p.done + p.failed <= n.done + n.failed &&
      (p.total === null || n.total !== null) &&
      (p.done !== n.done || p.failed !== n.failed || p.total !== n.total);
    if (older) return false;
    this.newest.delete(jobId);
    this.newest.set(jobId, p);
    if (this.newest.size > 10_000) this.newest.delete(this.newest.keys().next().value as string);
    return true;
  }

  /** Publish every held event now (shutdown). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.jobs.keys()].map((jobId) => this.flush(jobId)));
  }

  /** Jobs with a held event (tests, metrics). */
  get held(): number {
    return [...this.jobs.values()].filter((s) => s.pending !== null).length;
  }

  private async flush(jobId: string): Promise<void> {
    const state = this.jobs.get(jobId);
    if (!state) return;
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
    const progress = state.pending;
    if (progress === null) return;
    state.pending = null;
    state.lastEmitAt = this.now();
    try {
      await this.emit(jobId, progress);
    } catch (err) {
      this.onTrailingError(jobId, err);
    }
  }

  /** Forget jobs idle for a while (no held event), so the map stays small. */
  private sweep(t: number): void {
    if (this.jobs.size < 256) return;
    const idle = Math.max(60_000, this.intervalMs * 10);
    for (const [jobId, s] of this.jobs) if (s.pending === null && t - s.lastEmitAt > idle) this.jobs.delete(jobId);
  }
}
