import { randomUUID } from 'node:crypto';
import { FrameResultsRepository, JobsRepository, type CreateJobInput, type FrameResultInput } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';

jest.setTimeout(60_000);

function jobInput(): CreateJobInput {
  return {
    pipeline_id: 'detect',
    input_key: `inputs/${randomUUID()}.mp4`,
    input_size: 1000,
    input_sha256: 'b'.repeat(64),
    frame_stride: 1,
    max_frames: null,
  };
}

function frame(jobId: string, index: number, timings_ms: Record<string, number>, error: string | null = null): FrameResultInput {
  return {
    job_id: jobId,
    frame_index: index,
    pts_ms: index * 40,
    result: error ? null : { i: index },
    error,
    timings_ms,
    worker_id: 'w-1',
  };
}

/** jobs.inference_ms: the sum of the stored rows' pipeline time, kept by the upsert itself. */
describe('jobs.inference_ms', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  let results: FrameResultsRepository;
  beforeAll(async () => {
    db = await createTestDatabase();
    jobs = new JobsRepository(db.dataSource);
    results = new FrameResultsRepository(db.dataSource);
  });
  afterAll(() => db.drop());

  const inferenceMs = async (id: string) => (await jobs.get(id))!.inference_ms;
  /** What the column must equal: recomputed from the rows. */
  const recomputed = async (id: string) =>
    Number(
      (
        await db.dataSource.query<{ ms: string | null }[]>(
          `SELECT sum(e.value::float8) AS ms FROM frame_results fr, jsonb_each(fr.timings_ms) e WHERE fr.job_id = $1`,
          [id],
        )
      )[0].ms ?? 0,
    );

  it('starts at 0 and adds each batch’s per-frame totals (the sum of the node timings)', async () => {
    const { job } = await jobs.createPending(jobInput());
    expect(job.inference_ms).toBe(0);
    const progress = await results.upsertBatchWithProgress([
      frame(job.id, 0, { pre: 1.5, infer: 10 }),
      frame(job.id, 1, { pre: 2, infer: 20.25 }),
    ]);
    expect(progress.get(job.id)).toEqual({ done: 2, failed: 0, total: null });
    expect(await inferenceMs(job.id)).toBeCloseTo(33.75, 6);
    await results.upsertBatchWithProgress([frame(job.id, 2, { infer: 5 }), frame(job.id, 3, {}, 'boom')]);
    expect(await inferenceMs(job.id)).toBeCloseTo(38.75, 6);
  });

  it('counts a redelivered frame once: a rewrite replaces its time, a kept success keeps it', async () => {
    const { job } = await jobs.createPending(jobInput());
    const batch = [frame(job.id, 0, { infer: 10 }), frame(job.id, 1, { infer: 20 })];
    await results.upsertBatchWithProgress(batch);
    await results.upsertBatchWithProgress(batch);
    expect(await inferenceMs(job.id)).toBeCloseTo(30, 6);
    // A rerun with another time replaces the old one; an error never replaces a stored success (its time stays).
    await results.upsertBatchWithProgress([frame(job.id, 0, { infer: 4 }), frame(job.id, 1, { infer: 1 }, 'oom on rerun')]);
    expect(await inferenceMs(job.id)).toBeCloseTo(24, 6);
    // The same frame twice in one batch: its last occurrence.
    await results.upsertBatchWithProgress([frame(job.id, 2, { infer: 100 }), frame(job.id, 2, { infer: 7 })]);
    expect(await inferenceMs(job.id)).toBeCloseTo(31, 6);
    expect(await inferenceMs(job.id)).toBeCloseTo(await recomputed(job.id), 6);
  });

  it('stays exact per job for batches spanning jobs, written concurrently with redeliveries', async () => {
    const a = (await jobs.createPending(jobInput())).job;
    const b = (await jobs.createPending(jobInput())).job;
    const batches = Array.from({ length: 12 }, (_, n) =>
      Array.from({ length: 40 }, (_, i) => frame(i % 2 ? a.id : b.id, (n % 6) * 40 + i, { pre: 1, infer: (n % 6) + i / 10 })),
    );
    await Promise.all(batches.map((batch) => results.upsertBatchWithProgress(batch)));
    for (const id of [a.id, b.id]) {
      const want = await recomputed(id);
      expect(want).toBeGreaterThan(0);
      expect(await inferenceMs(id)).toBeCloseTo(want, 6);
    }
  });

  it('splits batches above the chunk size and still adds every chunk', async () => {
    const { job } = await jobs.createPending(jobInput());
    await results.upsertBatchWithProgress(Array.from({ length: 5500 }, (_, i) => frame(job.id, i, { infer: 2 })));
    expect(await inferenceMs(job.id)).toBeCloseTo(11_000, 6);
  });
});
