import { makeEvent } from '@framewire/contracts';
import { sseFrame, startOf } from './events.controller';

const JOB = '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60';

describe('SSE route', () => {
  it('starts from Last-Event-ID, else from the start or now', () => {
    expect(startOf(undefined, undefined)).toBe('start');
    expect(startOf('', 'now')).toBe('now');
    expect(startOf('41', 'now')).toEqual({ afterSequence: 41 });
    expect(() => startOf('yesterday', undefined)).toThrow(/Last-Event-ID/);
    expect(() => startOf(undefined, 'later')).toThrow(/from must be/);
  });

  it('frames an event with its sequence as id and its type as event name', () => {
    const event = makeEvent('frames', JOB, { frames_done: 3, frames_failed: 0, frames_total: 10 }, new Date(0));
    expect(sseFrame({ event, sequence: 7, subject: `fw.events.${JOB}.frames`, pending: 0 })).toBe(
      `id: 7\nevent: frames\ndata: ${JSON.stringify(event)}\n\n`,
    );
  });
});
