import { DomainError } from '@framewire/contracts';
import { backoffDelay, DEFAULT_RETRY, outcomeForError } from './ack-policy';

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
    const err = new DomainError('DATABASE_UNAVAILABLE', 'connection refused');
    expect(outcomeForError(err, 1, DEFAULT_RETRY)).toMatchObject({ kind: 'nak', delayMs: 1000 });
    expect(outcomeForError(err, 3, DEFAULT_RETRY)).toMatchObject({ kind: 'nak', delayMs: 4000 });
    expect(outcomeForError(err, 4, DEFAULT_RETRY)).toEqual({ kind: 'dead', reason: 'connection refused' });
  });

  it('treats an unclassified throw as transient, never as success', () => {
    expect(outcomeForError(new TypeError('boom'), 1, DEFAULT_RETRY)).toMatchObject({ kind: 'nak' });
    expect(outcomeForError('weird', 1, DEFAULT_RETRY)).toMatchObject({ kind: 'nak', reason: 'weird' });
  });
});
