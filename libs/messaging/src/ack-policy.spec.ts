import { DomainError } from '@framewire/contracts';
import { backoffDelay, DEFAULT_RETRY, formatDuration, outageOf, outageStep, outcomeForError } from './ack-policy';

describe('ack policy', () => {
  it('backs off exponentially from one second', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, DEFAULT_RETRY))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('caps the backoff', () => {
    expect(backoffDelay(40, { maxDeliver: 50, baseDelayMs: 1000, maxDelayMs: 5000 })).toBe(5000);
  });

  it('terms a permanent domain error at once, whatever the delivery count', () => {
    const err = new DomainError('INVALID_VIDEO', 'file is not a video');
    expect(outcomeForError(err, 1, DEFAULT_RETRY)).toEqual({ kind: 'term', reason: 'file is not a video' });
  });

  it('naks a transient error with backoff until the last delivery, then dead-letters it', () => {
    // (An outage error never gets here: the worker holds the message instead, see outageOf.)
    const err = new DomainError('TIMEOUT', 'connection refused');
    expect(outcomeForError(err, 1, DEFAULT_RETRY)).toMatchObject({ kind: 'nak', delayMs: 1000 });
    expect(outcomeForError(err, 3, DEFAULT_RETRY)).toMatchObject({ kind: 'nak', delayMs: 4000 });
    expect(outcomeForError(err, 4, DEFAULT_RETRY)).toEqual({ kind: 'dead', reason: 'connection refused' });
  });

  it('treats an unclassified throw as transient, never as success', () => {
    expect(outcomeForError(new TypeError('boom'), 1, DEFAULT_RETRY)).toMatchObject({ kind: 'nak' });
    expect(outcomeForError('weird', 1, DEFAULT_RETRY)).toMatchObject({ kind: 'nak', reason: 'weird' });
  });

  it('names the dependency an outage error is about, and nothing else is an outage', () => {
    expect(outageOf(new DomainError('DATABASE_UNAVAILABLE', 'down'))).toBe('database');
    expect(outageOf(new DomainError('STORAGE_UNAVAILABLE', 'down'))).toBe('storage');
    expect(outageOf(new DomainError('BROKER_UNAVAILABLE', 'down'))).toBe('broker');
    expect(outageOf(new DomainError('TIMEOUT', 'slow'))).toBeNull();
    expect(outageOf(new DomainError('INTERNAL', 'bug'))).toBeNull();
    expect(outageOf(new Error('connect ECONNREFUSED'))).toBeNull();
  });

  it('retries an outage with capped doubling backoff, never waiting past the tolerance, then gives up', () => {
    const policy = { toleranceMs: 10_000, baseDelayMs: 1000, maxDelayMs: 3000 };
    expect([1, 2, 3, 4].map((n) => outageStep(n, 0, policy))).toEqual([
      { kind: 'retry', delayMs: 1000 },
      { kind: 'retry', delayMs: 2000 },
      { kind: 'retry', delayMs: 3000 },
      { kind: 'retry', delayMs: 3000 },
    ]);
    expect(outageStep(5, 9500, policy)).toEqual({ kind: 'retry', delayMs: 500 });
    expect(outageStep(6, 10_000, policy)).toEqual({ kind: 'give-up' });
  });

  it('says a tolerance as people do', () => {
    expect(formatDuration(30 * 60_000)).toBe('30 min');
    expect(formatDuration(90_000)).toBe('90 s');
    expect(formatDuration(250)).toBe('250 ms');
  });
});
