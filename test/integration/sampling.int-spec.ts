import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DomainError } from '@framewire/contracts';
import {
  type DecodedFrame,
  type DecodeOptions,
  checkVideoLimits,
  decodeFrames,
  FRAME_PIXELS_8K,
  probeVideo,
  resolveFfmpegPath,
} from '@framewire/media';
import sharp from 'sharp';
import { makeFixtureDir, removeFixtureDir } from '../support/fixtures';

jest.setTimeout(60_000);

/**
 * Sampling by time and range on a variable-frame-rate video: 2.5 s at 10 fps
 * (frames 0–24) then 2.5 s at 30 fps (frames 25–99), 5 s in all. Frame 40
 * (3.0 s) alone carries a black box, so its pixels say which frame it is.
 */
const FRAMES = 100;
const MARKED = 40;
const exactMs = (i: number): number => (i < 25 ? i * 100 : 2500 + ((i - 25) * 1000) / 30);
/** Frame pts as each container stores them: MP4 (time base 1/15360) exactly, Matroska (1 ms) rounded. */
const PTS_OF: Record<string, (i: number) => number> = { 'vfr.mp4': exactMs, 'vfr.mkv': (i) => Math.round(exactMs(i)) };

let dir: string;
const files: Record<string, string> = {};

function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(resolveFfmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
  });
}

async function makeTwoRateVideo(path: string, codec: string[]): Promise<string> {
  // The colour source's time base is 1/30 s: frame N at 3N ticks for N < 25 (10 fps), then N + 50 (30 fps).
  await runFfmpeg([
    ...['-f', 'lavfi', '-i', 'color=c=white:s=160x120:r=30:d=10'],
    ...['-vf', `drawbox=x=0:y=0:w=80:h=60:color=black:t=fill:enable='eq(n\\,${MARKED})',setpts='if(lt(N\\,25)\\,3*N\\,N+50)'`],
    ...['-frames:v', String(FRAMES), '-vsync', 'passthrough', ...codec, path],
  ]);
  return path;
}

beforeAll(async () => {
  dir = await makeFixtureDir();
  files['vfr.mp4'] = await makeTwoRateVideo(join(dir, 'vfr.mp4'), ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
  files['vfr.mkv'] = await makeTwoRateVideo(join(dir, 'vfr.mkv'), ['-c:v', 'mpeg4', '-q:v', '5', '-bf', '2']);
});

afterAll(async () => {
  await removeFixtureDir(dir);
});

async function collect(path: string, opts: Partial<DecodeOptions>): Promise<DecodedFrame[]> {
  const frames: DecodedFrame[] = [];
  for await (const frame of decodeFrames(path, { stride: 1, maxFrames: null, ...opts })) frames.push(frame);
  return frames;
}

/** What sampling by time must pick: the first frame at or after each multiple of 1/fps from start, in [start, end). */
function expectedByTime(ALL: number[], fps: number, startMs = 0, endMs = Infinity): number[] {
  const picked: number[] = [];
  for (let k = 0; ; k++) {
    const target = startMs + (k * 1000) / fps;
    const i = ALL.findIndex((t) => t >= target - 1e-6);
    if (i < 0 || ALL[i] >= endMs) break;
    if (picked[picked.length - 1] !== i) picked.push(i);
  }
  return picked;
}

async function isMarked(frame: DecodedFrame): Promise<boolean> {
  return (await sharp(frame.jpeg).greyscale().stats()).channels[0].min < 64;
}

describe.each(['vfr.mp4', 'vfr.mkv'])('sampling %s by time', (name) => {
  const ptsMs = (i: number): number => PTS_OF[name](i);
  const ALL = Array.from({ length: FRAMES }, (_, i) => ptsMs(i));
  it('sample_fps 2 over 5 s gives frames at 0, 500, 1000… ms, each the source frame at or just after', async () => {
    const frames = await collect(files[name], { sampleFps: 2 });
    expect(frames.map((f) => f.index)).toEqual([0, 5, 10, 15, 20, 25, 40, 55, 70, 85]);
    frames.forEach((f, k) => {
      expect(f.ptsMs).toBeCloseTo(ptsMs(f.index), 1);
      // within one source frame interval of the target: 100 ms in the 10 fps part, 33.3 ms in the 30 fps part
      expect(f.ptsMs - k * 500).toBeGreaterThanOrEqual(-0.01);
      expect(f.ptsMs - k * 500).toBeLessThan(f.index < 25 ? 100 : 1000 / 30);
    });
    // the frame reported as index 40 is frame 40: the only one with the box
    expect(await Promise.all(frames.map(isMarked))).toEqual(frames.map((f) => f.index === MARKED));
  });

  it('picks the first frame at or after each multiple when they fall between frames (3 fps, 0.5 fps)', async () => {
    const three = await collect(files[name], { sampleFps: 3 });
    expect(three.map((f) => f.index)).toEqual(expectedByTime(ALL, 3));
    expect(three.slice(0, 4).map((f) => f.index)).toEqual([0, 4, 7, 10]); // 0, 333→400, 667→700, 1000 ms
    const half = await collect(files[name], { sampleFps: 0.5 });
    expect(half.map((f) => f.index)).toEqual([0, 20, 70]); // 0, 2000, 4000 ms
  });

  it('keeps a source frame once when the rate is above the video rate (60 fps over 10 and 30 fps parts)', async () => {
    const frames = await collect(files[name], { sampleFps: 60 });
    expect(frames.map((f) => f.index)).toEqual(ALL.map((_, i) => i));
  });

  it('honours start_ms and end_ms by pts, measuring the multiples from the start', async () => {
    const frames = await collect(files[name], { sampleFps: 2, startMs: 1200, endMs: 3100 });
    expect(frames.map((f) => f.index)).toEqual(expectedByTime(ALL, 2, 1200, 3100));
    expect(frames.map((f) => f.index)).toEqual([12, 17, 22, 31]); // 1200, 1700, 2200, 2700 ms; 3200 is past the end
    expect(frames.map((f) => Math.round(f.ptsMs))).toEqual([1200, 1700, 2200, 2700]);
  });

  it('applies a range to frame_stride by source index: indexes stay multiples of the stride', async () => {
    const frames = await collect(files[name], { stride: 4, startMs: 2000, endMs: 3000 });
    expect(frames.map((f) => f.index)).toEqual([20, 24, 28, 32, 36]);
    const marked = await collect(files[name], { stride: 4, startMs: 3000, maxFrames: 1 });
    expect(marked.map((f) => f.index)).toEqual([MARKED]);
    expect(await isMarked(marked[0])).toBe(true);
  });

  it('leaves frame_stride without a range exactly as before', async () => {
    const frames = await collect(files[name], { stride: 7 });
    expect(frames.map((f) => f.index)).toEqual(ALL.map((_, i) => i).filter((i) => i % 7 === 0));
    frames.forEach((f) => expect(f.ptsMs).toBeCloseTo(ptsMs(f.index), 2));
  });

  it('fails a range that starts past the last frame with RANGE_OUTSIDE_VIDEO', async () => {
    const err = await collect(files[name], { sampleFps: 2, startMs: 6000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'RANGE_OUTSIDE_VIDEO' });
  });
});

describe('the probe-time checks of a range', () => {
  const limits = { maxFramePixels: FRAME_PIXELS_8K, maxDurationMs: 6 * 3600_000, maxFramesPerJob: 9 };

  it('counts the frames sampled in range at sample_fps against FW_MAX_FRAMES_PER_JOB, and refuses a start past the end', async () => {
    const video = await probeVideo(files['vfr.mp4']);
    expect(video.duration_ms).toBeGreaterThanOrEqual(4990);
    const request = { frameStride: 1, maxFrames: null, sampleFps: 2 };
    // 5 s × 2 = 10 frames: over 9; the same rate over 4 s fits
    expect(() => checkVideoLimits(video, request, limits)).toThrow(expect.objectContaining({ code: 'TOO_MANY_FRAMES' }));
    expect(() => checkVideoLimits(video, { ...request, startMs: 1000 }, limits)).not.toThrow();
    expect(() => checkVideoLimits(video, { ...request, startMs: 5000 }, limits)).toThrow(
      expect.objectContaining({ code: 'RANGE_OUTSIDE_VIDEO' }),
    );
  });
});
