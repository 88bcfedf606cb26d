/**
 * Coordinates users can trust: videos larger than FW_MAX_FRAME_WIDTH, of odd
 * sizes, and phone videos stored turned with rotation metadata go through the
 * real decode and the real ocr pipeline (analyzeVideo: the extractor's probe
 * and decode, the inference stage's pipeline run and its mapping to source
 * pixels), and the text comes back where it was drawn, in source-video pixels.
 */
import { join } from 'node:path';
import type { FrameGeometry, TextLineResult, VideoMetadata } from '@framewire/contracts';
import { checkVideoLimits, decodeFrames, probeVideo } from '@framewire/media';
import sharp from 'sharp';
import { analyzeVideo, type FrameOutcome } from '../../apps/cli/src/analyze';
import { containment, iou, type InkBox } from '../../libs/pipelines/test-support/render-text';
import { makeFixtureDir, makeVideo, removeFixtureDir, type MakeVideoOptions } from '../support/fixtures';

jest.setTimeout(180_000);

let dir = '';
beforeAll(async () => {
  dir = await makeFixtureDir();
});
afterAll(async () => {
  await removeFixtureDir(dir);
});

async function fixture(name: string, opts: Omit<MakeVideoOptions, 'path'>): Promise<string> {
  return makeVideo({ path: join(dir, name), frames: 2, fps: 10, ...opts });
}

/** The first frame's outcome of the ocr pipeline, as `analyze` (and a job) gives it. */
async function analyseFirstFrame(path: string, maxFrameWidth: number): Promise<{ video: VideoMetadata; outcome: FrameOutcome }> {
  let video: VideoMetadata | null = null;
  const outcomes: FrameOutcome[] = [];
  for await (const o of analyzeVideo(path, {
    pipeline: 'ocr',
    stride: 1,
    maxFrames: 1,
    workers: 1,
    env: { ...process.env, FW_MAX_FRAME_WIDTH: String(maxFrameWidth) },
    onVideo: (v) => (video = v),
  })) {
    outcomes.push(o);
  }
  expect(outcomes).toHaveLength(1);
  return { video: video as unknown as VideoMetadata, outcome: outcomes[0] as FrameOutcome };
}

/** Bounds of the dark pixels of the first frame decoded at full size (as displayed): where the text really is. */
async function inkOfFirstFrame(path: string): Promise<InkBox> {
  for await (const frame of decodeFrames(path, { stride: 1, maxFrames: 1 })) {
    const { data, info } = await sharp(frame.jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
    let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        if ((data[y * info.width + x] as number) >= 128) continue;
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      }
    }
    return { x: x0, y: y0, width: x1 + 1 - x0, height: y1 + 1 - y0 };
  }
  throw new Error('no frame decoded');
}

function onlyLine(outcome: FrameOutcome): TextLineResult {
  expect(outcome.error).toBeNull();
  const lines = (outcome.result as { read: { lines: TextLineResult[] } }).read.lines;
  expect(lines).toHaveLength(1);
  return lines[0] as TextLineResult;
}

/** The line is where the ink is, in source pixels, and its _norm forms are the same divided by the source size. */
function expectAtInk(line: TextLineResult, ink: InkBox, geometry: FrameGeometry, slackPx: number): void {
  const { bbox } = line;
  expect(containment(ink, bbox)).toBeGreaterThan(0.95);
  expect(iou(ink, bbox)).toBeGreaterThan(0.5);
  // Detection pads its boxes a little (unclip): by a few analysed pixels, so a few more once scaled up.
  expect(Math.abs(bbox.x - ink.x)).toBeLessThanOrEqual(slackPx);
  expect(Math.abs(bbox.y - ink.y)).toBeLessThanOrEqual(slackPx);
  expect(Math.abs(bbox.x + bbox.width - (ink.x + ink.width))).toBeLessThanOrEqual(slackPx);
  expect(Math.abs(bbox.y + bbox.height - (ink.y + ink.height))).toBeLessThanOrEqual(slackPx);
  const { width: sw, height: sh } = geometry.source;
  const norm = { x: bbox.x / sw, y: bbox.y / sh, width: bbox.width / sw, height: bbox.height / sh };
  for (const k of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(line.bbox_norm[k] - norm[k])).toBeLessThanOrEqual(1.5e-4);
  line.polygon.forEach(([x, y], i) => {
    expect(Math.abs((line.polygon_norm[i] as [number, number])[0] - x / sw)).toBeLessThanOrEqual(1.5e-4);
    expect(Math.abs((line.polygon_norm[i] as [number, number])[1] - y / sh)).toBeLessThanOrEqual(1.5e-4);
  });
}

describe('results in source-video pixels', () => {
  it('finds text drawn at x=2400, y=1600 of a 3840x2160 video there, though it was analysed at 1920x1080', async () => {
    const path = await fixture('4k.mp4', {
      width: 3840,
      height: 2160,
      texts: [{ text: 'FOUR K TEXT', fromFrame: 0, toFrame: 1, x: 2400, y: 1600, fontSize: 96 }],
    });
    const [{ video, outcome }, ink] = await Promise.all([analyseFirstFrame(path, 1920), inkOfFirstFrame(path)]);
    expect(video).toMatchObject({ width: 3840, height: 2160 });
    expect(outcome.geometry).toEqual({ analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } });
    const line = onlyLine(outcome);
    expect(line.text).toBe('FOUR K TEXT');
    // drawtext's x is the ink's left edge (± a pixel of side bearing); y is the top of the line box, above the capitals.
    expect(Math.abs(ink.x - 2400)).toBeLessThanOrEqual(10);
    expect(ink.y - 1600).toBeGreaterThanOrEqual(0);
    expect(ink.y - 1600).toBeLessThan(40);
    expectAtInk(line, ink, outcome.geometry!, 24);
  });

  it('maps each axis by its own factor for an odd size (641x359 analysed at 320x179)', async () => {
    const path = await fixture('odd.mp4', {
      width: 641,
      height: 359,
      pixelFormat: 'yuv444p',
      texts: [{ text: 'ODD 641', fromFrame: 0, toFrame: 1, x: 201, y: 151, fontSize: 64 }],
    });
    const [{ video, outcome }, ink] = await Promise.all([analyseFirstFrame(path, 320), inkOfFirstFrame(path)]);
    expect(video).toMatchObject({ width: 641, height: 359 });
    expect(outcome.geometry?.source).toEqual({ width: 641, height: 359 });
    expect(outcome.geometry?.analysed.width).toBe(320);
    expect([179, 180]).toContain(outcome.geometry?.analysed.height);
    const line = onlyLine(outcome);
    expect(line.text).toBe('ODD 641');
    expectAtInk(line, ink, outcome.geometry!, 12);
  });

  it.each([90, 270] as const)(
    'honours rotation metadata (%i): a phone video stored 1280x720 is 720x1280 as displayed, and its text is found upright where it shows',
    async (rotate) => {
      const path = await fixture(`phone-${rotate}.mp4`, {
        width: 720,
        height: 1280,
        rotate,
        texts: [{ text: 'PHONE 2026', fromFrame: 0, toFrame: 1, x: 120, y: 900, fontSize: 72 }],
      });
      // The probe, the limits and the decoded frames agree on the displayed size.
      const probed = await probeVideo(path);
      expect(probed).toMatchObject({ width: 720, height: 1280 });
      expect(() =>
        checkVideoLimits(
          probed,
          { frameStride: 1, maxFrames: null },
          { maxFramePixels: 720 * 1280, maxDurationMs: 60_000, maxFramesPerJob: 10 },
        ),
      ).not.toThrow();
      const [{ outcome }, ink] = await Promise.all([analyseFirstFrame(path, 360), inkOfFirstFrame(path)]);
      expect(outcome.geometry).toEqual({ analysed: { width: 360, height: 640 }, source: { width: 720, height: 1280 } });
      // Where drawtext put it in the displayed frame: not a turned copy of it.
      expect(Math.abs(ink.x - 120)).toBeLessThanOrEqual(10);
      expect(ink.y - 900).toBeGreaterThanOrEqual(0);
      expect(ink.y - 900).toBeLessThan(30);
      const line = onlyLine(outcome);
      expect(line.text).toBe('PHONE 2026');
      expectAtInk(line, ink, outcome.geometry!, 12);
    },
  );
});
