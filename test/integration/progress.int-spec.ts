import { randomUUID } from 'node:crypto';
import { FrameResultsRepository, JobsRepository, type FrameResultInput } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';

jest.setTimeout(30_000);

/**
 * The persister's write path for throttled progress: upsert a batch and read
 * each job's counts and total under the job's row lock, so the batch that
 * completes a job always sees it complete.
 */
describe('FrameResultsRepository.upsertBatchWithProgress', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  let results: FrameResultsRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    jobs = new JobsRepository(db.dataSource);
    results = new FrameResultsRepository(db.dataSource);
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function newJob(): Promise<string> {
    const id = randomUUID();
    await jobs.createPending({
      id,
      pipeline_id: 'text_regions',
      input_key: `inputs/${id}/video`,
      input_size: 1,
      input_sha256: 'ab',
      frame_stride: 1,
      max_frames: null,
    });
    return id;
  }

  const row = (jobId: string, frame: number, error: string | null = null): FrameResultInput => ({
    job_id: jobId,
    frame_index: frame,
    pts_ms: frame * 33.3,
    result: error ? null : { detect: { regions: [] } },
    error,
    timings_ms: {},
    worker_id: 'w',
  });

  it('returns cumulative counts per job, and the total once extraction has set it', async () => {
    const a = await newJob();
    const b = await newJob();
    const first = await results.upsertBatchWithProgress([row(a, 0), row(a, 1, 'boom'), row(b, 0)]);
    expect(Object.fromEntries(first)).toEqual({ [a]: { done: 1, failed: 1, total: null }, [b]: { done: 1, failed: 0, total: null } });
    await db.dataSource.query('UPDATE jobs SET frames_total = 3 WHERE id = $1', [a]);
    const again = await results.upsertBatchWithProgress([row(a, 1), row(a, 2), row(a, 2)]); // a redelivered frame, and a rerun that succeeded
    expect(again.get(a)).toEqual({ done: 3, failed: 0, total: 3 });
  });

  it('serialises concurrent batches of one job: the last one to commit sees every frame', async () => {
    const id = await newJob();
    await db.dataSource.query('UPDATE jobs SET frames_total = 40 WHERE id = $1', [id]);
    const batches = Array.from({ length: 8 }, (_, k) => Array.from({ length: 5 }, (_, i) => row(id, k * 5 + i)));
    const seen = await Promise.all(batches.map((b) => results.upsertBatchWithProgress(b)));
    const counts = seen.map((m) => m.get(id)!.done).sort((x, y) => x - y);
    expect(counts).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
  });

  it('skips the rows of a job that does not exist, writing the others of the batch', async () => {
    const live = await newJob();
    const unknown = randomUUID();
    const out = await results.upsertBatchWithProgress([row(live, 0), row(unknown, 0), row(unknown, 1), row(live, 1)]);
    expect(Object.fromEntries(out)).toEqual({ [live]: { done: 2, failed: 0, total: null } });
    const stored = await db.dataSource.query<Array<{ job_id: string }>>('SELECT job_id FROM frame_results WHERE job_id = ANY($1::uuid[])', [
      [live, unknown],
    ]);
    expect(stored.map((r) => r.job_id)).toEqual([live, live]);
  });
});
