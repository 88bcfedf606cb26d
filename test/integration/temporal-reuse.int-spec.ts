/**
 * Temporal reuse is invisible in the results: on generated videos with static
 * text, moving text and scene cuts, each sampled frame is decoded as the
 * extractor decodes it and read by the real ocr pipeline (full computation);
 * the same frames then go through the extractor's reuse decision
 * (ReuseTracker over reuseThumbnail, default FW_REUSE_THRESHOLD) and the
 * persister's write path (upsertBatchWithProgress over the real database),
 * reused rows landing BEFORE their anchors as they do in the running system.
 * Every frame read back must carry the same texts as the full computation,
 * boxes within 2 px; reuse must have happened on the static video and never
 * across a cut. Also: how pending reused rows count, and redelivery.
 */
import { decodeFrames, ReuseTracker, reuseThumbnail } from '@framewire/media';
import { InProcessPipelineRunner, PipelineRegistry, PluginRegistry, builtinPlugins, type PipelineRunner } from '@framewire/pipelines';
import {
  FrameResultsRepository,
  JobsRepository,
  TracksRepository,
  type FrameResultInput,
  type FrameResultRecord,
} from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import pino from 'pino';
import { join } from 'node:path';
import { TracksService } from '../../apps/status/src/tracks.service';
import { loadExtractorConfig } from '../../apps/extractor/src/config';
import { makeFixtureDir, makeVideo, removeFixtureDir, type TextOverlay } from '../support/fixtures';

jest.setTimeout(120_000);

const FRAMES = 12;
const SIZE = { width: 480, height: 270, fps: 10, frames: FRAMES };
const text = (t: string, fromFrame: number, toFrame: number, x: number, y: number): TextOverlay => ({
  text: t,
  fromFrame,
  toFrame,
  x,
  y,
  fontSize: 30,
});

/** Scrolling text: one overlay per frame, 6 px further right each time. */
const scrolling = Array.from({ length: FRAMES }, (_, i) => text('SCROLL 42', i, i, 40 + 6 * i, 120));
const VIDEOS: Record<string, TextOverlay[]> = {
  static: [text('FRAMEWIRE 2026', 0, FRAMES - 1, 60, 100)],
  moving: scrolling,
  cuts: [text('FIRST SCENE', 0, 5, 40, 60), text('SECOND 777', 6, FRAMES - 1, 150, 180)],
};

interface Sampled {
  index: number;
  pts: number;
  full: FrameResultInput;
  reusedFrom: number | null;
}

let dir: string;
let db: TestDatabase;
let runner: PipelineRunner;
let jobs: JobsRepository;
let frames: FrameResultsRepository;
const sampled: Record<string, Sampled[]> = {};
const threshold = loadExtractorConfig({}).reuseThreshold;

beforeAll(async () => {
  dir = await makeFixtureDir();
  const plugins = new PluginRegistry(builtinPlugins());
  runner = new InProcessPipelineRunner(PipelineRegistry.fromDirectories(plugins), plugins);
  const paths = await Promise.all(
    Object.entries(VIDEOS).map(([name, texts]) => makeVideo({ path: join(dir, `${name}.mp4`), ...SIZE, texts })),
  );
  await runner.init(['ocr']);
  db = await createTestDatabase();
  jobs = new JobsRepository(db.dataSource);
  frames = new FrameResultsRepository(db.dataSource);
  for (const [i, name] of Object.keys(VIDEOS).entries()) {
    const tracker = new ReuseTracker({ threshold, maxRun: 300 });
    const out: Sampled[] = [];
    for await (const frame of decodeFrames(paths[i]!, { stride: 1, maxFrames: null })) {
      const decision = tracker.decide(frame.index, await reuseThumbnail(frame.jpeg));
      const { result, timings_ms } = await runner.run('ocr', frame);
      out.push({
        index: frame.index,
        pts: frame.ptsMs,
        full: { job_id: '', frame_index: frame.index, pts_ms: frame.ptsMs, result, error: null, timings_ms, worker_id: 'full' },
        reusedFrom: decision.reuse ? decision.anchor : null,
      });
    }
    sampled[name] = out;
  }
});

afterAll(async () => {
  await runner?.close();
  await db?.drop();
  if (dir) await removeFixtureDir(dir);
});

async function newJob(): Promise<string> {
  const { job } = await jobs.createPending({
    pipeline_id: 'ocr',
    input_key: 'inputs/x.mp4',
    input_size: 1,
    input_sha256: 'a'.repeat(64),
    frame_stride: 1,
    max_frames: null,
  });
  await db.dataSource.query(`UPDATE jobs SET status = 'running', frames_total = $2 WHERE id = $1`, [job.id, FRAMES]);
  return job.id;
}

/** The rows the system writes for one job: computed frames from inference, reused ones from the extractor (no result). */
function systemRows(jobId: string, name: string): { computed: FrameResultInput[]; reused: FrameResultInput[] } {
  const rows = sampled[name]!;
  return {
    computed: rows.filter((s) => s.reusedFrom === null).map((s) => ({ ...s.full, job_id: jobId, worker_id: 'inference' })),
    reused: rows
      .filter((s) => s.reusedFrom !== null)
      .map((s) => ({
        job_id: jobId,
        frame_index: s.index,
        pts_ms: s.pts,
        result: null,
        error: null,
        timings_ms: {},
        worker_id: 'extractor',
        reused_from: s.reusedFrom,
      })),
  };
}

async function readAll(jobId: string): Promise<FrameResultRecord[]> {
  return (await frames.page(jobId, { limit: 1000 })).items;
}

type Line = { text: string; bbox: { x: number; y: number; width: number; height: number } };
const linesOf = (result: unknown): Line[] => ((result as { read?: { lines?: Line[] } } | null)?.read?.lines ?? []) as Line[];

function expectSameAsFull(stored: FrameResultRecord[], name: string): void {
  const full = sampled[name]!;
  expect(stored.map((r) => r.frame_index)).toEqual(full.map((s) => s.index));
  stored.forEach((row, i) => {
    const want = linesOf(full[i]!.full.result);
    const got = linesOf(row.result);
    expect(got.map((l) => l.text)).toEqual(want.map((l) => l.text));
    got.forEach((l, j) => {
      const w = want[j]!.bbox;
      for (const k of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(l.bbox[k] - w[k])).toBeLessThanOrEqual(2);
    });
  });
}

describe.each(Object.keys(VIDEOS))('%s text', (name) => {
  it('with reuse, every frame reads back the same texts as the full computation, boxes within 2 px', async () => {
    const jobId = await newJob();
    const { computed, reused } = systemRows(jobId, name);
    // Reused frames land first (straight from the extractor), their anchors later, one by one (inference).
    await frames.upsertBatchWithProgress(reused);
    for (const row of computed) await frames.upsertBatchWithProgress([row]);
    const stored = await readAll(jobId);
    expectSameAsFull(stored, name);
    expect(stored.filter((r) => r.reused_from !== null).map((r) => r.frame_index)).toEqual(reused.map((r) => r.frame_index));
    expect(stored.every((r) => r.reused_from === null || r.timings_ms.det === undefined)).toBe(true);
    expect(await frames.counts(jobId)).toEqual({ done: FRAMES, failed: 0 });
  });
});

it('reuse happened where the picture stood still, and never across a cut', () => {
  const reusedOf = (name: string) => sampled[name]!.filter((s) => s.reusedFrom !== null);
  // The static video: every frame after the first keyframe's neighbourhood reuses frame 0.
  expect(reusedOf('static').length).toBeGreaterThanOrEqual(FRAMES - 2);
  expect(reusedOf('static').every((s) => s.reusedFrom === 0)).toBe(true);
  // Scene cuts: the first frame of the second scene is computed, and no frame reuses one from the other scene.
  const cuts = sampled.cuts!;
  expect(cuts[6]!.reusedFrom).toBeNull();
  expect(cuts.every((s) => s.reusedFrom === null || s.reusedFrom >= 6 === s.index >= 6)).toBe(true);
  // Scrolling text moves 6 px a frame: every frame is computed.
  expect(reusedOf('moving')).toEqual([]);
});

it('a reused row waiting for its anchor counts as nothing and is not shown; redelivery and a rerun anchor keep it right', async () => {
  const jobId = await newJob();
  const { computed, reused } = systemRows(jobId, 'static');
  const anchor = computed[0]!;
  const progress = await frames.upsertBatchWithProgress(reused);
  expect(progress.get(jobId)).toEqual({ done: 0, failed: 0, total: FRAMES });
  expect(await readAll(jobId)).toEqual([]);

  // The anchor lands: every waiting row is filled in the same transaction.
  const after = await frames.upsertBatchWithProgress([anchor]);
  expect(after.get(jobId)).toEqual({ done: 1 + reused.length, failed: 0, total: FRAMES });
  // Redelivered reused rows (after their anchor): filled again at once, counted once.
  expect((await frames.upsertBatchWithProgress(reused)).get(jobId)).toEqual({ done: 1 + reused.length, failed: 0, total: FRAMES });
  const stored = await readAll(jobId);
  expect(stored).toHaveLength(1 + reused.length);
  for (const r of stored) expect(r.result).toEqual(stored[0]!.result);

  // A rerun anchor that failed keeps its stored success (the upsert rule), and so do the rows reusing it.
  await frames.upsertBatchWithProgress([{ ...anchor, result: null, error: 'boom' }]);
  expect(await frames.counts(jobId)).toEqual({ done: 1 + reused.length, failed: 0 });
  // A rerun anchor with another result passes it on to the rows reusing it.
  await frames.upsertBatchWithProgress([{ ...anchor, result: { read: { lines: [] } } }]);
  expect((await readAll(jobId)).map((r) => r.result)).toEqual(Array.from({ length: 1 + reused.length }, () => ({ read: { lines: [] } })));
  await frames.upsertBatchWithProgress([anchor]);

  // The tracks builder sees the reused frames as frames that showed the text.
  const service = new TracksService(frames, new TracksRepository(db.dataSource), { tracksIntervalMs: 60_000 }, pino({ level: 'silent' }));
  const job = (await jobs.get(jobId))!;
  const built = await service.buildFinal({ ...job, status: 'completed' });
  expect(built).toMatchObject({ frames: 1 + reused.length, text_tracks: 1 });
});
