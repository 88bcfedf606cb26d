import { describeError, isDomainError } from '@framewire/contracts';

/**
 * Every handled message ends in exactly one of these. Pure: the worker asks,
 * this answers, and unit tests pin the policy down.
 */
export type AckOutcome =
  | { kind: 'ack' }
  | { kind: 'nak'; delayMs: number; reason: string }
  | { kind: 'term'; reason: string }
  /** Transient failure on the last allowed delivery: dead-letter it, then term. */
  | { kind: 'dead'; reason: string };

export interface RetryPolicy {
  /** Deliveries allowed in all (first try included); mirrors the consumer's MaxDeliver. */
  maxDeliver: number;
  /** Backoff before redelivery n+1 is baseDelayMs * 2^(n-1), capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxDeliver: 4, baseDelayMs: 1000, maxDelayMs: 60_000 };

export function backoffDelay(deliveryCount: number, policy: RetryPolicy): number {
  const exp = Math.max(0, deliveryCount - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exp, 30));
}

/**
 * Classify a handler's failure. A DomainError that is not retryable is
 * permanent; anything else (including errors nobody classified) is transient,
 * never silently acked.
 */
export function outcomeForError(err: unknown, deliveryCount: number, policy: RetryPolicy): AckOutcome {
  const reason = describeError(err);
  if (isDomainError(err) && !err.retryable) return { kind: 'term', reason };
  if (deliveryCount >= policy.maxDeliver) return { kind: 'dead', reason };
  return { kind: 'nak', delayMs: backoffDelay(deliveryCount, policy), reason };
}

/** The consumer-side backoff list the server applies when AckWait expires (a dead worker). */
export function serverBackoff(policy: RetryPolicy, ackWaitMs: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < policy.maxDeliver + 2; n++) out.push(Math.max(ackWaitMs, backoffDelay(n, policy)));
  return out;
}

/** A dependency whose outage pauses work instead of spending the message's deliveries. */
export type OutageDependency = 'database' | 'storage' | 'broker';

const OUTAGE_CODES: ReadonlyMap<string, OutageDependency> = new Map([
  ['DATABASE_UNAVAILABLE', 'database'],
  ['STORAGE_UNAVAILABLE', 'storage'],
  ['BROKER_UNAVAILABLE', 'broker'],
]);

/**
 * The dependency that is down when `err` says one is (a DomainError with
 * DATABASE_UNAVAILABLE, STORAGE_UNAVAILABLE or BROKER_UNAVAILABLE), else null.
 * Such a failure is not the message's fault: the worker holds the message and
 * retries it in-process instead of nak-ing it (see OutagePolicy).
 */
export function outageOf(err: unknown): OutageDependency | null {
  return isDomainError(err) ? (OUTAGE_CODES.get(err.code) ?? null) : null;
}

export interface OutagePolicy {
  /** How long one message may be held through an outage before it is given up like a dead message. */
  toleranceMs: number;
  /** In-process retries wait baseDelayMs, doubling, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_OUTAGE: OutagePolicy = { toleranceMs: 30 * 60_000, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * What to do after attempt `attempt` (1-based) of a held message failed with
 * an outage `heldMs` after the hold began: wait and retry, or give up (the
 * outage outlasted the tolerance). The wait never runs past the tolerance.
 */
export function outageStep(
  attempt: number,
  heldMs: number,
  policy: OutagePolicy,
): { kind: 'retry'; delayMs: number } | { kind: 'give-up' } {
  if (heldMs >= policy.toleranceMs) return { kind: 'give-up' };
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return { kind: 'retry', delayMs: Math.max(0, Math.min(delay, policy.toleranceMs - heldMs)) };
}

/** "30 min", "90 s", "250 ms": a tolerance as people say it. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
