import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DomainError,
  dlqSubject,
  encodeFrameMessage,
  makeEvent,
  msgIds,
  STREAMS,
  WORK_SUBJECTS,
  type InferRequestV1,
  type JobStatus,
} from '@framewire/contracts';
import {
  Broker,
  DECODERS,
  DEFAULT_TOPOLOGY,
  DLQ_HEADERS,
  DLQ_INLINE_MAX_BYTES,
  DeadLetters,
  JetStreamWorker,
  provisionConsumer,
  provisionStreams,
  workConsumerConfig,
  type TopologySettings,
} from '@framewire/messaging';
import { FrameResultsRepository, JobsRepository, TracksRepository, WebhookDeliveriesRepository } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import { FsObjectStore, objectKeys, removeStaleTemp } from '@framewire/storage';
import pino from 'pino';
import type { IntakeConfig } from '../../apps/intake/src/config';
import { DeleteService } from '../../apps/intake/src/jobs/delete.service';
import { QueryService } from '../../apps/intake/src/jobs/query.service';
import { RetentionService } from '../../apps/intake/src/jobs/retention.service';
import { StaleUploadsCleaner } from '../../apps/intake/src/upload/stale-uploads';
import { startNatsServer, type TestNats } from '../support/nats-server';

jest.setTimeout(60_000);
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });
const topology: TopologySettings = { ...DEFAULT_TOPOLOGY, ackWaitMs: 2000, retry: { maxDeliver: 2, baseDelayMs: 100, maxDelayMs: 1000 } };
const DAY_MS = 24 * 3600 * 1000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('retention: deleting jobs, the sweep, dead letters by reference', () => {
  let nats: TestNats;
  let broker: Broker;
  let db: TestDatabase;
  let objectsDir: string;
  let store: FsObjectStore;
  let jobs: JobsRepository;
  let deleter: DeleteService;

  beforeAll(async () => {
    nats = await startNatsServer();
    broker = await Broker.connect({ servers: nats.url, name: 'retention-test', logger });
    await provisionStreams(broker.jsm, topology);
    db = await createTestDatabase();
    objectsDir = await mkdtemp(path.join(tmpdir(), 'fw-retention-objects-'));
    store = new FsObjectStore(objectsDir, { fsync: false });
    jobs = new JobsRepository(db.dataSource);
    const queries = new QueryService(
      jobs,
      new FrameResultsRepository(db.dataSource),
      new TracksRepository(db.dataSource),
      new WebhookDeliveriesRepository(db.dataSource),
    );
    deleter = new DeleteService(queries, jobs, broker, store, logger);
  });

  afterAll(async () => {
    await broker?.drain();
    await nats?.stop();
    await db?.drop();
    if (objectsDir) await rm(objectsDir, { recursive: true, force: true });
  });

  /** A job with an input, two frames by reference, a dead-letter body, two result rows, an event row and stream events. */
  async function seedJob(status: JobStatus, opts: { finishedDaysAgo?: number; retentionDays?: number | null } = {}): Promise<string> {
    const id = randomUUID();
    const input = await store.put(objectKeys.inputKey(id), randomBytes(2000));
    await jobs.createPending({
      id,
      pipeline_id: 'text_regions',
      input_key: objectKeys.inputKey(id),
      input_size: input.size,
      input_sha256: input.sha256,
      frame_stride: 1,
      max_frames: null,
      retention_days: opts.retentionDays ?? null,
    });
    const finished = opts.finishedDaysAgo === undefined ? null : new Date(Date.now() - opts.finishedDaysAgo * DAY_MS);
    await db.dataSource.query(`UPDATE jobs SET status = $2, started_at = now(), finished_at = $3 WHERE id = $1`, [id, status, finished]);
    for (const i of [0, 1]) await store.put(objectKeys.frameKey(id, i), randomBytes(500));
    await store.put(objectKeys.deadLetterKey(id, STREAMS.work, 7), randomBytes(5000));
    await new FrameResultsRepository(db.dataSource).upsertBatch(
      [0, 1].map((i) => ({
        job_id: id,
        frame_index: i,
        pts_ms: i * 40,
        result: { n: i },
        error: null,
        timings_ms: { det: 1 },
        worker_id: 'w',
      })),
    );
    await db.dataSource.query(
      `INSERT INTO job_events (job_id, type, event_key, payload, occurred_at) VALUES ($1, 'submitted', 'k1', '{}'::jsonb, now())`,
      [id],
    );
    await broker.publishEvent(makeEvent('submitted', id, { pipeline_id: 'text_regions', frame_stride: 1, max_frames: null }));
    await broker.publishEvent(makeEvent('extracted', id, { frames_total: 2, frames_decoded: 2 }));
    return id;
  }

  async function lastOf(stream: string, subject: string) {
    const msg = await broker.jsm.streams.getMessage(stream, { last_by_subj: subject });
    if (!msg) throw new Error(`no message on ${subject}`);
    return msg;
  }

  async function footprint(id: string) {
    const count = async (table: string, column: string) =>
      ((await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [id])) as Array<{ n: number }>)[0].n;
    const info = await broker.jsm.streams.info(STREAMS.events, { subjects_filter: `fw.events.${id}.>` });
    let objects = 0;
    for (const prefix of objectKeys.jobPrefixes(id)) {
      const dir = path.join(objectsDir, ...prefix.slice(0, -1).split('/'));
      objects += (await readdir(dir, { recursive: true }).catch(() => [])).length;
    }
    return {
      jobs: await count('jobs', 'id'),
      frame_results: await count('frame_results', 'job_id'),
      job_events: await count('job_events', 'job_id'),
      events: Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0),
      objects,
    };
  }

  describe('DeleteService (DELETE /v1/jobs/{id}, gRPC DeleteJob)', () => {
    it('deletes a finished job: rows, objects and stream events; then it is a 404', async () => {
      const id = await seedJob('completed', { finishedDaysAgo: 0 });
      const other = await seedJob('completed', { finishedDaysAgo: 0 });
      expect(await footprint(id)).toEqual({ jobs: 1, frame_results: 2, job_events: 1, events: 2, objects: 4 });

      expect(await deleter.deleteJob(id, 'request')).toEqual({ job_id: id, objects: 4, events: 2 });
      expect(await footprint(id)).toEqual({ jobs: 0, frame_results: 0, job_events: 0, events: 0, objects: 0 });
      // Deleting again: the job is unknown.
      expect(await codeOf(deleter.deleteJob(id, 'request'))).toBe('NOT_FOUND');
      // Nothing of another job went with it.
      expect(await footprint(other)).toEqual({ jobs: 1, frame_results: 2, job_events: 1, events: 2, objects: 4 });
    });

    it.each(['failed', 'cancelled'] as const)('deletes a %s job', async (status) => {
      const id = await seedJob(status, { finishedDaysAgo: 0 });
      await deleter.deleteJob(id, 'request');
      expect(await footprint(id)).toEqual({ jobs: 0, frame_results: 0, job_events: 0, events: 0, objects: 0 });
    });

    it.each(['pending', 'running'] as const)(
      'refuses a %s job with CONFLICT, naming the cancel route, and deletes nothing',
      async (status) => {
        const id = await seedJob(status);
        const err = await deleter.deleteJob(id, 'request').catch((e: unknown) => e as DomainError);
        expect(err).toBeInstanceOf(DomainError);
        expect((err as DomainError).code).toBe('CONFLICT');
        expect((err as DomainError).message).toContain(`POST /v1/jobs/${id}/cancel`);
        expect(await footprint(id)).toEqual({ jobs: 1, frame_results: 2, job_events: 1, events: 2, objects: 4 });
      },
    );

    it('NOT_FOUND for an unknown id and for a malformed one', async () => {
      expect(await codeOf(deleter.deleteJob(randomUUID(), 'request'))).toBe('NOT_FOUND');
      expect(await codeOf(deleter.deleteJob('../etc', 'request'))).toBe('NOT_FOUND');
    });

    it('a late result for a deleted job does not bring the job back', async () => {
      const id = await seedJob('completed', { finishedDaysAgo: 0 });
      await deleter.deleteJob(id, 'request');
      const late = new FrameResultsRepository(db.dataSource).upsertBatch([
        { job_id: id, frame_index: 5, pts_ms: 200, result: {}, error: null, timings_ms: {}, worker_id: 'late' },
      ]);
      // Refused (foreign key) or dropped, depending on the persister's policy: either way the job stays gone.
      await late.then(
        () => undefined,
        () => undefined,
      );
      expect(await footprint(id)).toMatchObject({ jobs: 0, frame_results: 0 });
    });
  });

  describe('RetentionService (the sweep)', () => {
    function retention(retentionDays: number | null): RetentionService {
      const config = { retentionDays, retentionSweepIntervalMs: null, retentionSweepBatch: 2 } as unknown as IntakeConfig;
      return new RetentionService(config, jobs, deleter, logger);
    }

    it('deletes finished jobs whose retention passed, keeps fresh and unfinished ones', async () => {
      await db.dataSource.query(`DELETE FROM jobs`);
      const expired = await Promise.all([
        seedJob('completed', { finishedDaysAgo: 31 }),
        seedJob('failed', { finishedDaysAgo: 40 }),
        seedJob('cancelled', { finishedDaysAgo: 35 }),
        seedJob('completed', { finishedDaysAgo: 3, retentionDays: 2 }), // its own, shorter retention
      ]);
      const kept = await Promise.all([
        seedJob('completed', { finishedDaysAgo: 1 }),
        seedJob('completed', { finishedDaysAgo: 60, retentionDays: 90 }), // its own, longer retention
        seedJob('running'), // never, however old
        seedJob('pending'),
      ]);
      await db.dataSource.query(`UPDATE jobs SET created_at = now() - interval '400 days', updated_at = now() - interval '400 days'
        WHERE status IN ('running', 'pending')`);

      // Off: only jobs with their own retention_days expire.
      expect(await retention(null).sweep()).toEqual({ ran: true, deleted: 1, failed: 0 });
      expect((await footprint(expired[3])).jobs).toBe(0);

      // 30 days, in batches of 2.
      expect(await retention(30).sweep()).toEqual({ ran: true, deleted: 3, failed: 0 });
      for (const id of expired) expect(await footprint(id)).toEqual({ jobs: 0, frame_results: 0, job_events: 0, events: 0, objects: 0 });
      for (const id of kept) expect((await footprint(id)).jobs).toBe(1);
      expect(await retention(30).sweep()).toEqual({ ran: true, deleted: 0, failed: 0 });
    });

    it('one replica at a time: a sweep that finds the lock taken does nothing', async () => {
      const id = await seedJob('completed', { finishedDaysAgo: 100 });
      const holder = await jobs.withExclusiveLock('3691717177845725441', async () => retention(30).sweep());
      expect(holder).toEqual({ ran: true, result: { ran: false, deleted: 0, failed: 0 } });
      expect((await footprint(id)).jobs).toBe(1);
      expect(await retention(30).sweep()).toMatchObject({ ran: true, deleted: 1 });
    });

    it('an outage ends the sweep with a log line, and the next one finishes the job', async () => {
      const id = await seedJob('completed', { finishedDaysAgo: 100 });
      const broken = Object.create(store) as FsObjectStore;
      broken.deletePrefix = () => Promise.reject(new DomainError('STORAGE_UNAVAILABLE', 'object store down'));
      const flaky = new DeleteService(
        new QueryService(
          jobs,
          new FrameResultsRepository(db.dataSource),
          new TracksRepository(db.dataSource),
          new WebhookDeliveriesRepository(db.dataSource),
        ),
        jobs,
        broker,
        broken,
        logger,
      );
      const config = { retentionDays: 30, retentionSweepIntervalMs: null, retentionSweepBatch: 10 } as unknown as IntakeConfig;
      expect(await new RetentionService(config, jobs, flaky, logger).sweep()).toEqual({ ran: true, deleted: 0, failed: 1 });
      expect((await footprint(id)).jobs).toBe(1);
      expect(await retention(30).sweep()).toMatchObject({ deleted: 1, failed: 0 });
      expect(await footprint(id)).toEqual({ jobs: 0, frame_results: 0, job_events: 0, events: 0, objects: 0 });
    });
  });

  describe('dead letters by reference', () => {
    it("an infer message's JPEG goes to the object store; replay puts back the original bytes", async () => {
      await provisionConsumer(broker.jsm, STREAMS.work, workConsumerConfig('infer', topology));
      const jobId = randomUUID();
      const jpeg = randomBytes(20_000);
      const header: InferRequestV1 = {
        v: 1,
        job_id: jobId,
        pipeline_id: 'text_regions',
        frame_index: 3,
        pts_ms: 100,
        width: 64,
        height: 48,
        frame: { kind: 'inline', bytes: jpeg.length },
      };
      const original = encodeFrameMessage(header, jpeg);
      expect(original.byteLength).toBeGreaterThan(DLQ_INLINE_MAX_BYTES);
      await broker.publish(WORK_SUBJECTS.infer, original, { msgId: msgIds.infer(jobId, 3), jobId });

      let rejected!: () => void;
      const done = new Promise<void>((r) => (rejected = r));
      const worker = new JetStreamWorker(
        {
          mode: 'single',
          concurrency: 1,
          ...DECODERS.infer,
          handle: (_p, ctx) => {
            if (ctx.deliveryCount >= topology.retry.maxDeliver) rejected();
            return Promise.reject(new Error('the plugin crashed on this frame'));
          },
        },
        {
          stage: 'inference',
          kind: 'infer',
          workerId: 'inference-test',
          broker,
          consumer: await broker.js.consumers.get(STREAMS.work, 'inference'),
          retry: topology.retry,
          logger,
          heartbeatMs: 500,
          failJobOnGiveUp: false,
          deadLetters: new DeadLetters(broker, store, { workerId: 'inference-test', logger }),
        },
      );
      await worker.start();
      await done;
      const deadline = Date.now() + 5000;
      while (worker.stats.deadLettered === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await worker.stop(2000);
      expect(worker.stats.deadLettered).toBe(1);

      const letter = await lastOf(STREAMS.dlq, dlqSubject('infer'));
      expect(letter.data.byteLength).toBe(0); // no JPEG inside FW_DLQ
      const ref = letter.header.get(DLQ_HEADERS.bodyRef);
      expect(ref).toMatch(new RegExp(`^dlq/${jobId}/FW_WORK-\\d+$`));
      expect(Number(letter.header.get(DLQ_HEADERS.bodySize))).toBe(original.byteLength);
      expect(Buffer.compare(await store.getBytes(ref), Buffer.from(original))).toBe(0);

      const dlq = new DeadLetters(broker, store, { workerId: 'intake-test', logger });
      const listed = (await dlq.list(letter.seq - 1, 1)).items[0];
      expect(listed).toMatchObject({ seq: letter.seq, kind: 'infer', job_id: jobId, body: { bytes: original.byteLength, ref } });

      expect(await dlq.replay(letter.seq)).toEqual({ seq: letter.seq, subject: WORK_SUBJECTS.infer, job_id: jobId });
      const replayed = await lastOf(STREAMS.work, WORK_SUBJECTS.infer);
      expect(Buffer.compare(Buffer.from(replayed.data), Buffer.from(original))).toBe(0);
      expect(await store.head(ref)).toBeNull(); // the stored body went with the dead letter
      await broker.jsm.streams.purge(STREAMS.work, { filter: WORK_SUBJECTS.infer });
    });

    it('a dead letter whose job was deleted cannot be replayed: CONFLICT, nothing published', async () => {
      const id = await seedJob('failed', { finishedDaysAgo: 0 });
      const key = objectKeys.deadLetterKey(id, STREAMS.work, 99);
      await new DeadLetters(broker, store, { workerId: 'w', logger }).write({
        kind: 'infer',
        data: randomBytes(DLQ_INLINE_MAX_BYTES + 1),
        subject: WORK_SUBJECTS.infer,
        stream: STREAMS.work,
        streamSeq: 99,
        deliveries: 1,
        reason: 'test',
        workerId: 'w',
        jobId: id,
      });
      expect(await store.head(key)).not.toBeNull();
      await deleter.deleteJob(id, 'request');
      expect(await store.head(key)).toBeNull();
      const letter = await lastOf(STREAMS.dlq, dlqSubject('infer'));
      const before = (await broker.jsm.streams.info(STREAMS.work)).state.last_seq;
      expect(await codeOf(new DeadLetters(broker, store, { workerId: 'intake-test', logger }).replay(letter.seq))).toBe('CONFLICT');
      expect((await broker.jsm.streams.info(STREAMS.work)).state.last_seq).toBe(before);
    });

    it('a small body stays inline', async () => {
      const data = Buffer.from('{"v":1}');
      await new DeadLetters(broker, store, { workerId: 'w', logger }).write({
        kind: 'persist',
        data,
        subject: WORK_SUBJECTS.persist,
        stream: STREAMS.work,
        streamSeq: 12345,
        deliveries: 1,
        reason: 'test',
        workerId: 'w',
        jobId: undefined,
      });
      const letter = await lastOf(STREAMS.dlq, dlqSubject('persist'));
      expect(letter.header.get(DLQ_HEADERS.bodyRef)).toBe('');
      expect(Buffer.from(letter.data).toString()).toBe('{"v":1}');
    });

    it('FW_DLQ has the byte cap of the topology', async () => {
      const info = await broker.jsm.streams.info(STREAMS.dlq);
      expect(info.config.max_bytes).toBe(topology.dlqMaxBytes);
    });
  });

  describe('temp files left by a crash', () => {
    it('removes stale uploads at start, keeps fresh ones and foreign files', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'fw-uploads-'));
      try {
        const old = new Date(Date.now() - 7 * 3600 * 1000);
        await writeFile(path.join(dir, 'upload-old'), 'x');
        await utimes(path.join(dir, 'upload-old'), old, old);
        await writeFile(path.join(dir, 'upload-fresh'), 'x');
        await writeFile(path.join(dir, 'someone-elses'), 'x');
        await utimes(path.join(dir, 'someone-elses'), old, old);
        const config = { uploadTmpDir: dir } as unknown as IntakeConfig;
        await new StaleUploadsCleaner(config, logger).onApplicationBootstrap();
        expect((await readdir(dir)).sort()).toEqual(['someone-elses', 'upload-fresh']);
        // A missing directory is not an error.
        await new StaleUploadsCleaner({ uploadTmpDir: path.join(dir, 'nope') } as unknown as IntakeConfig, logger).onApplicationBootstrap();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('removeStaleTemp removes old directories recursively (the S3 store clears its fw-materialize-* copies at init)', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'fw-tmp-sweep-'));
      try {
        const old = new Date(Date.now() - 2 * DAY_MS);
        await mkdir(path.join(dir, 'fw-materialize-a'));
        await writeFile(path.join(dir, 'fw-materialize-a', 'video'), 'x');
        await utimes(path.join(dir, 'fw-materialize-a'), old, old);
        await mkdir(path.join(dir, 'fw-materialize-b'));
        expect(await removeStaleTemp(dir, { olderThanMs: DAY_MS, namePrefix: 'fw-materialize-' })).toEqual(['fw-materialize-a']);
        expect(await readdir(dir)).toEqual(['fw-materialize-b']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
