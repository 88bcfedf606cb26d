import { DomainError, makeEvent, type JobEvent } from '@framewire/contracts';
import type { Broker, CancellationRegistry, HandlerContext } from '@framewire/messaging';
import type { JobRecord } from '@framewire/persistence';
import type { ApplyEventResult, ProjectionStore } from './projection-store';
import pino from 'pino';
import { ProjectorService } from './projector.service';
import type { TracksBuilt, TracksService } from './tracks.service';

const JOB = '00000000-0000-4000-8000-0000000000aa';
const ctx = { msgId: 'm1' } as HandlerContext;

function projector(result: ApplyEventResult, final: () => Promise<TracksBuilt> = () => Promise.resolve(BUILT)) {
  const marked: Array<[string, string | null]> = [];
  const published: JobEvent[] = [];
  const queued: Array<{ subject: string; payload: unknown; msgId: string }> = [];
  const running: string[] = [];
  const stopped = { markFailed: (id: string, reason: string | null) => Promise.resolve(void marked.push([id, reason])) };
  const store = { applyEvent: () => Promise.resolve(result) } as unknown as ProjectionStore;
  const broker = {
    publishEvent: (e: JobEvent) => Promise.resolve(void published.push(e)),
    publishJson: (subject: string, payload: unknown, opts: { msgId: string }) => {
      queued.push({ subject, payload, msgId: opts.msgId });
      return Promise.resolve({});
    },
  } as unknown as Broker;
  const tracks = {
    buildFinal: final,
    buildRunning: (job: JobRecord) => void running.push(job.id),
  } as unknown as TracksService;
  const service = new ProjectorService(
    store,
    tracks,
    broker,
    stopped as unknown as CancellationRegistry,
    pino({ level: 'silent' }),
    'status-1',
  );
  return { service, marked, published, queued, running };
}

const BUILT: TracksBuilt = { stored: true, tracks: 3, text_tracks: 2, region_tracks: 1, frames: 10 };

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

describe('ProjectorService: text tracks', () => {
  const completedJob = {
    id: JOB,
    status: 'completed',
    frames_total: 10,
    frames_done: 10,
    frames_failed: 0,
    started_at: new Date(1000),
    finished_at: new Date(3000),
  } as JobRecord;
  const frames = makeEvent('frames', JOB, { frames_done: 10, frames_failed: 0, frames_total: 10 });

  it('stores the final tracks and announces them before `completed`', async () => {
    const { service, published } = projector({ outcome: 'applied', job: completedJob, changed: true, becameTerminal: 'completed' });
    await service.onEvent(frames, ctx);
    expect(published.map((e) => e.type)).toEqual(['tracks', 'completed']);
    expect(published[0]).toMatchObject({ tracks: 3, text_tracks: 2, region_tracks: 1, frames: 10, final: true, worker_id: 'status-1' });
  });

  it('announces nothing when the final build fails: the handler fails and the redelivery does it all', async () => {
    const down = () => Promise.reject(new DomainError('DATABASE_UNAVAILABLE', 'down'));
    const first = projector({ outcome: 'applied', job: completedJob, changed: true, becameTerminal: 'completed' }, down);
    await expect(first.service.onEvent(frames, ctx)).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(first.published).toEqual([]);
    const again = projector({ outcome: 'duplicate', job: completedJob });
    await again.service.onEvent(frames, ctx);
    expect(again.published.map((e) => e.type)).toEqual(['tracks', 'completed']);
  });

  it("builds a running job's tracks on `frames`, not on other events or once it is over", async () => {
    const runningJob = { ...completedJob, status: 'running' } as JobRecord;
    const a = projector({ outcome: 'applied', job: runningJob, changed: true, becameTerminal: null });
    await a.service.onEvent(frames, ctx);
    await a.service.onEvent(makeEvent('extracted', JOB, { frames_total: 3, frames_decoded: 3 }), ctx);
    expect(a.running).toEqual([JOB]);
    const b = projector({
      outcome: 'applied',
      job: { ...runningJob, status: 'cancelled' } as JobRecord,
      changed: false,
      becameTerminal: null,
    });
    await b.service.onEvent(frames, ctx);
    expect(b.running).toEqual([]);
  });
});

describe('ProjectorService: a terminal job with a callback_url queues its webhook', () => {
  const finished = new Date('2026-01-01T00:00:05Z');
  const hooked = { ...failedJob, callback_url: 'https://hooks.example/fw', finished_at: finished } as JobRecord;
  const webhook = {
    subject: 'fw.work.webhook',
    payload: { v: 1, job_id: JOB, event: 'failed', at: finished.toISOString() },
    msgId: `${JOB}:webhook:failed`,
  };

  it('once the event moves the job into a terminal state, keyed by job and status', async () => {
    const { service, queued } = projector({ outcome: 'applied', job: hooked, changed: true, becameTerminal: 'failed' });
    await service.onEvent(failed, ctx);
    expect(queued).toEqual([webhook]);
  });

  it('again on a redelivery (the same message id: the stream drops the copy)', async () => {
    const { service, queued } = projector({ outcome: 'duplicate', job: hooked });
    await service.onEvent(failed, ctx);
    expect(queued).toEqual([webhook]);
  });

  it('not for a job without a callback_url, nor for one still running', async () => {
    const none = projector({ outcome: 'applied', job: { ...hooked, callback_url: null }, changed: true, becameTerminal: 'failed' });
    await none.service.onEvent(failed, ctx);
    const running = { ...hooked, status: 'running' } as JobRecord;
    const notYet = projector({ outcome: 'applied', job: running, changed: true, becameTerminal: null });
    await notYet.service.onEvent(makeEvent('extracted', JOB, { frames_total: 3, frames_decoded: 3 }), ctx);
    const dup = projector({ outcome: 'duplicate', job: running });
    await dup.service.onEvent(makeEvent('extracted', JOB, { frames_total: 3, frames_decoded: 3 }), ctx);
    expect([...none.queued, ...notYet.queued, ...dup.queued]).toEqual([]);
  });
});
