import type { Logger } from './logger';

export interface PeriodicTaskOptions {
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  /** Delay before the first run after start() (default 0: at once). */
  firstRunDelayMs?: number;
  /**
   * A run that has not settled after this long counts as failed and the
   * schedule goes on; the run itself is abandoned, not awaited (a read stuck
   * on a dependency that went away must not stop the task).
   */
  timeoutMs?: number;
  logger: Logger;
  /** Logged (warn, with the error) when runs start failing, once per streak of failures. */
  failingMessage: string;
  /** Logged (info) when a run succeeds after failures. */
  recoveredMessage: string;
}

/**
 * A background job of an app that runs every so often, owned in one place:
 * runs never overlap (asking for one while another is out joins it), a
 * failure is logged once per outage and retried on the next run, and stop()
 * ends the schedule and waits for the run in flight, so shutdown never cuts a
 * run short under its connections. The timers never keep the process alive.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private failing = false;
  private started = false;
  private stopped = false;

  constructor(
    private readonly opts: PeriodicTaskOptions,
    private readonly work: () => Promise<void>,
  ) {}

  /** True once stop() was called: long runs check it to end early. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** True while the last run failed. */
  get isFailing(): boolean {
    return this.failing;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(this.opts.firstRunDelayMs ?? 0);
  }

  /** One run now, or the one already out. Never rejects: a failure is logged and left for the next run. */
  runNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.inFlight ??= this.runOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** No more runs; resolves when the run in flight (if any) has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNow().finally(() => this.schedule(this.opts.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      const run = this.work();
      if (this.opts.timeoutMs === undefined) await run;
      else {
        const limit = this.opts.timeoutMs;
        await Promise.race([
          run,
          new Promise<never>((_, reject) => {
            timeout = setTimeout(() => reject(new Error(`no answer within ${limit} ms`)), limit);
          }),
        ]);
      }
      if (this.failing) this.opts.logger.info(this.opts.recoveredMessage);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.opts.logger.warn({ err }, this.opts.failingMessage);
      this.failing = true;
    } finally {
      clearTimeout(timeout);
    }
  }
}
