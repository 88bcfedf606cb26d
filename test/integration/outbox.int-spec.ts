import { randomUUID } from 'node:crypto';
import { msgIds, STREAMS, WORK_SUBJECTS } from '@framewire/contracts';
import { Broker, DEFAULT_TOPOLOGY, provisionStreams } from '@framewire/messaging';
import { JobsRepository, openDataSource, OutboxRepository, type OutboxMessage } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import pino from 'pino';
import { loadIntakeConfig } from '../../apps/intake/src/config';
import { OutboxRelay } from '../../apps/intake/src/jobs/outbox-relay';
import { submitMessages } from '../../apps/intake/src/jobs/submit-messages';
import { eventually } from '../support/system';
import { startNatsServer, type TestNats } from '../support/nats-server';
import { startTcpProxy } from '../support/tcp-proxy';

jest.setTimeout(60_000);
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });

/**
 * The submit outbox against a real Postgres and a private nats-server: what a
 * crashed request left in the outbox is published by the relay exactly once,
 * in each job's order, by however many relays; a NATS outage leaves the rows
 * in place until NATS is back.
 */
describe('outbox: the relay publishes what a crash or an outage left behind', () => {
  let nats: TestNats;
  let db: TestDatabase;
  let broker: Broker;
  let jobs: JobsRepository;
  let outbox: OutboxRepository;
  /** Every publish the relays made, in order (what the stream deduplicated included). */
  let published: OutboxMessage[];
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestDatabase();
    broker = await Broker.connect({ servers: nats.url, name: 'outbox-test', logger, publishTimeoutMs: 1000 });
    await provisionStreams(broker.jsm, DEFAULT_TOPOLOGY);
    jobs = new JobsRepository(db.dataSource);
    outbox = new OutboxRepository(db.dataSource);
  });

  beforeEach(() => {
    published = [];
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.beforeApplicationShutdown()));
  });

  afterAll(async () => {
    await broker?.drain();
    await nats?.stop();
    await db?.drop();
  });

  /** A relay as intake builds it, with no minimum age, that records what it publishes. */
  function relay(): OutboxRelay {
    const config = loadIntakeConfig({ FW_OUTBOX_RELAY_MIN_AGE_MS: '0', FW_OUTBOX_RELAY_INTERVAL_MS: '60000' });
    const recording = Object.create(broker) as Broker;
    recording.publish = async (subject, data, opts) => {
      const ack = await broker.publish(subject, data, opts);
      published.push({
        id: '',
        job_id: opts.jobId ?? '',
        subject,
        msg_id: opts.msgId,
        payload: new Uint8Array(),
        headers: opts.headers ?? {},
      });
      return ack;
    };
    const r = new OutboxRelay(config, logger, outbox, recording);
    relays.push(r);
    return r;
  }

  /** A submit that crashed after its commit: the job and its messages are stored, nothing is published. */
  async function crashedSubmit(): Promise<string> {
    const id = randomUUID();
    const res = await jobs.createPending(
      {
        id,
        pipeline_id: 'text_regions',
        input_key: `inputs/${id}/video`,
        input_size: 1,
        input_sha256: 'ab',
        frame_stride: 1,
        max_frames: null,
      },
      (job) => submitMessages(job, `trace-${id}`),
    );
    expect(res.outbox.map((m) => m.subject)).toEqual([`fw.events.${id}.submitted`, WORK_SUBJECTS.extract]);
    return id;
  }

  /** Tick the relay until the outbox is empty. */
  async function untilEmpty(r: OutboxRelay, what: string): Promise<void> {
    await eventually(
      async () => {
        await r.tick();
        return (await outbox.count()) === 0;
      },
      30_000,
      what,
    );
  }

  async function inStream(stream: string, subject: string): Promise<number> {
    const info = await broker.jsm.streams.info(stream, { subjects_filter: subject });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  }

  it('publishes a crashed submit exactly once, however often and by however many relays it runs', async () => {
    await broker.jsm.streams.purge(STREAMS.work);
    const ids = await Promise.all(Array.from({ length: 30 }, () => crashedSubmit()));
    expect(await outbox.count()).toBe(60);

    const [a, b] = [relay(), relay()];
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    await Promise.all([a.tick(), b.tick()]);

    expect(await outbox.count()).toBe(0);
    // Row locks shared the rows: every message was published once, not once per relay.
    expect(published).toHaveLength(60);
    expect(new Set(published.map((m) => m.msg_id)).size).toBe(60);
    expect(await inStream(STREAMS.work, WORK_SUBJECTS.extract)).toBe(30);
    for (const id of ids) {
      expect(await inStream(STREAMS.events, `fw.events.${id}.submitted`)).toBe(1);
      // Each job's event went out before its work.
      const order = published.filter((m) => m.job_id === id).map((m) => m.msg_id);
      expect(order).toEqual([msgIds.event(id, 'submitted'), msgIds.extract(id)]);
    }
    const extract = await broker.jsm.streams.getMessage(STREAMS.work, { last_by_subj: WORK_SUBJECTS.extract });
    if (!extract) throw new Error('no extract message in the stream');
    const jobId = extract.json<{ job_id: string }>().job_id;
    expect(extract.header.get('Fw-Trace-Id')).toBe(`trace-${jobId}`);
    expect(extract.header.get('Nats-Msg-Id')).toBe(msgIds.extract(jobId));
  });

  it('a message published again (its row outlived the publish) is deduplicated by its Nats-Msg-Id', async () => {
    await broker.jsm.streams.purge(STREAMS.work);
    const id = await crashedSubmit();
    await db.dataSource.query(
      `CREATE TABLE "saved_outbox" AS SELECT "job_id", "subject", "msg_id", "payload", "headers" FROM "outbox" WHERE "job_id" = $1`,
      [id],
    );
    const r = relay();
    await r.tick();
    // As if the relay had died after its publish, before its delete committed.
    await db.dataSource.query(`INSERT INTO "outbox" ("job_id", "subject", "msg_id", "payload", "headers") SELECT * FROM "saved_outbox"`);
    await r.tick();
    expect(published.map((m) => m.msg_id)).toEqual([
      msgIds.event(id, 'submitted'),
      msgIds.extract(id),
      msgIds.event(id, 'submitted'),
      msgIds.extract(id),
    ]);
    expect(await outbox.count()).toBe(0);
    expect(await inStream(STREAMS.work, WORK_SUBJECTS.extract)).toBe(1);
    expect(await inStream(STREAMS.events, `fw.events.${id}.submitted`)).toBe(1);
  });

  it('a NATS outage leaves the rows in place; they go out once NATS is back', async () => {
    await broker.jsm.streams.purge(STREAMS.work);
    const id = await crashedSubmit();
    const r = relay();
    const back = nats.restart(4000);
    await new Promise((res) => setTimeout(res, 300));
    // The tick fails (publish timeout) without throwing; nothing is lost.
    await r.tick();
    expect(await outbox.count()).toBe(2);
    await back;
    await untilEmpty(r, 'the relay to empty the outbox after the outage');
    expect(await inStream(STREAMS.work, WORK_SUBJECTS.extract)).toBe(1);
    expect(await inStream(STREAMS.events, `fw.events.${id}.submitted`)).toBe(1);
  });

  it('a Postgres outage is logged once and retried every tick; the rows go out when it is back', async () => {
    await broker.jsm.streams.purge(STREAMS.work);
    const id = await crashedSubmit();
    const url = new URL(db.url);
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    const ds = await openDataSource({ url: url.toString(), poolSize: 2, connectTimeoutMs: 1000 });
    const lines: string[] = [];
    const captured = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const config = loadIntakeConfig({ FW_OUTBOX_RELAY_MIN_AGE_MS: '0', FW_OUTBOX_RELAY_INTERVAL_MS: '60000' });
    const r = new OutboxRelay(config, captured, new OutboxRepository(ds), broker);
    relays.push(r);
    try {
      await proxy.cut();
      await r.tick();
      await r.tick();
      await r.tick();
      expect(lines.filter((l) => l.includes('outbox relay failed'))).toHaveLength(1);
      expect(await outbox.count()).toBe(2);
      await proxy.heal();
      await untilEmpty(r, 'the relay to empty the outbox after the database outage');
      expect(lines.filter((l) => l.includes('outbox relay recovered'))).toHaveLength(1);
      expect(await inStream(STREAMS.work, WORK_SUBJECTS.extract)).toBe(1);
      expect(await inStream(STREAMS.events, `fw.events.${id}.submitted`)).toBe(1);
    } finally {
      await r.beforeApplicationShutdown();
      await ds.destroy().catch(() => undefined);
      await proxy.close();
    }
  });

  it('the fast path publishes a new job at once and clears its rows', async () => {
    await broker.jsm.streams.purge(STREAMS.work);
    const id = randomUUID();
    const res = await jobs.createPending(
      {
        id,
        pipeline_id: 'text_regions',
        input_key: `inputs/${id}/video`,
        input_size: 1,
        input_sha256: 'ab',
        frame_stride: 1,
        max_frames: null,
      },
      (job) => submitMessages(job, 'trace-fast'),
    );
    await relay().publishNow(res.outbox);
    expect(await outbox.count()).toBe(0);
    expect(await inStream(STREAMS.work, WORK_SUBJECTS.extract)).toBe(1);
  });

  it('writes no messages for a job whose idempotency key is taken', async () => {
    const key = randomUUID();
    const input = (id: string) => ({
      id,
      pipeline_id: 'text_regions',
      input_key: `inputs/${id}/video`,
      input_size: 1,
      input_sha256: 'ab',
      frame_stride: 1,
      max_frames: null,
      idempotency_key: key,
    });
    const first = await jobs.createPending(input(randomUUID()), (job) => submitMessages(job, 't'));
    const second = await jobs.createPending(input(randomUUID()), (job) => submitMessages(job, 't'));
    expect(second).toMatchObject({ created: false, outbox: [] });
    expect(second.job.id).toBe(first.job.id);
    const rows = await db.dataSource.query<Array<{ job_id: string }>>(`SELECT "job_id" FROM "outbox" WHERE "job_id" = ANY($1::uuid[])`, [
      [first.job.id, second.job.id],
    ]);
    expect(rows).toHaveLength(2);
  });
});
