import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError } from '@framewire/contracts';
import { type DecodedFrame, type DecodeOptions, MediaToolkit, decodeFrames, expectedSampledIndices, probeVideo } from '@framewire/media';
import sharp from 'sharp';
import {
  fixtureFramePtsMs,
  makeAudioOnly,
  makeFixtureDir,
  makeTextFile,
  makeVideo,
  type MakeVideoOptions,
  removeFixtureDir,
} from '../support/fixtures';

jest.setTimeout(60_000);

// Record the processes decodeFrames starts, to check they are gone when it is done.
jest.mock('node:child_process', () => {
  const actual = jest.requireActual<typeof import('node:child_process')>('node:child_process');
  return { ...actual, spawn: jest.fn(actual.spawn) };
});
const spawnMock = jest.mocked(spawn);

/** Text is drawn on frames 10–12 only, so a frame's pixels say which frame it really is. */
const TEXT_FRAMES = { from: 10, to: 12 };
const base: Omit<MakeVideoOptions, 'path'> = {
  width: 320,
  height: 240,
  fps: 30,
  frames: 45,
  texts: [{ text: 'FRAME', fromFrame: TEXT_FRAMES.from, toFrame: TEXT_FRAMES.to, x: 20, y: 80, fontSize: 64 }],
};

let dir: string;
const files: Record<string, string> = {};
const specs: Record<string, MakeVideoOptions> = {};

async function fixture(name: string, opts: Omit<MakeVideoOptions, 'path'>): Promise<void> {
  const spec = { ...base, ...opts, path: join(dir, name) };
  specs[name] = spec;
  files[name] = await makeVideo(spec);
}

beforeAll(async () => {
  dir = await makeFixtureDir();
  await fixture('faststart.mp4', {});
  await fixture('moov-at-end.mp4', { moovAtEnd: true });
  await fixture('quicktime.mov', { container: 'mov' });
  await fixture('odd.mp4', { width: 322, height: 242 });
  await fixture('odd444.mkv', { width: 321, height: 241, pixelFormat: 'yuv444p', container: 'mkv' });
  await fixture('vfr.mp4', { vfr: true });
  await fixture('vfr.mkv', { vfr: true, container: 'mkv', codec: 'mpeg4' });
  await fixture('with-audio.mp4', { audio: true });
  await fixture('wide.mp4', { width: 640, height: 360 });
  await fixture('long.mp4', { width: 320, height: 240, frames: 900, texts: [] });
  await fixture('transport.ts', { audio: true, container: 'ts' });
  files['text.txt'] = await makeTextFile(join(dir, 'text.txt'));
  files['notes'] = await makeTextFile(join(dir, 'notes'));
  files['audio.m4a'] = await makeAudioOnly(join(dir, 'audio.m4a'));
});

afterAll(async () => {
  await removeFixtureDir(dir);
});

beforeEach(() => {
  spawnMock.mockClear();
});

async function collect(path: string, opts: DecodeOptions): Promise<DecodedFrame[]> {
  const frames: DecodedFrame[] = [];
  for await (const frame of decodeFrames(path, opts)) frames.push(frame);
  return frames;
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error('expected a rejection');
}

/** Whether a decoded frame shows the black overlay text (the background is white). */
async function showsText(frame: DecodedFrame): Promise<boolean> {
  const stats = await sharp(frame.jpeg).greyscale().stats();
  return stats.channels[0].min < 64;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes started since this test began. */
function spawned(): ChildProcess[] {
  return spawnMock.mock.results.map((r) => r.value as ChildProcess);
}

describe('probeVideo', () => {
  it.each([
    ['faststart.mp4', { width: 320, height: 240, codec: 'h264', fps: 30, frame_count: 45, duration_ms: 1500 }],
    ['moov-at-end.mp4', { width: 320, height: 240, codec: 'h264', fps: 30, frame_count: 45, duration_ms: 1500 }],
    ['quicktime.mov', { width: 320, height: 240, codec: 'h264', fps: 30, frame_count: 45, duration_ms: 1500 }],
    ['odd.mp4', { width: 322, height: 242, codec: 'h264', frame_count: 45 }],
    ['odd444.mkv', { width: 321, height: 241, codec: 'h264', fps: 30, frame_count: null }],
    ['with-audio.mp4', { width: 320, height: 240, codec: 'h264', frame_count: 45 }],
    ['vfr.mkv', { width: 320, height: 240, codec: 'mpeg4', frame_count: null }],
  ])('reads %s', async (name, expected) => {
    expect(await probeVideo(files[name])).toMatchObject(expected);
  });

  it('gets fixtures whose moov atom is where they claim', async () => {
    const boxOrder = async (name: string): Promise<boolean> => {
      const bytes = await readFile(files[name]);
      return bytes.indexOf('moov') < bytes.indexOf('mdat');
    };
    expect(await boxOrder('faststart.mp4')).toBe(true);
    expect(await boxOrder('moov-at-end.mp4')).toBe(false);
  });

  it('reads MPEG-TS, through the ffmpeg fallback when the bundled ffprobe crashes on it', async () => {
    expect(await probeVideo(files['transport.ts'])).toMatchObject({ width: 320, height: 240, codec: 'h264', fps: 30 });
  });

  it('falls back to `ffmpeg -i` when ffprobe dies from a signal, with the same answers', async () => {
    const crashing = join(dir, 'crashing-ffprobe.sh');
    await writeFile(crashing, '#!/bin/sh\nkill -SEGV $$\n', { mode: 0o755 });
    for (const name of ['faststart.mp4', 'vfr.mkv', 'odd444.mkv']) {
      const viaFfprobe = await probeVideo(files[name]);
      const viaFfmpeg = await probeVideo(files[name], { ffprobePath: crashing });
      expect(viaFfmpeg).toEqual({ ...viaFfprobe, frame_count: null, duration_ms: expect.closeTo(viaFfprobe.duration_ms as number, -2) });
    }
    expect((await rejection(probeVideo(files['audio.m4a'], { ffprobePath: crashing }))).message).toBe(
      'file has no video stream (audio only?)',
    );
    expect((await rejection(probeVideo(files['text.txt'], { ffprobePath: crashing }))).message).toBe(
      'file is not a video (it was read as a text file)',
    );
  });

  it('reports the average frame rate of a VFR video', async () => {
    const meta = await probeVideo(files['vfr.mp4']);
    // 45 frames whose durations cycle 1, 2, 3 ticks of 1/30 s: the last starts at 2.9 s; the muxer guesses its duration
    expect(meta.frame_count).toBe(45);
    expect(meta.duration_ms).toBeGreaterThanOrEqual(2900);
    expect(meta.duration_ms).toBeLessThanOrEqual(3000);
    expect(meta.fps).toBeGreaterThan(14.5);
    expect(meta.fps).toBeLessThan(15.6);
  });

  it('refuses a text file, an audio-only file and a missing file with clear messages', async () => {
    const text = await rejection(probeVideo(files['text.txt']));
    expect(text.code).toBe('INVALID_VIDEO');
    expect(text.message).toMatch(/^file is not a video \(/);
    expect(text.message).not.toContain(dir);

    const audio = await rejection(probeVideo(files['audio.m4a']));
    expect(audio.message).toBe('file has no video stream (audio only?)');

    const missing = await rejection(probeVideo(join(dir, 'nope.mp4')));
    expect(missing.message).toBe('file is not a video (ffprobe could not read it: input file does not exist)');
  });

  it('fails with INTERNAL when ffprobe cannot be started', async () => {
    const err = await rejection(probeVideo(files['faststart.mp4'], { ffprobePath: join(dir, 'no-ffprobe') }));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/could not run no-ffprobe/);
  });
});

describe('decodeFrames', () => {
  it.each([
    'faststart.mp4',
    'moov-at-end.mp4',
    'quicktime.mov',
    'with-audio.mp4',
    'odd.mp4',
    'odd444.mkv',
    'vfr.mp4',
    'vfr.mkv',
    'transport.ts',
  ])('decodes every frame of %s with its true index, pts and content', async (name) => {
    const spec = specs[name];
    const frames = await collect(files[name], { stride: 1, maxFrames: null });
    expect(frames.map((f) => f.index)).toEqual(expectedSampledIndices(45, 1, null));
    for (const f of frames) {
      expect(f.ptsMs).toBeCloseTo(fixtureFramePtsMs(spec, f.index), 0);
      expect({ width: f.width, height: f.height }).toEqual({ width: spec.width, height: spec.height });
    }
    const withText = await Promise.all(frames.map(showsText));
    expect(frames.filter((_, k) => withText[k]).map((f) => f.index)).toEqual([10, 11, 12]);
  });

  it('returns real JPEGs of the reported size', async () => {
    const [frame] = await collect(files['odd444.mkv'], { stride: 1, maxFrames: 1 });
    const meta = await sharp(frame.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 321, height: 241 });
  });

  it.each(['faststart.mp4', 'vfr.mp4', 'vfr.mkv'])('samples every 7th decoded frame of %s', async (name) => {
    const frames = await collect(files[name], { stride: 7, maxFrames: null });
    expect(frames.map((f) => f.index)).toEqual([0, 7, 14, 21, 28, 35, 42]);
    for (const f of frames) expect(f.ptsMs).toBeCloseTo(fixtureFramePtsMs(specs[name], f.index), 0);
  });

  it('keeps pts strictly increasing', async () => {
    const frames = await collect(files['vfr.mp4'], { stride: 2, maxFrames: null });
    for (let k = 1; k < frames.length; k++) expect(frames[k].ptsMs).toBeGreaterThan(frames[k - 1].ptsMs);
  });

  it('pairs frames and indices correctly under a stride (text on 10–12 → only sampled frame 11 or 12 shows it)', async () => {
    const frames = await collect(files['vfr.mp4'], { stride: 4, maxFrames: null });
    const withText = await Promise.all(frames.map(showsText));
    expect(frames.filter((_, k) => withText[k]).map((f) => f.index)).toEqual([12]);
  });

  it('stops after maxFrames and kills ffmpeg instead of decoding the rest', async () => {
    const frames = await collect(files['long.mp4'], { stride: 7, maxFrames: 3 });
    expect(frames.map((f) => f.index)).toEqual(expectedSampledIndices(900, 7, 3));
    expect(spawned()).toHaveLength(1);
    expect(spawned()[0].signalCode).toBe('SIGKILL');
    expect(isAlive(spawned()[0].pid as number)).toBe(false);
  });

  it('returns everything when maxFrames exceeds what the video has', async () => {
    const frames = await collect(files['faststart.mp4'], { stride: 10, maxFrames: 100 });
    expect(frames.map((f) => f.index)).toEqual([0, 10, 20, 30, 40]);
  });

  it('scales frames wider than maxWidth, keeping the aspect ratio, and tells the size before scaling', async () => {
    const frames = await collect(files['wide.mp4'], { stride: 20, maxFrames: null, maxWidth: 160 });
    expect(frames.map((f) => [f.index, f.width, f.height, f.sourceWidth, f.sourceHeight])).toEqual([
      [0, 160, 90, 640, 360],
      [20, 160, 90, 640, 360],
      [40, 160, 90, 640, 360],
    ]);
    expect(await sharp(frames[0].jpeg).metadata()).toMatchObject({ width: 160, height: 90 });
    const unscaled = await collect(files['wide.mp4'], { stride: 50, maxFrames: null, maxWidth: 1920 });
    expect(unscaled.map((f) => [f.width, f.height, f.sourceWidth, f.sourceHeight])).toEqual([[640, 360, 640, 360]]);
  });

  it('encodes at the requested quality', async () => {
    const [low] = await collect(files['faststart.mp4'], { stride: 1, maxFrames: 11, jpegQuality: 20 }).then((f) => f.slice(-1));
    const [high] = await collect(files['faststart.mp4'], { stride: 1, maxFrames: 11, jpegQuality: 95 }).then((f) => f.slice(-1));
    expect(low.index).toBe(10);
    expect(high.jpeg.length).toBeGreaterThan(low.jpeg.length);
  });

  it('reports decoding progress, ending at the number of decoded frames', async () => {
    const seen: number[] = [];
    await collect(files['long.mp4'], { stride: 300, maxFrames: null, onProgress: (p) => seen.push(p.decodedFrames) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBe(900);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('stops and rethrows when the progress hook throws', async () => {
    const boom = new Error('lease lost');
    await expect(
      collect(files['long.mp4'], {
        stride: 1000,
        maxFrames: null,
        onProgress: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(isAlive(spawned()[0].pid as number)).toBe(false);
  });

  it('kills ffmpeg when aborted mid-decode and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const frame of decodeFrames(files['long.mp4'], { stride: 1, maxFrames: null, signal: controller.signal })) {
        seen.push(frame.index);
        if (seen.length === 5) controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(spawned()[0].signalCode).toBe('SIGKILL');
    expect(isAlive(spawned()[0].pid as number)).toBe(false);
  });

  it('kills ffmpeg when aborted while waiting for a frame far away', async () => {
    const controller = new AbortController();
    const iterator = decodeFrames(files['long.mp4'], { stride: 899, maxFrames: null, signal: controller.signal });
    expect((await iterator.next()).value).toMatchObject({ index: 0 });
    const pending = iterator.next();
    controller.abort(new Error('job cancelled'));
    await expect(pending).rejects.toThrow('job cancelled');
    expect(isAlive(spawned()[0].pid as number)).toBe(false);
  });

  it('rejects at once when the signal is already aborted, without starting ffmpeg', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(collect(files['faststart.mp4'], { stride: 1, maxFrames: null, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(spawned()).toHaveLength(0);
  });

  it('kills ffmpeg when the caller stops iterating', async () => {
    for await (const frame of decodeFrames(files['long.mp4'], { stride: 1, maxFrames: null })) {
      if (frame.index === 2) break;
    }
    expect(isAlive(spawned()[0].pid as number)).toBe(false);
  });

  it('refuses a text file with INVALID_VIDEO, whatever its extension', async () => {
    const txt = await rejection(collect(files['text.txt'], { stride: 1, maxFrames: null }));
    expect(txt.code).toBe('INVALID_VIDEO');
    expect(txt.message).toBe('could not decode video: file is not a video (it was read as a text file)');

    const bare = await rejection(collect(files['notes'], { stride: 1, maxFrames: null }));
    expect(bare.code).toBe('INVALID_VIDEO');
    expect(bare.message).toBe('could not decode video: invalid data found when processing input');
    expect(bare.message).not.toContain(dir);
  });

  it('refuses an audio-only file with INVALID_VIDEO', async () => {
    const err = await rejection(collect(files['audio.m4a'], { stride: 1, maxFrames: null }));
    expect(err.code).toBe('INVALID_VIDEO');
    expect(err.message).toBe('could not decode video: file has no video stream (audio only?)');
  });

  it('refuses bad options before starting ffmpeg', async () => {
    const err = await rejection(collect(files['faststart.mp4'], { stride: 0, maxFrames: null }));
    expect(err.code).toBe('INVALID_ARGUMENT');
  });

  it('fails with INTERNAL when ffmpeg cannot be started', async () => {
    const err = await rejection(collect(files['faststart.mp4'], { stride: 1, maxFrames: null, ffmpegPath: join(dir, 'no-ffmpeg') }));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/could not run no-ffmpeg/);
  });
});

describe('MediaToolkit', () => {
  const media = new MediaToolkit();

  it('probes, decodes and sniffs through one adapter', async () => {
    expect(await media.probeVideo(files['faststart.mp4'])).toMatchObject({ width: 320, frame_count: 45 });
    const frames: number[] = [];
    for await (const f of media.decodeFrames(files['faststart.mp4'], { stride: 15, maxFrames: null })) frames.push(f.index);
    expect(frames).toEqual([0, 15, 30]);
    expect(await media.sniffFile(files['faststart.mp4'])).toBe('mp4');
    expect(await media.sniffFile(files['quicktime.mov'])).toBe('mov');
    expect(await media.sniffFile(files['odd444.mkv'])).toBe('matroska');
    expect(await media.sniffFile(files['text.txt'])).toBeNull();
  });

  it('uses the binaries it was built with', async () => {
    const broken = new MediaToolkit({ ffmpegPath: join(dir, 'none'), ffprobePath: join(dir, 'none') });
    expect((await rejection(broken.probeVideo(files['faststart.mp4']))).code).toBe('INTERNAL');
    const decoding = (async () => {
      for await (const f of broken.decodeFrames(files['faststart.mp4'], { stride: 1, maxFrames: null })) void f;
    })();
    expect((await rejection(decoding)).code).toBe('INTERNAL');
  });
});
