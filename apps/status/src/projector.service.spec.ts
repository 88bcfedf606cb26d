import { makeEvent } from '@framewire/contracts';
import type { Broker, CancellationRegistry, HandlerContext } from '@framewire/messaging';
import type { JobRecord } from '@framewire/persistence';
import type { ApplyEventResult, ProjectionStore } from './projection-store';
import pino from 'pino';
import { ProjectorService } from './projector.service';

const JOB = '00000000-0000-4000-8000-0000000000aa';
const ctx = { msgId: 'm1' } as HandlerContext;

function projector(result: ApplyEventResult) {
  const marked: Array<[string, string | null]> = [];
  const published: Array<{ subject: string; payload: unknown; msgId: string }> = [];
  const stopped = { markFailed: (id: string, reason: string | null) => Promise.resolve(void marked.push([id, reason])) };
  const store = { applyEvent: () => Promise.resolve(result) } as unknown as ProjectionStore;
  const broker = {
    publishEvent: () => Promise.resolve({}),
    publishJson: (subject: string, payload: unknown, opts: { msgId: string }) => {
      published.push({ subject, payload, msgId: opts.msgId });
      return Promise.resolve({});
    },
  } as unknown as Broker;
  const service = new ProjectorService(store, broker, stopped as unknown as CancellationRegistry, pino({ level: 'silent' }), 'status-1');
  return { service, marked, published };
}

const failedJob = { id: JOB, status: 'failed', error_message: 'model exploded' } as JobRecord;
const failed = makeEvent('failed', JOB, { stage: 'inference', error_code: 'INTERNAL', error_message: 'model exploded' });

describe('ProjectorService: a failed job is recorded as stopped', () => {
  it('records the job when the event moves it into failed', async () => {
    const { service, marked } = projector({ outcome: 'applied', job: failedJob, changed: true, becameTerminal: 'failed' });
    await service.onEvent(failed, ctx);
    expect(marked).toEqual([[JOB, 'model exploded']]);
  });

  it('records it again on a redelivery after the projection committed (idempotent)', async () => {
    const { service, marked } = projector({ outcome: 'duplicate', job: failedJob });
    await service.onEvent(failed, ctx);
    expect(marked).toEqual([[JOB, 'model exploded']]);
  });

  it('records nothing for a job that did not fail', async () => {
    const running = { ...failedJob, status: 'running', error_message: null } as JobRecord;
    const { service, marked } = projector({ outcome: 'applied', job: running, changed: true, becameTerminal: null });
    await service.onEvent(makeEvent('extracted', JOB, { frames_total: 3, frames_decoded: 3 }), ctx);
    expect(marked).toEqual([]);
  });
});

describe('ProjectorService: a terminal job with a callback_url queues its webhook', () => {
  const finished = new Date('2026-01-01T00:00:05Z');
  const hooked = { ...failedJob, callback_url: 'https://hooks.example/fw', finished_at: finished } as JobRecord;
  const queued = {
    subject: 'fw.work.webhook',
    payload: { v: 1, job_id: JOB, event: 'failed', at: finished.toISOString() },
    msgId: `${JOB}:webhook:failed`,
  };

  it('once the event moves the job into a terminal state, keyed by job and status', async () => {
    const { service, published } = projector({ outcome: 'applied', job: hooked, changed: true, becameTerminal: 'failed' });
    await service.onEvent(failed, ctx);
    expect(published).toEqual([queued]);
  });

  it('again on a redelivery (the same message id: the stream drops the copy)', async () => {
    const { service, published } = projector({ outcome: 'duplicate', job: hooked });
    await service.onEvent(failed, ctx);
    expect(published).toEqual([queued]);
  });

  it('not for a job without a callback_url, nor for one still running', async () => {
    const none = projector({ outcome: 'applied', job: { ...hooked, callback_url: null }, changed: true, becameTerminal: 'failed' });
    await none.service.onEvent(failed, ctx);
    const running = { ...hooked, status: 'running' } as JobRecord;
    const notYet = projector({ outcome: 'applied', job: running, changed: true, becameTerminal: null });
    await notYet.service.onEvent(makeEvent('extracted', JOB, { frames_total: 3, frames_decoded: 3 }), ctx);
    const dup = projector({ outcome: 'duplicate', job: running });
    await dup.service.onEvent(makeEvent('extracted', JOB, { frames_total: 3, frames_decoded: 3 }), ctx);
    expect([...none.published, ...notYet.published, ...dup.published]).toEqual([]);
  });
});
