import type { Logger } from './logger';

export interface WaitForOptions {
  /** What is being waited for, for the log line ("Postgres", "the object store"). */
  what: string;
  /** True for an error that means "not there yet" (an outage); anything else is thrown at once. */
  isUnavailable(err: unknown): boolean;
  /** Give up (throw the last error) after this long. */
  maxWaitMs: number;
  logger?: Logger;
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
}

/**
 * Run `fn` until it succeeds, waiting out an outage with capped exponential
 * backoff: a replica that starts (or restarts after a crash) while a
 * dependency is down waits for it instead of exiting, so an outage delays
 * the system and never turns into a crash loop. A misconfiguration is not an
 * outage and fails at once.
 */
export async function waitFor<T>(fn: () => Promise<T>, opts: WaitForOptions): Promise<T> {
  const started = Date.now();
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await fn();
      if (attempt > 1) opts.logger?.info({ waited_ms: Date.now() - started }, `${opts.what} is available`);
      return value;
    } catch (err) {
      const waited = Date.now() - started;
      if (!opts.isUnavailable(err) || waited >= opts.maxWaitMs || opts.signal?.aborted) throw err;
      const delay = Math.min(cap, base * 2 ** Math.min(attempt - 1, 20), Math.max(0, opts.maxWaitMs - waited));
      opts.logger?.warn({ err, attempt, retry_in_ms: delay }, `${opts.what} is unavailable; waiting for it`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
