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
