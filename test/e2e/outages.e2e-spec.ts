/**
 * Outages delay jobs, never fail them; one bad message harms nobody else:
 * a 30 s Postgres cut during a live job, a poison persist message, and a job
 * that fails mid-way, with every app running as its own process.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { eventSubject, makeEvent, STREAMS, WORK_SUBJECTS, type FrameResultV1 } from '@framewire/contracts';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { parseExposition, sampleSum } from '../support/prometheus';
import { eventually, startSystem, type RunningApp, type TestSystem } from '../support/system';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(180_000);

interface Job {
  job_id: string;
  status: string;
  progress: { frames_done: number; frames_failed: number; frames_total: number | null };
  error: { code: string; message: string } | null;
}

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; error?: string }>;
}

describe('outages and poison messages', () => {
  let sys: TestSystem;
  let proxy: TcpProxy;
  let fixtures: string;
  let video: string;
  let nc: NatsConnection;
  let persister: RunningApp;
  let status: RunningApp;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({
      path: join(fixtures, 'outage.mp4'),
      width: 320,
      height: 240,
      frames: 120,
      texts: [{ text: 'OUTAGE 7', fromFrame: 0, toFrame: 119, x: 20, y: 40, fontSize: 36 }],
    });
    // The apps that write Postgres reach it through a proxy the test can cut; AckWait is short, so an
    // outage longer than it would spend deliveries if held messages were not heart-beaten.
    sys = await startSystem({
      replicas: { status: 0, persister: 0 },
      env: { FW_ACK_WAIT_MS: '4000', FW_RETRY_BASE_MS: '200', FW_OUTAGE_RETRY_MAX_MS: '2000', FW_PROGRESS_INTERVAL_MS: '100' },
    });
    const url = new URL(sys.db.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    status = await sys.start('status', { FW_DATABASE_URL: url.toString() });
    persister = await sys.start('persister', { FW_DATABASE_URL: url.toString() });
    nc = await connect({ servers: sys.nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await sys?.stop();
    await proxy?.close();
    await removeFixtureDir(fixtures);
  });

  async function submit(fields: Record<string, string>): Promise<string> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([await readFile(video)]), 'video.mp4');
    const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    return ((await res.json()) as { job_id: string }).job_id;
  }

  const getJob = async (id: string) => (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as Job;

  const until = (id: string, pred: (j: Job) => boolean, what: string, ms = 120_000) =>
    eventually(
      async () => {
        const j = await getJob(id);
        return pred(j) ? j : undefined;
      },
      ms,
      what,
    );

  const finished = (id: string) => until(id, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), `job ${id} to finish`);

  async function rows(id: string): Promise<{ total: number; distinct: number }> {
    const r = (await sys.db.dataSource.query(
      'SELECT count(*)::int AS total, count(DISTINCT frame_index)::int AS distinct FROM frame_results WHERE job_id = $1',
      [id],
    )) as Array<{ total: number; distinct: number }>;
    return r[0];
  }

  async function metric(app: RunningApp, name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${app.opsUrl}/metrics`)).text();
    return sampleSum(parseExposition(text), name, labels) ?? 0;
  }

  async function dlqMessages(): Promise<number> {
    return (await (await jetstreamManager(nc)).streams.info(STREAMS.dlq)).state.messages;
  }

  it('a 30 s Postgres outage mid-job delays the job but fails nothing, and readiness shows it meanwhile', async () => {
    const id = await submit({ pipeline_id: 'text_regions', frame_stride: '1' });
    await until(id, (j) => j.progress.frames_done >= 5, 'some frames done');
    await proxy.cut();
    const t0 = Date.now();
    try {
      const paused = await eventually(
        async () => {
          const r = (await (await fetch(`${persister.opsUrl}/readyz`)).json()) as Readiness;
          return r.checks.outage?.ok === false ? r : undefined;
        },
        20_000,
        'the persister to report the outage',
      );
      expect(paused.status).toBe('unavailable');
      expect(paused.checks.outage?.error).toMatch(/^paused: database unavailable since \d{4}-\d\d-\d\dT/);
      expect(await metric(persister, 'framewire_outage_paused', { dependency: 'database' })).toBe(1);
      // Hold the cut for 30 s in all: far beyond AckWait and the old retry budget (0.2 + 0.4 + 0.8 s).
      await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - t0))));
    } finally {
      await proxy.heal();
    }
    const job = await finished(id);
    expect(job.status).toBe('completed');
    expect(job.error).toBeNull();
    expect(job.progress).toMatchObject({ frames_done: 120, frames_failed: 0, frames_total: 120 });
    expect(await rows(id)).toEqual({ total: 120, distinct: 120 });
    expect(await metric(persister, 'framewire_outage_retries_total', { dependency: 'database' })).toBeGreaterThan(0);
    expect(await metric(persister, 'framewire_outage_paused', { dependency: 'database' })).toBe(0);
    expect(await metric(persister, 'framewire_messages_total', { outcome: 'dead' })).toBe(0);
    await eventually(
      async () => ((await (await fetch(`${status.opsUrl}/readyz`)).json()) as Readiness).status === 'ok',
      20_000,
      'status ready',
    );
    expect(await dlqMessages()).toBe(0);
  });

  it('a poison persist message (a result for a job that does not exist) is dropped and counted; the live job completes', async () => {
    const id = await submit({ pipeline_id: 'text_regions', frame_stride: '4' });
    await until(id, (j) => j.progress.frames_done >= 2, 'some frames done');
    const before = await metric(persister, 'framewire_results_dropped_total', { reason: 'unknown_job' });
    const ghost = randomUUID();
    const poison: FrameResultV1 = {
      v: 1,
      job_id: ghost,
      frame_index: 0,
      pts_ms: 0,
      result: {},
      error: null,
      timings_ms: {},
      worker_id: 'poison',
    };
    await jetstream(nc).publish(WORK_SUBJECTS.persist, JSON.stringify(poison), { msgID: `poison-${ghost}` });
    const job = await finished(id);
    expect(job.status).toBe('completed');
    expect(job.progress).toMatchObject({ frames_done: 30, frames_failed: 0, frames_total: 30 });
    await eventually(
      async () => (await metric(persister, 'framewire_results_dropped_total', { reason: 'unknown_job' })) === before + 1,
      10_000,
      'the poison result to be counted as dropped',
    );
    expect(await rows(ghost)).toEqual({ total: 0, distinct: 0 });
    expect(sys.logsOf('persister')).toContain(ghost);
    expect(await dlqMessages()).toBe(0);
  });

  it('a job that fails mid-way has its remaining frames dropped, not handled and not dead-lettered', async () => {
    const inference = sys.apps.find((a) => a.app === 'inference')!;
    const droppedBefore = await metric(inference, 'framewire_messages_total', { consumer: 'inference', outcome: 'dropped' });
    const id = await submit({ pipeline_id: 'text_regions', frame_stride: '1' });
    await until(id, (j) => j.progress.frames_done >= 3, 'some frames done');
    // As a stage reports a failure it gave up on.
    const failed = makeEvent('failed', id, { stage: 'inference', error_code: 'INTERNAL', error_message: 'failed on purpose by the test' });
    await jetstream(nc).publish(eventSubject(id, 'failed'), JSON.stringify(failed), { msgID: `${id}:failed:test` });
    const job = await until(id, (j) => j.status === 'failed', 'the job to fail');
    expect(job.error).toMatchObject({ code: 'INTERNAL', message: 'failed on purpose by the test' });
    await eventually(
      async () => (await metric(inference, 'framewire_messages_total', { consumer: 'inference', outcome: 'dropped' })) > droppedBefore,
      20_000,
      "the failed job's queued frames to be dropped",
    );
    // Work stops well short of the 120 frames; nothing is dead-lettered and no stage fails the job again.
    await new Promise((r) => setTimeout(r, 3000));
    const a = await rows(id);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await rows(id)).toEqual(a);
    expect(a.total).toBeLessThan(120);
    expect(await dlqMessages()).toBe(0);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(STREAMS.events, { subjects_filter: eventSubject(id, 'failed') });
    expect(info.state.subjects).toEqual({ [eventSubject(id, 'failed')]: 1 });
  });
});
