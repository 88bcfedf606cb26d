/**
 * Admission control's Postgres figure: the frames the jobs not yet extracted
 * will still queue (JobsRepository.framesNotYetExtracted), on a real database.
 */
import { randomUUID } from 'node:crypto';
import { JobsRepository, type CreateJobInput } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';

jest.setTimeout(60_000);

const CAP = 1000;

describe('JobsRepository.framesNotYetExtracted', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  beforeAll(async () => {
    db = await createTestDatabase();
    jobs = new JobsRepository(db.dataSource);
  });
  afterAll(() => db.drop());

  async function job(overrides: Partial<CreateJobInput>, set: Record<string, unknown> = {}): Promise<string> {
    const { job } = await jobs.createPending({
      pipeline_id: 'frame_stats',
      input_key: `inputs/${randomUUID()}.mp4`,
      input_size: 1000,
      input_sha256: 'a'.repeat(64),
      frame_stride: 1,
      max_frames: null,
      ...overrides,
    });
    const cols = Object.keys(set);
    if (cols.length > 0) {
      await db.dataSource.query(`UPDATE "jobs" SET ${cols.map((c, i) => `"${c}" = $${i + 2}`).join(', ')} WHERE "id" = $1`, [
        job.id,
        ...cols.map((c) => set[c]),
      ]);
    }
    return job.id;
  }

  const figure = () => jobs.framesNotYetExtracted(CAP);

  it('counts nothing on an empty system', async () => {
    expect(await figure()).toBe(0);
  });

  it('counts a pending job by its max_frames, and one without max_frames as 0 while no job has completed lately', async () => {
    await job({ max_frames: 50 });
    await job({});
    expect(await figure()).toBe(50);
  });

  it('counts a pending job without max_frames as the mean of the jobs completed in the last hour, capped by max_frames', async () => {
    const recent = { status: 'completed', frames_total: 20, finished_at: new Date() };
    await job({}, recent);
    await job({}, { ...recent, frames_total: 40 });
    await job({}, { ...recent, frames_total: 5000, finished_at: new Date(Date.now() - 2 * 3600_000) }); // too old to count
    // pending: max_frames 50 → min(50, mean 30) = 30; no max_frames → 30.
    expect(await figure()).toBe(60);
  });

  it('counts a probed job by its sampled frames less those done; extracted and finished jobs not at all', async () => {
    const before = await figure();
    // 100 frames at stride 3 → 34 sampled, 4 done, 1 failed: 29 to go.
    await job({ frame_stride: 3 }, { status: 'running', frame_count: 100, frames_done: 4, frames_failed: 1 });
    // Capped by max_frames: min(10, 100) - 0.
    await job({ max_frames: 10 }, { status: 'running', frame_count: 100 });
    // Extracted: the inference consumer counts what is left.
    await job({}, { status: 'running', frame_count: 100, frames_total: 100 });
    await job({}, { status: 'failed', frame_count: 100 });
    await job({ max_frames: 70 }, { status: 'cancelled' });
    expect((await figure()) - before).toBe(39);
  });

  it('counts a probed job sampled by time or range by its range: duration in range × sample_fps, frames in range / stride', async () => {
    const before = await figure();
    const probed = { status: 'running', frame_count: 300, duration_ms: 10_000 };
    // 10 s at 2 fps: 20.
    await job({ sample_fps: 2 }, probed);
    // 2 s to 5 s at 0.5 fps: 1.5 → 2, less 1 done: 1.
    await job({ sample_fps: 0.5, start_ms: 2000, end_ms: 5000 }, { ...probed, frames_done: 1 });
    // An end past the video is clamped: 9 s to 10 s at 3 fps: 3.
    await job({ sample_fps: 3, start_ms: 9000, end_ms: 60_000 }, probed);
    // Stride 10 over the first 5 s: 150 frames → 15.
    await job({ frame_stride: 10, end_ms: 5000 }, probed);
    // No duration: sampling by time falls back to the frame count, the busy side (300, capped by max_frames 40).
    await job({ sample_fps: 2, max_frames: 40 }, { status: 'running', frame_count: 300 });
    expect((await figure()) - before).toBe(20 + 1 + 3 + 15 + 40);
  });

  it('counts a keyframe job by the keyframes intake listed, pending or probed, capped by max_frames', async () => {
    const before = await figure();
    await job({ sample: 'keyframes', keyframe_count: 12 });
    await job({ sample: 'keyframes', keyframe_count: 80, max_frames: 30 }, { status: 'running', frame_count: 18_000, frames_done: 5 });
    expect((await figure()) - before).toBe(12 + 25);
  });
});
