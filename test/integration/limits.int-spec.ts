import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DomainError } from '@framewire/contracts';
import { checkVideoLimits, type DecodeOptions, decodeFrames, FRAME_PIXELS_8K, probeVideo } from '@framewire/media';
import { makeFixtureDir, makeFrameSizeBomb, makeVideo, removeFixtureDir } from '../support/fixtures';

jest.setTimeout(60_000);

// Record the processes decodeFrames starts, to check a limit kills them.
jest.mock('node:child_process', () => {
  const actual = jest.requireActual<typeof import('node:child_process')>('node:child_process');
  return { ...actual, spawn: jest.fn(actual.spawn) };
});
const spawnMock = jest.mocked(spawn);

let dir: string;
let bomb: string;
let clip: string;
let long: string;

beforeAll(async () => {
  dir = await makeFixtureDir();
  bomb = await makeFrameSizeBomb(join(dir, 'bomb.mkv'));
  clip = await makeVideo({ path: join(dir, 'clip.mp4'), width: 320, height: 240, fps: 30, frames: 60 });
  long = await makeVideo({ path: join(dir, 'long.mkv'), width: 640, height: 360, fps: 30, frames: 900, container: 'mkv' });
});

afterAll(async () => {
  await removeFixtureDir(dir);
});

beforeEach(() => {
  spawnMock.mockClear();
});

const limits = { maxFramePixels: FRAME_PIXELS_8K, maxDurationMs: 6 * 3600_000, maxFramesPerJob: 100_000 };

async function decodeError(path: string, opts: DecodeOptions): Promise<{ error: DomainError; frames: number }> {
  let frames = 0;
  try {
    for await (const frame of decodeFrames(path, opts)) {
      expect(frame.jpeg.length).toBeGreaterThan(0);
      frames++;
    }
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return { error: err as DomainError, frames };
  }
  throw new Error('expected the decode to fail');
}

function ffmpegProcesses(): ChildProcess[] {
  return spawnMock.mock.results.map((r) => r.value as ChildProcess);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('limits on the probe', () => {
  it('refuses the frame-size bomb (a small file of 1920x30000 frames) with VIDEO_TOO_LARGE', async () => {
    const video = await probeVideo(bomb);
    expect(video).toMatchObject({ width: 1920, height: 30_000, codec: 'ffv1' });
    expect(() => checkVideoLimits(video, { frameStride: 1, maxFrames: null }, limits)).toThrow(
      expect.objectContaining({ code: 'VIDEO_TOO_LARGE', message: expect.stringMatching(/1920x30000 is 57600000 pixels/) }),
    );
  });

  it('refuses a video longer than the cap with VIDEO_TOO_LONG', async () => {
    const video = await probeVideo(clip);
    expect(video.duration_ms).toBe(2000);
    expect(() => checkVideoLimits(video, { frameStride: 1, maxFrames: null }, { ...limits, maxDurationMs: 1500 })).toThrow(
      expect.objectContaining({ code: 'VIDEO_TOO_LONG' }),
    );
  });

  it('refuses a job that would sample more frames than the cap, and passes it with a stride that fits', async () => {
    const video = await probeVideo(long);
    const capped = { ...limits, maxFramesPerJob: 100 };
    expect(() => checkVideoLimits(video, { frameStride: 1, maxFrames: null }, capped)).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_FRAMES', message: expect.stringMatching(/frame_stride >= 9/) }),
    );
    expect(() => checkVideoLimits(video, { frameStride: 9, maxFrames: null }, capped)).not.toThrow();
    expect(() => checkVideoLimits(video, { frameStride: 1, maxFrames: 100 }, capped)).not.toThrow();
  });
});

describe('limits while decoding', () => {
  it('stops at the first sampled frame over the pixel cap, kills ffmpeg, and hands out no frame', async () => {
    const { error, frames } = await decodeError(bomb, { stride: 1, maxFrames: null, maxFramePixels: FRAME_PIXELS_8K });
    expect(error.code).toBe('VIDEO_TOO_LARGE');
    expect(frames).toBe(0);
    expect(isAlive(ffmpegProcesses()[0].pid as number)).toBe(false);
  });

  it('counts the pixels of the frames as decoded, odd sizes included', async () => {
    const odd = await makeVideo({
      path: join(dir, 'odd.mkv'),
      width: 321,
      height: 241,
      fps: 30,
      frames: 3,
      container: 'mkv',
      pixelFormat: 'yuv444p',
    });
    const { error } = await decodeError(odd, { stride: 1, maxFrames: null, maxFramePixels: 321 * 241 - 1 });
    expect(error.code).toBe('VIDEO_TOO_LARGE');
    let frames = 0;
    for await (const _ of decodeFrames(odd, { stride: 1, maxFrames: null, maxFramePixels: 321 * 241 })) frames++;
    expect(frames).toBe(3);
  });

  it('fails with VIDEO_TOO_LONG at the first sampled frame past the duration cap', async () => {
    const { error, frames } = await decodeError(clip, { stride: 1, maxFrames: null, maxDurationMs: 1000 });
    expect(error.code).toBe('VIDEO_TOO_LONG');
    // frames 0..30 are at or before 1 s (30 fps); some of them may be handed out before frame 31's line arrives
    expect(frames).toBeLessThanOrEqual(31);
    expect(isAlive(ffmpegProcesses()[0].pid as number)).toBe(false);
  });

  it('kills ffmpeg and fails with DECODE_TIMEOUT when the decode outlasts its budget', async () => {
    const { error } = await decodeError(long, { stride: 1, maxFrames: null, timeoutMs: 50 });
    expect(error).toMatchObject({ code: 'DECODE_TIMEOUT', retryable: false });
    expect(error.message).toMatch(/longer than this server's limit of 50 ms \(FW_DECODE_TIMEOUT_MS\)/);
    const ffmpeg = ffmpegProcesses()[0];
    expect(ffmpeg.signalCode).toBe('SIGKILL');
    expect(isAlive(ffmpeg.pid as number)).toBe(false);
  });

  it('does not count the time the caller holds a frame against the budget', async () => {
    let frames = 0;
    for await (const _ of decodeFrames(clip, { stride: 15, maxFrames: null, timeoutMs: 2000 })) {
      frames++;
      await new Promise((r) => setTimeout(r, 700)); // 4 frames × 700 ms outlasts the budget; ffmpeg's own time does not
    }
    expect(frames).toBe(4);
  });
});
