/**
 * The accuracy bar of text tracks: a generated 10 s video with two texts
 * (and blank frames between and after them) is sampled as the extractor
 * samples it, read by the real ocr pipeline (PP-OCRv4), stored as frame
 * results, and turned into tracks by the status service's TracksService over
 * the real database. Every drawn text must come back as exactly one track
 * with the exact text, starting and ending within one sampling interval of
 * the truth, and the blank frames as nothing.
 */
import { decodeFrames, probeVideo } from '@framewire/media';
import { InProcessPipelineRunner, PipelineRegistry, PluginRegistry, builtinPlugins, type PipelineRunner } from '@framewire/pipelines';
import { FrameResultsRepository, JobsRepository, TracksRepository, type FrameResultInput, type JobRecord } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import { textTrackSchema, type TextTrack } from '@framewire/contracts';
import pino from 'pino';
import { join } from 'node:path';
import { TracksService } from '../../apps/status/src/tracks.service';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';

jest.setTimeout(180_000);

const FPS = 10;
const STRIDE = 5;
const INTERVAL_MS = (STRIDE * 1000) / FPS;
/** What is on screen, and when: [from, to) in ms; frames shown are from*FPS/1000 .. to*FPS/1000 - 1. */
const TRUTH = [
  { text: 'FRAMEWIRE 2026', from: 0, to: 5000, x: 66, y: 64 },
  { text: 'TRUCK ABC 1234', from: 6000, to: 9300, x: 180, y: 230 },
];

let dir: string;
let db: TestDatabase;
let runner: PipelineRunner;
let jobs: JobsRepository;
let frames: FrameResultsRepository;
let tracks: TracksRepository;
let service: TracksService;
let rows: FrameResultInput[];
let job: JobRecord;

beforeAll(async () => {
  dir = await makeFixtureDir();
  const plugins = new PluginRegistry(builtinPlugins());
  runner = new InProcessPipelineRunner(PipelineRegistry.fromDirectories(plugins), plugins);
  const [video] = await Promise.all([
    makeVideo({
      path: join(dir, 'two-texts.mp4'),
      width: 640,
      height: 360,
      fps: FPS,
      frames: 100,
      texts: TRUTH.map((t) => ({
        text: t.text,
        fromFrame: (t.from * FPS) / 1000,
        toFrame: (t.to * FPS) / 1000 - 1,
        x: t.x,
        y: t.y,
        fontSize: 36,
      })),
    }),
    runner.init(['ocr']),
  ]);
  db = await createTestDatabase();
  jobs = new JobsRepository(db.dataSource);
  frames = new FrameResultsRepository(db.dataSource);
  tracks = new TracksRepository(db.dataSource);
  service = new TracksService(frames, tracks, { tracksIntervalMs: 60_000 }, pino({ level: 'silent' }));

  const meta = await probeVideo(video);
  const created = await jobs.createPending({
    pipeline_id: 'ocr',
    input_key: 'inputs/two-texts.mp4',
    input_size: 1,
    input_sha256: 'a'.repeat(64),
    frame_stride: STRIDE,
    max_frames: null,
  });
  await db.dataSource.query(
    `UPDATE jobs SET status = 'running', duration_ms = $2, fps = $3, width = $4, height = $5, codec = $6, frame_count = $7 WHERE id = $1`,
    [created.job.id, meta.duration_ms, meta.fps, meta.width, meta.height, meta.codec, meta.frame_count],
  );
  job = (await jobs.get(created.job.id))!;

  rows = [];
  for await (const frame of decodeFrames(video, { stride: STRIDE, maxFrames: null })) {
    const { result, timings_ms } = await runner.run('ocr', frame);
    rows.push({ job_id: job.id, frame_index: frame.index, pts_ms: frame.ptsMs, result, error: null, timings_ms, worker_id: 'it' });
  }
});

afterAll(async () => {
  await runner?.close();
  await db?.drop();
  if (dir) await removeFixtureDir(dir);
});

function expectOnTruth(track: TextTrack, truth: (typeof TRUTH)[number]): void {
  expect(track.text).toBe(truth.text);
  expect(Math.abs(track.start_ms - truth.from)).toBeLessThanOrEqual(INTERVAL_MS);
  expect(Math.abs(track.end_ms - truth.to)).toBeLessThanOrEqual(INTERVAL_MS);
  // Where it was drawn (the box holds the text's ink, which starts a little right of and below x, y).
  expect(Math.abs(track.bbox.x - truth.x)).toBeLessThan(15);
  expect(Math.abs(track.bbox.y - truth.y)).toBeLessThan(20);
  expect(track.bbox_norm.x).toBeCloseTo(track.bbox.x / 640, 5);
}

it('samples the video as the extractor does: 20 frames, every 500 ms', () => {
  expect(rows.map((r) => r.pts_ms)).toEqual(Array.from({ length: 20 }, (_, i) => i * INTERVAL_MS));
});

it('while the job runs: the tracks of the frames done so far, not final', async () => {
  await frames.upsertBatch(rows.slice(0, 8));
  await service.buildRunning(job);
  expect(await tracks.state(job.id)).toMatchObject({ final: false, frames: 8, tracks: 1 });
  const { items } = await tracks.page(job.id, { limit: 10 });
  expect(items.map((t) => [t.text, t.start_ms, t.end_ms])).toEqual([['FRAMEWIRE 2026', 0, 8 * INTERVAL_MS]]);
  // Throttled: another build inside the interval does not start.
  expect(service.buildRunning(job)).toBeNull();
});

it('once all frames are in: every drawn text is exactly one track, exact text, within one interval of the truth; blank frames give none', async () => {
  await frames.upsertBatch(rows);
  const built = await service.buildFinal({ ...job, status: 'completed' });
  expect(built).toEqual({ stored: true, tracks: 2, text_tracks: 2, region_tracks: 0, frames: 20 });

  const { items } = await tracks.page(job.id, { limit: 10 });
  expect(items).toHaveLength(TRUTH.length);
  items.forEach((track, i) => {
    expect(textTrackSchema.parse(track)).toEqual(track);
    expect(track).toMatchObject({ track_index: i, output: 'read', kind: 'text' });
    expectOnTruth(track, TRUTH[i]!);
    expect(track.confidence).toBeGreaterThan(0.8);
    // Seen in every sample inside its time on screen.
    expect(track.frame_count).toBe(Math.ceil((TRUTH[i]!.to - TRUTH[i]!.from) / INTERVAL_MS));
    expect(track.boxes.every((b) => b.text === TRUTH[i]!.text)).toBe(true);
  });
  expect(await tracks.state(job.id)).toMatchObject({ final: true, frames: 20, tracks: 2 });

  // Idempotent: a redelivered completion rebuilds the same tracks.
  await service.buildFinal({ ...job, status: 'completed' });
  expect((await tracks.page(job.id, { limit: 10 })).items).toEqual(items);
  // And a late running build never replaces them.
  expect(await service.buildRunning({ ...job, status: 'running' })).toBeUndefined();
  expect(await tracks.state(job.id)).toMatchObject({ final: true, frames: 20 });
});
