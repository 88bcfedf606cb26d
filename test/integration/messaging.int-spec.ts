import { randomUUID } from 'node:crypto';
import { DeliverPolicy } from '@nats-io/jetstream';
import {
  DomainError,
  dlqSubject,
  makeEvent,
  STREAMS,
  WORK_SUBJECTS,
  msgIds,
  type ExtractRequestV1,
  type JobEvent,
} from '@framewire/contracts';
import {
  Broker,
  DECODERS,
  DEFAULT_TOPOLOGY,
  JetStreamWorker,
  provisionConsumer,
  provisionStreams,
  workConsumerConfig,
  OutageMonitor,
  type HandlerContext,
  type TopologySettings,
  type WorkerOptions,
} from '@framewire/messaging';
import pino from 'pino';
import { startNatsServer, type TestNats } from '../support/nats-server';

jest.setTimeout(30_000);
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });
const topology: TopologySettings = { ...DEFAULT_TOPOLOGY, ackWaitMs: 2000, retry: { maxDeliver: 4, baseDelayMs: 200, maxDelayMs: 5000 } };

function extractMsg(jobId: string): ExtractRequestV1 {
  return { v: 1, job_id: jobId, input_key: `inputs/${jobId}/video`, pipeline_id: 'text_regions', frame_stride: 1, max_frames: null };
}

describe('messaging: the ack policy against a real JetStream server', () => {
  let nats: TestNats;
  let broker: Broker;

  beforeAll(async () => {
    nats = await startNatsServer();
    broker = await Broker.connect({ servers: nats.url, name: 'messaging-test', logger });
    await provisionStreams(broker.jsm, topology);
    await provisionStreams(broker.jsm, topology); // idempotent
    await provisionConsumer(broker.jsm, STREAMS.work, workConsumerConfig('extract', topology));
  });

  afterAll(async () => {
    await broker?.drain();
    await nats?.stop();
  });

  /** Run a worker on the extract consumer until `done` resolves. */
  async function withWorker(
    handle: (p: ExtractRequestV1, ctx: HandlerContext) => Promise<void>,
    done: Promise<unknown>,
    extra: Partial<WorkerOptions> = {},
  ): Promise<JetStreamWorker<ExtractRequestV1>> {
    const consumer = await broker.js.consumers.get(STREAMS.work, 'extractor');
    const worker = new JetStreamWorker<ExtractRequestV1>(
      { mode: 'single', concurrency: 2, ...DECODERS.extract, handle },
      {
        stage: 'extractor',
        kind: 'extract',
        workerId: 'w1',
        broker,
        consumer,
        retry: topology.retry,
        logger,
        heartbeatMs: 500,
        failJobOnGiveUp: true,
        ...extra,
      },
    );
    await worker.start();
    await done;
    await worker.stop(2000);
    return worker;
  }

  async function eventsOf(jobId: string): Promise<JobEvent[]> {
    const oc = await broker.js.consumers.get(STREAMS.events, {
      filter_subjects: `fw.events.${jobId}.>`,
      deliver_policy: DeliverPolicy.All,
    });
    const out: JobEvent[] = [];
    const info = await broker.jsm.streams.info(STREAMS.events, { subjects_filter: `fw.events.${jobId}.>` });
    const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (total === 0) return out;
    const it = await oc.consume();
    for await (const m of it) {
      out.push(DECODERS.events.decode(m));
      if (m.info.pending === 0) break;
    }
    return out;
  }

  /** Messages left in the work stream once acks have landed: an ack is fire-and-forget, so poll briefly for zero. */
  async function workLeft(): Promise<number> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const left = (await broker.jsm.streams.info(STREAMS.work)).state.messages;
      if (left === 0 || Date.now() > deadline) return left;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('acks a handled message and removes it from the work queue', async () => {
    const jobId = randomUUID();
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId), jobId });
    const w = await withWorker(async (p) => {
      expect(p.job_id).toBe(jobId);
      resolve();
    }, done);
    await new Promise((r) => setTimeout(r, 200));
    expect(w.stats.acked).toBe(1);
    expect(await workLeft()).toBe(0);
  });

  it('deduplicates a publish with the same Nats-Msg-Id', async () => {
    const jobId = randomUUID();
    const a = await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId) });
    const b = await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId) });
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(true);
    let resolve!: () => void;
    await withWorker(async () => resolve(), new Promise<void>((r) => (resolve = r)));
  });

  it('terms a permanent failure at once and fails the job with its message', async () => {
    const jobId = randomUUID();
    let calls = 0;
    await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId) });
    let resolve!: () => void;
    const w = await withWorker(
      async () => {
        calls++;
        resolve();
        throw new DomainError('INVALID_VIDEO', 'file is not a video');
      },
      new Promise<void>((r) => (resolve = r)),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls).toBe(1);
    expect(w.stats.termed).toBe(1);
    const events = await eventsOf(jobId);
    expect(events).toEqual([
      expect.objectContaining({ type: 'failed', error_code: 'INVALID_VIDEO', error_message: 'file is not a video', stage: 'extractor' }),
    ]);
    expect(await workLeft()).toBe(0);
  });

  it('naks a transient failure with exponential backoff and succeeds on a later delivery', async () => {
    const jobId = randomUUID();
    const seen: number[] = [];
    await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId) });
    let resolve!: () => void;
    await withWorker(
      async (_p, ctx) => {
        seen.push(Date.now());
        expect(ctx.deliveryCount).toBe(seen.length);
        if (seen.length < 3) throw new DomainError('TIMEOUT', 'the model took too long');
        resolve();
      },
      new Promise<void>((r) => (resolve = r)),
    );
    expect(seen).toHaveLength(3);
    expect(seen[1] - seen[0]).toBeGreaterThanOrEqual(180);
    expect(seen[2] - seen[1]).toBeGreaterThanOrEqual(380);
    expect(await workLeft()).toBe(0);
  });

  it('holds a message through an outage longer than AckWait without spending a delivery, then acks it', async () => {
    const jobId = randomUUID();
    const seen: number[] = [];
    const outages = new OutageMonitor();
    let reported = '';
    const t0 = Date.now();
    await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId) });
    let resolve!: () => void;
    const w = await withWorker(
      async (_p, ctx) => {
        seen.push(ctx.deliveryCount);
        if (Date.now() - t0 < topology.ackWaitMs + 1500) {
          try {
            outages.check();
          } catch (err) {
            reported = (err as Error).message;
          }
          throw new DomainError('DATABASE_UNAVAILABLE', 'database unavailable: connect ECONNREFUSED');
        }
        resolve();
      },
      new Promise<void>((r) => (resolve = r)),
      { outage: { toleranceMs: 60_000, baseDelayMs: 200, maxDelayMs: 400 }, outages },
    );
    expect(seen.length).toBeGreaterThan(3);
    expect(new Set(seen)).toEqual(new Set([1])); // never redelivered: the held message was heart-beaten past AckWait
    expect(reported).toMatch(/^paused: database unavailable since /);
    expect(w.stats).toMatchObject({ acked: 1, naked: 0, deadLettered: 0 });
    expect(outages.current()).toEqual([]);
    expect(await workLeft()).toBe(0);
  });

  it('dead-letters a message whose transient failure outlasts MaxDeliver, and fails the job', async () => {
    const jobId = randomUUID();
    let calls = 0;
    await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId), jobId });
    let resolve!: () => void;
    const w = await withWorker(
      async () => {
        calls++;
        if (calls === topology.retry.maxDeliver) setTimeout(resolve, 500);
        throw new Error('database unreachable');
      },
      new Promise<void>((r) => (resolve = r)),
    );
    expect(calls).toBe(4);
    expect(w.stats.deadLettered).toBe(1);
    const dlq = await broker.jsm.streams.getMessage(STREAMS.dlq, { last_by_subj: dlqSubject('extract') });
    expect(dlq?.header.get('Fw-Dlq-Reason')).toBe('max retries exceeded: database unreachable');
    expect(dlq?.header.get('Fw-Dlq-Deliveries')).toBe('4');
    expect(dlq?.json<ExtractRequestV1>().job_id).toBe(jobId);
    const events = await eventsOf(jobId);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'failed',
        error_code: 'MAX_RETRIES_EXCEEDED',
        error_message: 'max retries exceeded: database unreachable',
      }),
    ]);
  });

  it('dead-letters a malformed message without calling the handler', async () => {
    await broker.publish(WORK_SUBJECTS.extract, '{"v":1,"job_id":"../etc"}', { msgId: 'malformed-1' });
    let calls = 0;
    const w = await withWorker(
      async () => {
        calls++;
      },
      new Promise((r) => setTimeout(r, 1000)),
    );
    expect(calls).toBe(0);
    expect(w.stats.deadLettered).toBe(1);
    expect(await workLeft()).toBe(0);
  });

  it('redelivers the message of a worker that stopped without settling it', async () => {
    const jobId = randomUUID();
    await broker.publishJson(WORK_SUBJECTS.extract, extractMsg(jobId), { msgId: msgIds.extract(jobId) });
    // A worker that hangs: never settles, and stops responding (no working()).
    const consumer = await broker.js.consumers.get(STREAMS.work, 'extractor');
    const hung = await consumer.next({ expires: 5000 });
    expect(hung).not.toBeNull();
    let resolve!: (n: number) => void;
    const t0 = Date.now();
    const redelivered = new Promise<number>((r) => (resolve = r));
    await withWorker(async (_p, ctx) => resolve(ctx.deliveryCount), redelivered);
    expect(await redelivered).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(topology.ackWaitMs - 500);
  });

  it('publishes validated events with their dedup ids', async () => {
    const jobId = randomUUID();
    const ev = makeEvent('extracted', jobId, { frames_total: 3, frames_decoded: 3 });
    expect((await broker.publishEvent(ev)).duplicate).toBe(false);
    expect((await broker.publishEvent(ev)).duplicate).toBe(true);
    await expect(broker.publishEvent({ ...ev, frames_total: -1 })).rejects.toThrow();
  });
});
