import { randomUUID } from 'node:crypto';
import { DLQ_PREFIX, dlqSubject, STREAMS, WORK_SUBJECTS, msgIds, type FrameResultV1 } from '@framewire/contracts';
import {
  Broker,
  DECODERS,
  DEFAULT_TOPOLOGY,
  JetStreamWorker,
  provisionConsumer,
  provisionStreams,
  workConsumerConfig,
  type Delivery,
  type TopologySettings,
} from '@framewire/messaging';
import { FrameResultsRepository, JobsRepository } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import pino from 'pino';
import { startNatsServer, type TestNats } from '../support/nats-server';
import { eventually } from '../support/system';

jest.setTimeout(60_000);
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });
const topology: TopologySettings = { ...DEFAULT_TOPOLOGY, ackWaitMs: 2000, retry: { maxDeliver: 2, baseDelayMs: 100, maxDelayMs: 1000 } };

/**
 * A persister batch with one row Postgres refuses (a frame index beyond its
 * integer column: valid JSON, a valid payload, a poison all the same), on a
 * real JetStream consumer and a real database: the batch is bisected, every
 * good row commits at once, and only the poison is retried, then
 * dead-lettered. Before, the whole batch shared the poison's fate.
 */
describe('persister batches isolate a poison row (real NATS, real Postgres)', () => {
  let nats: TestNats;
  let broker: Broker;
  let db: TestDatabase;
  let results: FrameResultsRepository;

  beforeAll(async () => {
    nats = await startNatsServer();
    broker = await Broker.connect({ servers: nats.url, name: 'batch-split-test', logger });
    await provisionStreams(broker.jsm, topology);
    await provisionConsumer(broker.jsm, STREAMS.work, workConsumerConfig('persist', topology));
    db = await createTestDatabase();
    results = new FrameResultsRepository(db.dataSource);
  });

  afterAll(async () => {
    await broker?.drain();
    await nats?.stop();
    await db?.drop();
  });

  it('commits the good rows of a batch and dead-letters only the row the database refuses', async () => {
    const jobId = randomUUID();
    await new JobsRepository(db.dataSource).createPending({
      id: jobId,
      pipeline_id: 'text_regions',
      input_key: `inputs/${jobId}/video`,
      input_size: 1,
      input_sha256: 'ab',
      frame_stride: 1,
      max_frames: null,
    });
    const frames = [0, 1, 2, 3, 3_000_000_000, 4, 5, 6];
    for (const frame_index of frames) {
      const result: FrameResultV1 = {
        v: 1,
        job_id: jobId,
        frame_index,
        pts_ms: 0,
        result: { detect: { regions: [] } },
        error: null,
        timings_ms: {},
        worker_id: 'w',
      };
      await broker.publishJson(WORK_SUBJECTS.persist, result, { msgId: msgIds.persist(jobId, frame_index) });
    }

    const batches: number[] = [];
    const consumer = await broker.js.consumers.get(STREAMS.work, 'persister');
    const worker = new JetStreamWorker<FrameResultV1>(
      {
        mode: 'batch',
        maxBatch: 16,
        maxWaitMs: 200,
        ...DECODERS.persist,
        handleBatch: async (items: Array<Delivery<FrameResultV1>>) => {
          batches.push(items.length);
          await results.upsertBatchWithProgress(items.map(({ payload: p }) => ({ ...p, result: p.result ?? null })));
        },
      },
      {
        stage: 'persister',
        kind: 'persist',
        workerId: 'p1',
        broker,
        consumer,
        retry: topology.retry,
        logger,
        heartbeatMs: 500,
        failJobOnGiveUp: false,
      },
    );
    await worker.start();
    try {
      const stored = await eventually(
        async () => {
          const rows = await db.dataSource.query<Array<{ frame_index: number }>>(
            'SELECT frame_index FROM frame_results WHERE job_id = $1 ORDER BY frame_index',
            [jobId],
          );
          return rows.length === 7 ? rows.map((r) => r.frame_index) : undefined;
        },
        20_000,
        'the seven good rows',
      );
      expect(stored).toEqual([0, 1, 2, 3, 4, 5, 6]);
      await eventually(async () => worker.stats.deadLettered === 1, 20_000, 'the poison to be dead-lettered');
      // Everything is settled: nothing of the batch waits in the work stream.
      await eventually(async () => (await broker.jsm.streams.info(STREAMS.work)).state.messages === 0, 10_000, 'an empty work queue');
    } finally {
      await worker.stop(2000);
    }
    expect(batches[0]).toBe(frames.length); // they did arrive as one batch
    expect(worker.stats.acked).toBe(7);

    const dlq = await broker.jsm.streams.info(STREAMS.dlq, { subjects_filter: `${DLQ_PREFIX}.>` });
    expect(Object.values(dlq.state.subjects ?? {}).reduce((a, b) => a + b, 0)).toBe(1);
    const letter = await broker.jsm.streams.getMessage(STREAMS.dlq, { last_by_subj: dlqSubject('persist') });
    expect(letter!.json<FrameResultV1>().frame_index).toBe(3_000_000_000);
  });
});
