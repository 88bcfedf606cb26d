import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type DecodedFrame, type DecodeOptions, decodeFrames, keyframesInRange, probeKeyframes, resolveDecoder } from '@framewire/media';
import { makeFixtureDir, removeFixtureDir } from '../support/fixtures';

jest.setTimeout(60_000);

/**
 * Keyframe sampling (`-skip_frame nokey`) on videos whose keyframes are known
 * by construction: 6 s at 30 fps (180 frames) with a GOP of 30, and with
 * keyframes forced at irregular times, in MP4 (B-frames: decode order is not
 * presentation order) and in MPEG-TS (a start time of 1.4 s that ffmpeg
 * subtracts), and in VP9 (whose decoder ignores -skip_frame: the frames that
 * are not keyframes are dropped after ffmpeg) and MPEG-4 Part 2 with
 * B-frames. Each sampled frame's index must be its index in the whole video,
 * checked against a full decode of every frame, with both decoders.
 */
const FRAMES = 180;
const FORCED_S = [0, 0.5, 1.7, 3.2, 3.3, 5.1];
const FORCED_INDEXES = FORCED_S.map((s) => Math.round(s * 30));

const system = (() => {
  try {
    const d = resolveDecoder({ ...process.env, FW_DECODER: 'system' });
    return d.source === 'system' ? d : null;
  } catch {
    return null;
  }
})();
const bundled = resolveDecoder({ ...process.env, FW_DECODER: 'bundled', FFMPEG_PATH: '', FFPROBE_PATH: '' });
// CI installs Debian's ffmpeg (.ci/run); a machine without it tests the bundled build alone.
const DECODERS = [...(system ? [['system', system] as const] : []), ['bundled', bundled] as const];

let dir: string;
const files: Record<string, string> = {};
/** Every frame's time, from a full decode (stride 1) of each file with the system decoder or the bundled one. */
const allTimes: Record<string, number[]> = {};

function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn((system ?? bundled).ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
  });
}

const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-pix_fmt', 'yuv420p', '-sc_threshold', '0'];

beforeAll(async () => {
  dir = await makeFixtureDir();
  const src = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30', '-frames:v', String(FRAMES)];
  files.gop = join(dir, 'gop30.mp4');
  files.forced = join(dir, 'forced.mp4');
  files.ts = join(dir, 'forced.ts');
  files.vp9 = join(dir, 'gop30.webm');
  files.mpeg4 = join(dir, 'gop30.mkv');
  await runFfmpeg([...src, ...X264, '-g', '30', '-keyint_min', '30', files.gop]);
  await runFfmpeg([...src, ...X264, '-g', '1000', '-keyint_min', '1000', '-force_key_frames', FORCED_S.join(','), files.forced]);
  await runFfmpeg(['-i', files.forced, '-c', 'copy', '-f', 'mpegts', files.ts]);
  await runFfmpeg([...src, '-c:v', 'libvpx-vp9', '-b:v', '200k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', files.vp9]);
  await runFfmpeg([...src, '-c:v', 'mpeg4', '-q:v', '5', '-bf', '2', '-g', '30', files.mpeg4]);
  for (const [name, path] of Object.entries(files)) {
    allTimes[name] = (await collect(path, {}, (system ?? bundled).ffmpeg)).map((f) => f.ptsMs);
  }
});

afterAll(async () => {
  await removeFixtureDir(dir);
});

async function collect(path: string, opts: Partial<DecodeOptions>, ffmpegPath: string): Promise<DecodedFrame[]> {
  const frames: DecodedFrame[] = [];
  for await (const frame of decodeFrames(path, { stride: 1, maxFrames: null, ffmpegPath, ...opts })) frames.push(frame);
  return frames;
}

describe.each(DECODERS)('keyframe sampling with the %s decoder', (_name, decoder) => {
  const keyframesOf = async (name: string, opts: Partial<DecodeOptions> = {}) => {
    const table = await probeKeyframes(files[name] as string, { ffprobePath: decoder.ffprobe });
    const frames = await collect(files[name] as string, { keyframes: table, ...opts }, decoder.ffmpeg);
    return { table, frames };
  };

  it.each([
    ['gop', [0, 30, 60, 90, 120, 150]],
    ['forced', FORCED_INDEXES],
    ['ts', FORCED_INDEXES],
    ['vp9', [0, 30, 60, 90, 120, 150]],
    // the encoder adds an I-frame of its own near the end
    ['mpeg4', expect.arrayContaining([0, 30, 60, 90, 120, 150])],
  ] as const)('%s: samples the keyframes, at their index and time in the whole video', async (name, expected) => {
    const { table, frames } = await keyframesOf(name);
    expect(table.framePts).toHaveLength(FRAMES);
    expect(table.keyframes.map((k) => k.index)).toEqual(expected);
    expect(frames.map((f) => f.index)).toEqual(table.keyframes.map((k) => k.index));
    expect(frames.map((f) => f.index)).toEqual(expected);
    // the same frames a full decode numbers so, at the same time
    const times = allTimes[name] as number[];
    expect(times).toHaveLength(FRAMES);
    for (const f of frames) expect(f.ptsMs).toBeCloseTo(times[f.index] as number, 2);
    expect(table.keyframes.map((k) => k.ptsMs)).toEqual(frames.map((f) => f.ptsMs));
  });

  it('narrows to a range and stops at max_frames; the listed count matches what is decoded', async () => {
    const range = { startMs: 1000, endMs: 5000 };
    const { table, frames } = await keyframesOf('ts', range);
    expect(frames.map((f) => f.index)).toEqual([51, 96, 99]);
    expect(keyframesInRange(table, range)).toHaveLength(frames.length);
    const capped = await keyframesOf('forced', { maxFrames: 2 });
    expect(capped.frames.map((f) => f.index)).toEqual([0, 15]);
  });

  it('a range without a keyframe is RANGE_OUTSIDE_VIDEO', async () => {
    await expect(keyframesOf('forced', { startMs: 3400, endMs: 5000 })).rejects.toMatchObject({ code: 'RANGE_OUTSIDE_VIDEO' });
  });
});
