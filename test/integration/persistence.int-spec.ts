import { randomUUID } from 'node:crypto';
import { Socket, createServer, type Server } from 'node:net';
import { DomainError, makeEvent } from '@framewire/contracts';
import type { JobEvent } from '@framewire/contracts';
import {
  FrameResultsRepository,
  JobEventsRepository,
  JobsRepository,
  createDataSource,
  openDataSource,
  runMigrations,
  type CreateJobInput,
  type FrameResultInput,
  type JobRecord,
} from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import { ProjectionStore, type ApplyEventResult } from '../../apps/status/src/projection-store';

jest.setTimeout(60_000);

const VIDEO = { duration_ms: 4000, fps: 25, width: 640, height: 360, codec: 'h264', frame_count: 100 };

function jobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    pipeline_id: 'detect',
    pipeline_version: '1.0.0',
    models: [{ name: 'yolo', sha256: 'a'.repeat(64) }],
    input_key: `inputs/${randomUUID()}.mp4`,
    input_size: 5_000_000_000, // > 2^32: the bigint column comes back as a number
    input_sha256: 'b'.repeat(64),
    frame_stride: 5,
    max_frames: 100,
    client_tag: 'it',
    ...overrides,
  };
}

function frame(jobId: string, index: number, overrides: Partial<FrameResultInput> = {}): FrameResultInput {
  return {
    job_id: jobId,
    frame_index: index,
    pts_ms: index * 40,
    result: { detections: [{ label: 'person', score: 0.5, box: [1, 2, 3, 4] }], note: `it's "quoted" \\ ok` },
    error: null,
    timings_ms: { preprocess: 1.5, infer: 10 },
    worker_id: 'w-1',
    ...overrides,
  };
}

async function expectDomainError(promise: Promise<unknown>, code: string): Promise<DomainError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect((caught as DomainError).code).toBe(code);
  return caught as DomainError;
}

/** Every committed migration, oldest first. */
const ALL_MIGRATIONS = [
  'InitialSchema1795971600000',
  'JobInferenceTime1795982400000',
  'Outbox1796000000000',
  'JobRetention1796188600000',
  'FrameGeometry1796200000000',
  'TextTracks1796400000000',
  'JobSampling1796500000000',
  'Webhooks1796600000000',
  'TemporalReuse1796800000000',
  'KeyframeSampling1796900000000',
];

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('leave no difference between the entities and the schema', async () => {
    const log = await db.dataSource.driver.createSchemaBuilder().log();
    expect(log.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('are applied once: a second run finds nothing pending', async () => {
    expect(await runMigrations(db.dataSource)).toEqual([]);
    expect(await db.dataSource.showMigrations()).toBe(false);
  });

  it('create what the schema diff does not compare: index order, partial unique index, check, cascades', async () => {
    const ds = db.dataSource;
    const indexes = await ds.query<
      {
        indexname: string;
        indexdef: string;
      }[]
    >(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`);
    const def = (name: string) => indexes.find((i) => i.indexname === name)?.indexdef;
    expect(def('IDX_jobs_created_at_id')).toMatch(/\(created_at DESC, id DESC\)$/);
    expect(def('IDX_jobs_status')).toMatch(/\(status\)$/);
    expect(def('UQ_jobs_idempotency_key')).toMatch(/UNIQUE INDEX .*\(idempotency_key\) WHERE \(idempotency_key IS NOT NULL\)$/);
    expect(def('UQ_job_events_job_id_event_key')).toMatch(/UNIQUE INDEX .*\(job_id, event_key\)$/);

    const checks = await ds.query<
      {
        def: string;
      }[]
    >(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'CHK_jobs_status'`);
    for (const status of ['pending', 'running', 'completed', 'failed', 'cancelled']) {
      expect(checks[0]?.def).toContain(`'${status}'`);
    }
    const fks = await ds.query<
      {
        conname: string;
        confdeltype: string;
      }[]
    >(`SELECT conname, confdeltype FROM pg_constraint WHERE contype = 'f' ORDER BY conname`);
    expect(fks).toEqual([
      { conname: 'FK_frame_results_job_id', confdeltype: 'c' },
      { conname: 'FK_job_events_job_id', confdeltype: 'c' },
      { conname: 'FK_outbox_job_id', confdeltype: 'c' },
      { conname: 'FK_text_track_builds_job_id', confdeltype: 'c' },
      { conname: 'FK_text_tracks_job_id', confdeltype: 'c' },
      { conname: 'FK_webhook_deliveries_job_id', confdeltype: 'c' },
    ]);
    await expect(
      ds.query(
        `INSERT INTO jobs (id, status, pipeline_id, input_key, input_size, input_sha256, frame_stride)
         VALUES ($1, 'paused', 'p', 'k', 1, 's', 1)`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/CHK_jobs_status/);
  });

  it('serialise concurrent starts with the advisory lock: applied exactly once', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    const others = Array.from({ length: 4 }, (_, i) => createDataSource({ url: fresh.url, poolSize: 2, applicationName: `migrator-${i}` }));
    try {
      await Promise.all(others.map((ds) => ds.initialize()));
      const applied = await Promise.all([fresh.dataSource, ...others].map((ds) => runMigrations(ds)));
      expect(applied.flat()).toEqual(ALL_MIGRATIONS);
      const rows = await fresh.dataSource.query<unknown[]>(`SELECT name FROM schema_migrations`);
      expect(rows).toHaveLength(ALL_MIGRATIONS.length);
    } finally {
      await Promise.all(others.filter((ds) => ds.isInitialized).map((ds) => ds.destroy()));
      await fresh.drop();
    }
  });

  it('revert cleanly and apply again', async () => {
    const fresh = await createTestDatabase();
    try {
      for (let i = 0; i < ALL_MIGRATIONS.length; i++) await fresh.dataSource.undoLastMigration({ transaction: 'all' });
      const tables = await fresh.dataSource.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(['schema_migrations']);
      expect(await runMigrations(fresh.dataSource)).toEqual(ALL_MIGRATIONS);
    } finally {
      await fresh.drop();
    }
  });
});

describe('JobsRepository', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  beforeAll(async () => {
    db = await createTestDatabase();
    jobs = new JobsRepository(db.dataSource);
  });
  afterAll(() => db.drop());

  it('creates a pending job and reads it back as a plain record', async () => {
    const input = jobInput();
    const { job, created } = await jobs.createPending(input);
    expect(created).toBe(true);
    expect(job).toMatchObject({
      status: 'pending',
      pipeline_id: 'detect',
      pipeline_version: '1.0.0',
      models: input.models,
      input_key: input.input_key,
      input_size: 5_000_000_000,
      frame_stride: 5,
      max_frames: 100,
      video: null,
      frames_total: null,
      frames_done: 0,
      frames_failed: 0,
      error_code: null,
      idempotency_key: null,
      client_tag: 'it',
      started_at: null,
      finished_at: null,
    });
    expect(job.created_at).toBeInstanceOf(Date);
    expect(Object.getPrototypeOf(job)).toBe(Object.prototype);
    expect(await jobs.get(job.id)).toEqual(job);
  });

  it('returns null for unknown and malformed ids', async () => {
    expect(await jobs.get(randomUUID())).toBeNull();
    expect(await jobs.get('not-a-uuid')).toBeNull();
  });

  it('uses the given id; a duplicate id is CONFLICT', async () => {
    const id = randomUUID();
    expect((await jobs.createPending(jobInput({ id }))).job.id).toBe(id);
    await expectDomainError(jobs.createPending(jobInput({ id })), 'CONFLICT');
  });

  it('returns the existing job for a repeated idempotency key, also under concurrency', async () => {
    const key = `key-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => jobs.createPending(jobInput({ idempotency_key: key }))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    const again = await jobs.createPending(jobInput({ idempotency_key: key }));
    expect(again).toEqual({ job: results[0].job, created: false, outbox: [] });
  });

  it('allows any number of jobs without an idempotency key', async () => {
    const a = await jobs.createPending(jobInput({ idempotency_key: null }));
    const b = await jobs.createPending(jobInput({ idempotency_key: null }));
    expect(a.job.id).not.toBe(b.job.id);
  });

  describe('list', () => {
    let listDb: TestDatabase;
    let repo: JobsRepository;
    let all: JobRecord[];
    beforeAll(async () => {
      listDb = await createTestDatabase();
      repo = new JobsRepository(listDb.dataSource);
      for (let i = 0; i < 23; i++) await repo.createPending(jobInput({ client_tag: `single-${i}` }));
      // 20 jobs sharing one created_at (one transaction's now()): the id breaks the tie.
      await listDb.dataSource.transaction(async (m) => {
        for (let i = 0; i < 20; i++) {
          await m.query(
            `INSERT INTO jobs (id, status, pipeline_id, input_key, input_size, input_sha256, frame_stride)
             VALUES ($1, $2, 'detect', 'k', 1, 's', 1)`,
            [randomUUID(), i % 2 ? 'running' : 'pending'],
          );
        }
      });
      const rows = await listDb.dataSource.query<
        {
          id: string;
        }[]
      >(`SELECT id FROM jobs ORDER BY created_at DESC, id DESC`);
      all = (await Promise.all(rows.map((r) => repo.get(r.id)))) as JobRecord[];
    });
    afterAll(() => listDb.drop());

    async function collect(limit: number, status?: JobRecord['status']): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await repo.list({ limit, cursor, ...(status ? { status } : {}) });
        pages += 1;
        ids.push(...page.items.map((j) => j.id));
        cursor = page.next_cursor;
      } while (cursor);
      return { ids, pages };
    }

    it.each([1, 7, 10, 43, 100])('pages newest first with no gaps or repeats (limit %i)', async (limit) => {
      const { ids, pages } = await collect(limit);
      expect(ids).toEqual(all.map((j) => j.id));
      expect(pages).toBe(Math.max(1, Math.ceil(all.length / limit)));
    });

    it('filters by status', async () => {
      const { ids } = await collect(4, 'running');
      expect(ids).toEqual(all.filter((j) => j.status === 'running').map((j) => j.id));
      expect(ids).toHaveLength(10);
    });

    it('is stable while new jobs arrive between pages', async () => {
      const first = await repo.list({ limit: 10 });
      await repo.createPending(jobInput());
      const rest: string[] = [];
      let cursor = first.next_cursor;
      while (cursor) {
        const page = await repo.list({ limit: 10, cursor });
        rest.push(...page.items.map((j) => j.id));
        cursor = page.next_cursor;
      }
      expect([...first.items.map((j) => j.id), ...rest]).toEqual(all.map((j) => j.id));
    });

    it('rejects bad limits and cursors with INVALID_ARGUMENT', async () => {
      await expectDomainError(repo.list({ limit: 0 }), 'INVALID_ARGUMENT');
      await expectDomainError(repo.list({ limit: 1001 }), 'INVALID_ARGUMENT');
      await expectDomainError(repo.list({ limit: 10, cursor: 'garbage!' }), 'INVALID_ARGUMENT');
    });

    it('serves the keyset page from the listing index, without a sort', async () => {
      const runner = listDb.dataSource.createQueryRunner();
      try {
        await runner.query('SET enable_seqscan = off'); // the table is tiny: ask whether the index can serve it
        const plan = JSON.stringify(
          await runner.query(
            `EXPLAIN (FORMAT JSON) SELECT * FROM jobs WHERE (created_at, id) < (now(), $1::uuid)
             ORDER BY created_at DESC, id DESC LIMIT 10`,
            [randomUUID()],
          ),
        );
        expect(plan).toContain('"Index Name":"IDX_jobs_created_at_id"');
        expect(plan).toContain('"Index Cond"');
        expect(plan).not.toContain('"Node Type":"Sort"');
      } finally {
        await runner.query('RESET enable_seqscan');
        await runner.release();
      }
    });
  });
});

describe('FrameResultsRepository', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  let results: FrameResultsRepository;
  beforeAll(async () => {
    db = await createTestDatabase();
    jobs = new JobsRepository(db.dataSource);
    results = new FrameResultsRepository(db.dataSource);
  });
  afterAll(() => db.drop());

  const count = async (jobId: string) =>
    Number((await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM frame_results WHERE job_id = $1`, [jobId]))[0].n);

  it('upserts 500 rows idempotently; the second write wins', async () => {
    const { job } = await jobs.createPending(jobInput());
    const first = Array.from({ length: 500 }, (_, i) => frame(job.id, i));
    expect(await results.upsertBatch(first)).toBe(500);
    expect(await results.upsertBatch(first)).toBe(500);
    expect(await count(job.id)).toBe(500);

    const second = Array.from({ length: 500 }, (_, i) =>
      frame(job.id, i, { result: [{ v: 2, i }], worker_id: 'w-2', timings_ms: { infer: 20 } }),
    );
    expect(await results.upsertBatch(second)).toBe(500);
    expect(await count(job.id)).toBe(500);
    const page = await results.page(job.id, { limit: 500 });
    expect(page.items).toHaveLength(500);
    for (const [i, row] of page.items.entries()) {
      expect(row).toMatchObject({ frame_index: i, result: [{ v: 2, i }], worker_id: 'w-2', timings_ms: { infer: 20 } });
      expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(row.created_at.getTime());
    }
  });

  it('stores JSON exactly (arrays, quotes, backslashes, unicode, JSON null result)', async () => {
    const { job } = await jobs.createPending(jobInput());
    const tricky = { s: 'a"b\\c{d},e', u: 'é✓😀', arr: [1, [2, { x: null }]], empty: {} };
    await results.upsertBatch([
      frame(job.id, 0, { result: tricky }),
      frame(job.id, 1, { result: ['x', '"y"'] }),
      frame(job.id, 2, { result: null, error: 'decode failed' }),
    ]);
    const { items } = await results.page(job.id, { limit: 10 });
    expect(items.map((r) => r.result)).toEqual([tricky, ['x', '"y"'], null]);
    expect(items[2].error).toBe('decode failed');
  });

  it('stores each frame’s geometry, null when the message had none, and through upsertBatchWithProgress too', async () => {
    const { job } = await jobs.createPending(jobInput());
    const geometry = { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } };
    await results.upsertBatch([frame(job.id, 0, { geometry }), frame(job.id, 1), frame(job.id, 2, { geometry: null })]);
    await results.upsertBatchWithProgress([frame(job.id, 3, { geometry })]);
    const { items } = await results.page(job.id, { limit: 10 });
    expect(items.map((r) => r.geometry)).toEqual([geometry, null, null, geometry]);
    // A redelivery rewrites it.
    const turned = { analysed: { width: 360, height: 640 }, source: { width: 720, height: 1280 } };
    await results.upsertBatch([frame(job.id, 1, { geometry: turned })]);
    expect((await results.page(job.id, { limit: 10 })).items[1]?.geometry).toEqual(turned);
  });

  it('writes a batch as one jsonb parameter: any JSON result, text with quotes and newlines, NULs removed; counts per job; unknown jobs absent', async () => {
    const a = (await jobs.createPending(jobInput())).job;
    const b = (await jobs.createPending(jobInput())).job;
    const unknown = randomUUID();
    const progress = await results.upsertBatchWithProgress([
      frame(b.id, 0, { result: 'a "string" \\ result', worker_id: 'w "q"\n2' }),
      frame(a.id, 0, { result: 42 }),
      frame(a.id, 1, { result: [null, { k: '\\"' }], timings_ms: { 'node "x"': 3 } }),
      frame(unknown, 0),
      frame(a.id, 2, { result: null, error: 'line 1\nline "2" \\ {x}' }),
      frame(b.id, 1, { result: { 'k\0': 'v\0al' }, error: null, worker_id: 'w\0' }),
    ]);
    expect(progress).toEqual(
      new Map([
        [a.id, { done: 2, failed: 1, total: null }],
        [b.id, { done: 2, failed: 0, total: null }],
      ]),
    );
    const rowsOf = async (id: string) => (await results.page(id, { limit: 10 })).items;
    expect((await rowsOf(a.id)).map((r) => [r.result, r.error, r.timings_ms])).toEqual([
      [42, null, frame(a.id, 0).timings_ms],
      [[null, { k: '\\"' }], null, { 'node "x"': 3 }],
      [null, 'line 1\nline "2" \\ {x}', frame(a.id, 2).timings_ms],
    ]);
    expect((await rowsOf(b.id)).map((r) => [r.result, r.worker_id, r.pts_ms])).toEqual([
      ['a "string" \\ result', 'w "q"\n2', 0],
      [{ k: 'val' }, 'w', 40], // U+0000, which Postgres refuses, is removed from keys and values
    ]);
    expect(await count(unknown)).toBe(0);
  });

  it('collapses a frame repeated inside one batch to its last occurrence', async () => {
    const { job } = await jobs.createPending(jobInput());
    const written = await results.upsertBatch([
      frame(job.id, 0, { worker_id: 'a' }),
      frame(job.id, 1),
      frame(job.id, 0, { worker_id: 'b' }),
    ]);
    expect(written).toBe(2);
    expect((await results.page(job.id, { limit: 10 })).items.map((r) => r.worker_id)).toEqual(['b', 'w-1']);
  });

  it('never replaces a stored success with an error; a success replaces an error', async () => {
    const { job } = await jobs.createPending(jobInput());
    await results.upsertBatch([frame(job.id, 0), frame(job.id, 1, { result: null, error: 'timeout' })]);
    await results.upsertBatch([frame(job.id, 0, { result: null, error: 'oom on rerun' }), frame(job.id, 1, { result: { ok: true } })]);
    const { items } = await results.page(job.id, { limit: 10 });
    expect(items.map((r) => [r.error, r.result])).toEqual([
      [null, frame(job.id, 0).result],
      [null, { ok: true }],
    ]);
    expect(await results.counts(job.id)).toEqual({ done: 2, failed: 0 });
  });

  it('pages through results in frame order', async () => {
    const { job } = await jobs.createPending(jobInput());
    const indexes = Array.from({ length: 300 }, (_, i) => i * 3).sort(() => Math.random() - 0.5);
    await results.upsertBatch(indexes.map((i) => frame(job.id, i)));
    const seen: number[] = [];
    let after: number | null = null;
    let pages = 0;
    do {
      const page = await results.page(job.id, { limit: 64, afterFrameIndex: after });
      seen.push(...page.items.map((r) => r.frame_index));
      after = page.next_after_frame_index;
      pages += 1;
    } while (after !== null);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i * 3));
    expect(pages).toBe(5);
    expect(await results.page(randomUUID(), { limit: 10 })).toEqual({ items: [], next_after_frame_index: null });
  });

  it('counts done (no error) and failed (error)', async () => {
    const { job } = await jobs.createPending(jobInput());
    await results.upsertBatch([
      ...Array.from({ length: 7 }, (_, i) => frame(job.id, i)),
      ...Array.from({ length: 3 }, (_, i) => frame(job.id, 100 + i, { result: null, error: 'bad frame' })),
    ]);
    expect(await results.counts(job.id)).toEqual({ done: 7, failed: 3 });
    expect(await results.counts(randomUUID())).toEqual({ done: 0, failed: 0 });
  });

  it('splits batches above the chunk size and writes them in one transaction', async () => {
    const { job } = await jobs.createPending(jobInput());
    expect(await results.upsertBatch(Array.from({ length: 12_001 }, (_, i) => frame(job.id, i)))).toBe(12_001);
    expect(await count(job.id)).toBe(12_001);
  });

  it('disappear with their job (ON DELETE CASCADE)', async () => {
    const { job } = await jobs.createPending(jobInput());
    await results.upsertBatch([frame(job.id, 0)]);
    await new JobEventsRepository(db.dataSource).append(job.id, 'k', 'submitted', {}, new Date());
    await db.dataSource.query(`DELETE FROM jobs WHERE id = $1`, [job.id]);
    expect(await count(job.id)).toBe(0);
    expect(await new JobEventsRepository(db.dataSource).list(job.id)).toEqual([]);
  });
});

describe('JobEventsRepository', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('records an event once per key and lists the timeline in occurrence order', async () => {
    const { job } = await new JobsRepository(db.dataSource).createPending(jobInput());
    const events = new JobEventsRepository(db.dataSource);
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    expect(await events.append(job.id, 'b', 'extracting', { n: 2 }, t(2))).toBe(true);
    expect(await events.append(job.id, 'a', 'submitted', { n: 1 }, t(1))).toBe(true);
    expect(await events.append(job.id, 'a', 'submitted', { n: 'again' }, t(1))).toBe(false);
    const list = await events.list(job.id);
    expect(list.map((e) => [e.event_key, e.type, e.payload, e.occurred_at])).toEqual([
      ['a', 'submitted', { n: 1 }, t(1)],
      ['b', 'extracting', { n: 2 }, t(2)],
    ]);
    expect(typeof list[0].id).toBe('number');
  });
});

describe('ProjectionStore', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  let results: FrameResultsRepository;
  let store: ProjectionStore;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 20 });
    jobs = new JobsRepository(db.dataSource);
    results = new FrameResultsRepository(db.dataSource);
    store = new ProjectionStore(jobs);
  });
  afterAll(() => db.drop());

  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const FRAMES = 10;

  /** A job with its frame_results already persisted (8 ok, 2 failed) and its events, keyed like message ids. */
  async function scenario() {
    const { job } = await jobs.createPending(jobInput());
    await results.upsertBatch(
      Array.from({ length: FRAMES }, (_, i) => frame(job.id, i, i >= 8 ? { result: null, error: 'model rejected input' } : {})),
    );
    const events: [JobEvent, string][] = [
      [makeEvent('submitted', job.id, { pipeline_id: 'detect', frame_stride: 5, max_frames: 100 }, t(0)), 'submitted'],
      [makeEvent('extracting', job.id, { video: VIDEO }, t(1)), 'extracting'],
      [makeEvent('extracted', job.id, { frames_total: FRAMES, frames_decoded: FRAMES }, t(2)), 'extracted'],
      [makeEvent('frames', job.id, { frames_done: 5, frames_failed: 0 }, t(3)), 'frames:1'],
      [makeEvent('frames', job.id, { frames_done: 8, frames_failed: 2 }, t(4)), 'frames:2'],
    ];
    return { job, events };
  }

  /** The row minus what legitimately differs between two jobs. */
  function comparable(job: JobRecord) {
    const { id: _id, input_key: _k, created_at: _c, updated_at: _u, finished_at, ...rest } = job;
    return { ...rest, finished: finished_at !== null };
  }

  it('projects a job to completion in order; completion is reported once', async () => {
    const { job, events } = await scenario();
    const outcomes: ApplyEventResult[] = [];
    for (const [event, key] of events) outcomes.push(await store.applyEvent(event, key));
    expect(outcomes.map((o) => o.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(outcomes.map((o) => (o.outcome === 'applied' ? o.becameTerminal : null))).toEqual([null, null, 'completed', null, null]);
    const final = (await jobs.get(job.id))!;
    expect(final).toMatchObject({
      status: 'completed',
      video: VIDEO,
      frames_total: FRAMES,
      frames_done: 8,
      frames_failed: 2,
      started_at: t(1),
      extracted_at: t(2),
      finished_at: t(2),
    });
    const timeline = await new JobEventsRepository(db.dataSource).list(job.id);
    expect(timeline.map((e) => e.event_key)).toEqual(events.map(([, k]) => k));
    expect(timeline[1].payload).toEqual(events[1][0]);
  });

  it('gives the same final row for events out of order and delivered twice', async () => {
    const inOrder = await scenario();
    for (const [event, key] of inOrder.events) await store.applyEvent(event, key);

    const shuffled = await scenario();
    const order = [4, 2, 4, 0, 3, 2, 1, 1, 0, 3].map((i) => shuffled.events[i]);
    const outcomes: ApplyEventResult[] = [];
    for (const [event, key] of order) outcomes.push(await store.applyEvent(event, key));

    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(5);
    expect(outcomes.filter((o) => o.outcome === 'applied' && o.becameTerminal === 'completed')).toHaveLength(1);
    const a = (await jobs.get(inOrder.job.id))!;
    const b = (await jobs.get(shuffled.job.id))!;
    expect(comparable(b)).toEqual(comparable(a));
    expect(b.status).toBe('completed');
    expect(b.started_at).toEqual(t(1));
  });

  it('reports a repeat as duplicate without touching the row', async () => {
    const { job, events } = await scenario();
    const [extracting, key] = events[1];
    await store.applyEvent(extracting, key);
    const before = (await jobs.get(job.id))!;
    const again = await store.applyEvent(extracting, key);
    expect(again).toEqual({ outcome: 'duplicate', job: before });
    expect(await jobs.get(job.id)).toEqual(before);
  });

  it('never moves a completed job back, and keeps failed over late progress', async () => {
    const { job, events } = await scenario();
    for (const [event, key] of events) await store.applyEvent(event, key);
    const done = (await jobs.get(job.id))!;
    const late = await store.applyEvent(makeEvent('extracting', job.id, { video: VIDEO }, t(9)), 'extracting:replay');
    expect(late).toMatchObject({ outcome: 'applied', changed: false, becameTerminal: null });
    const lateFail = await store.applyEvent(
      makeEvent('failed', job.id, { stage: 'inference', error_code: 'INTERNAL', error_message: 'x' }, t(9)),
      'failed',
    );
    expect(lateFail).toMatchObject({ outcome: 'applied', changed: false });
    expect(await jobs.get(job.id)).toEqual(done);

    const other = await scenario();
    await store.applyEvent(other.events[1][0], 'extracting');
    const failed = await store.applyEvent(
      makeEvent('failed', other.job.id, { stage: 'extractor', error_code: 'INVALID_VIDEO', error_message: 'bad' }, t(3)),
      'failed',
    );
    expect(failed).toMatchObject({ outcome: 'applied', changed: true, becameTerminal: 'failed' });
    const after = await store.applyEvent(other.events[2][0], 'extracted');
    expect(after).toMatchObject({ outcome: 'applied', becameTerminal: null });
    expect((await jobs.get(other.job.id))!).toMatchObject({
      status: 'failed',
      error_code: 'INVALID_VIDEO',
      error_message: 'bad',
      finished_at: t(3),
      frames_total: FRAMES,
    });
  });

  it('reports an event for an unknown job distinctly and records nothing', async () => {
    const id = randomUUID();
    const outcome = await store.applyEvent(makeEvent('extracting', id, { video: VIDEO }, t(1)), 'extracting');
    expect(outcome).toEqual({ outcome: 'job_not_found' });
    const rows = await db.dataSource.query<
      {
        n: number;
      }[]
    >(`SELECT count(*)::int AS n FROM job_events WHERE job_id = $1`, [id]);
    expect(rows[0].n).toBe(0);
  });

  it('loses no update when events for one job are applied concurrently', async () => {
    const { job } = await jobs.createPending(jobInput());
    const total = 200;
    await store.applyEvent(makeEvent('extracting', job.id, { video: VIDEO }, t(1)), 'extracting');
    // The persister writes results in batches while progress events race each other.
    const work: Promise<unknown>[] = [];
    const outcomes: ApplyEventResult[] = [];
    const persisted: Promise<unknown>[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const rows = Array.from({ length: total / 20 }, (_, i) => frame(job.id, batch * 10 + i));
      persisted.push(results.upsertBatch(rows));
      work.push(
        persisted[batch].then(() =>
          store
            .applyEvent(makeEvent('frames', job.id, { frames_done: 0, frames_failed: 0 }, t(10 + batch)), `frames:${batch}`)
            .then((o) => outcomes.push(o)),
        ),
      );
    }
    work.push(
      store
        .applyEvent(makeEvent('extracted', job.id, { frames_total: total, frames_decoded: total }, t(5)), 'extracted')
        .then((o) => outcomes.push(o)),
    );
    // Every event delivered twice, concurrently (a redelivery, like the first delivery, comes after its batch is persisted).
    for (let batch = 0; batch < 20; batch++) {
      work.push(
        persisted[batch].then(() =>
          store
            .applyEvent(makeEvent('frames', job.id, { frames_done: 0, frames_failed: 0 }, t(10 + batch)), `frames:${batch}`)
            .then((o) => outcomes.push(o)),
        ),
      );
    }
    await Promise.all(work);

    const final = (await jobs.get(job.id))!;
    expect(final).toMatchObject({ status: 'completed', frames_total: total, frames_done: total, frames_failed: 0 });
    expect(outcomes.filter((o) => o.outcome === 'applied' && o.becameTerminal === 'completed')).toHaveLength(1);
    const recorded = await db.dataSource.query<
      {
        n: number;
      }[]
    >(`SELECT count(*)::int AS n FROM job_events WHERE job_id = $1`, [job.id]);
    expect(recorded[0].n).toBe(22); // extracting + extracted + 20 distinct frames keys
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(20);
  });
});

describe('database unavailable', () => {
  /** A TCP proxy in front of Postgres that the test can cut. */
  async function proxy(target: { host: string; port: number }) {
    const sockets = new Set<Socket>();
    const server: Server = createServer((client) => {
      const upstream = new Socket();
      sockets.add(client);
      sockets.add(upstream);
      upstream.connect(target.port, target.host);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return {
      port: address.port,
      cut: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('surfaces as DATABASE_UNAVAILABLE when the server cannot be reached at all', async () => {
    const url = new URL(db.url);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    url.host = `127.0.0.1:${port}`;
    const err = await expectDomainError(openDataSource({ url: url.toString(), connectTimeoutMs: 2000 }), 'DATABASE_UNAVAILABLE');
    expect(err.retryable).toBe(true);
  });

  it('surfaces as DATABASE_UNAVAILABLE when connections drop under a running app', async () => {
    const url = new URL(db.url);
    const p = await proxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${p.port}`;
    const ds = await openDataSource({ url: url.toString(), poolSize: 2, connectTimeoutMs: 2000 });
    try {
      const { job } = await new JobsRepository(ds).createPending(jobInput());
      const store = new ProjectionStore(new JobsRepository(ds));
      await p.cut();
      await expectDomainError(store.applyEvent(makeEvent('extracting', job.id, { video: VIDEO }), 'extracting'), 'DATABASE_UNAVAILABLE');
      await expectDomainError(new JobsRepository(ds).get(job.id), 'DATABASE_UNAVAILABLE');
      await expectDomainError(new FrameResultsRepository(ds).upsertBatch([frame(job.id, 0)]), 'DATABASE_UNAVAILABLE');
    } finally {
      await ds.destroy().catch(() => undefined);
    }
  });
});
