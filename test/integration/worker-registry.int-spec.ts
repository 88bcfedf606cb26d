import pino from 'pino';
import type { ActivitySnapshot, Metrics } from '@framewire/observability';
import { Broker, WorkerHeartbeat, WorkerRegistry, WORKERS_BUCKET, workerEntry, type WorkerRegistrySettings } from '@framewire/messaging';
import type { Stage } from '@framewire/contracts';
import { startNatsServer, type TestNats } from '../support/nats-server';
import { eventually } from '../support/system';

jest.setTimeout(60_000);
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });

const SETTINGS: WorkerRegistrySettings = { heartbeatIntervalMs: 200, ttlMs: 1000 };
const STREAM = `KV_${WORKERS_BUCKET}`;

const activity = (jobs: number): ActivitySnapshot => ({
  started_at: new Date().toISOString(),
  uptime_s: 1,
  jobs_processed: jobs,
  jobs_failed: 0,
  frames_processed: jobs * 10,
  frames_failed: 0,
  messages_handled: jobs * 11,
  redeliveries: 0,
  in_flight: 0,
});

function entry(stage: Stage, id: string, at = new Date()) {
  return workerEntry({ workerId: id, stage, host: 'h', pid: 1, version: '0.1.0' }, activity(1), at);
}

/** The worker registry on a real NATS 2.9 server: the bucket's max age, deletes, outages. */
describe('worker registry (NATS KV)', () => {
  let nats: TestNats;
  let broker: Broker;
  let registry: WorkerRegistry;

  beforeAll(async () => {
    nats = await startNatsServer();
    broker = await Broker.connect({ servers: nats.url, name: 'registry-test', logger });
    registry = await WorkerRegistry.open(broker, SETTINGS);
  });

  afterAll(async () => {
    await broker?.drain();
    await nats?.stop();
  });

  it('is a bucket with one value per key whose max age is the TTL (expiry on the server, NATS 2.9)', async () => {
    const info = await broker.jsm.streams.info(STREAM);
    expect(info.config.max_age).toBe(SETTINGS.ttlMs * 1_000_000);
    expect(info.config.max_msgs_per_subject).toBe(1);
    // Opening it again (every replica does) binds to it.
    await expect(WorkerRegistry.open(broker, SETTINGS)).resolves.toBeInstanceOf(WorkerRegistry);
  });

  it('lists what replicas wrote, by stage, and forgets a deleted entry', async () => {
    await registry.put(entry('inference', 'inference-b'), 2000);
    await registry.put(entry('inference', 'inference-a'), 2000);
    await registry.put(entry('status', 'status-a'), 2000);
    expect((await registry.live()).map((w) => `${w.stage}/${w.worker_id}`)).toEqual([
      'inference/inference-a',
      'inference/inference-b',
      'status/status-a',
    ]);
    expect((await registry.live('status')).map((w) => w.worker_id)).toEqual(['status-a']);
    expect(await registry.live('extractor')).toEqual([]);
    await registry.remove('inference', 'inference-b');
    expect((await registry.live('inference')).map((w) => w.worker_id)).toEqual(['inference-a']);
  });

  it('drops an entry that stopped heart-beating: the server expires it by the bucket max age', async () => {
    await registry.put(entry('extractor', 'extractor-gone'), 2000);
    expect((await registry.entries('extractor')).map((e) => e.worker_id)).toEqual(['extractor-gone']);
    await eventually(async () => (await registry.entries('extractor')).length === 0, 5000, 'the server to expire the entry');
  });

  it('ignores an entry older than the TTL even while the server still holds it', async () => {
    await registry.put(entry('persister', 'persister-stale', new Date(Date.now() - 5000)), 2000);
    expect((await registry.entries('persister')).map((e) => e.worker_id)).toEqual(['persister-stale']);
    expect(await registry.live('persister')).toEqual([]);
  });

  it('keeps a replica listed while it heart-beats, through a NATS outage and a lost bucket, and lists it no more once it leaves', async () => {
    let jobs = 0;
    const metrics = { activity: () => activity(++jobs) } as unknown as Metrics;
    const hb = new WorkerHeartbeat({ workerId: 'intake-hb', stage: 'intake', logger }, registry, metrics);
    await hb.onApplicationBootstrap();
    const listed = async () => (await registry.live('intake')).find((w) => w.worker_id === 'intake-hb');
    const first = await eventually(listed, 2000, 'the replica to be listed');
    // Figures move with each heartbeat.
    await eventually(async () => ((await listed())?.jobs_processed ?? 0) > first.jobs_processed, 3000, 'a later heartbeat');

    await nats.restart(1500); // longer than the TTL: the entry ages out, the ticks in between fail without a throw
    await eventually(listed, 15_000, 'the replica to be listed again after the outage');

    await broker.jsm.streams.delete(STREAM);
    await eventually(listed, 5000, 'the next heartbeat to make the bucket again');

    await hb.beforeApplicationShutdown();
    expect(await listed()).toBeUndefined();
  });
});
