/**
 * Synthetic media for integration and end-to-end tests, generated with the
 * project's ffmpeg (FFMPEG_PATH or @ffmpeg-installer) from lavfi sources.
 *
 *   makeVideo(opts: MakeVideoOptions): Promise<string>
 *     Writes a video to opts.path and returns the path: a plain background
 *     (white by default) with black DejaVu Sans Bold text overlays, each shown
 *     only on its inclusive frame range. Exactly `frames` frames are written.
 *       width, height   default 320x240 (any size; odd sizes need pixelFormat 'yuv444p' for h264)
 *       fps, frames     default 30 fps, 30 frames
 *       texts           [{ text, fromFrame, toFrame, x, y, fontSize }] (any characters)
 *       codec           'h264' (libx264, default) | 'mpeg4'
 *       container       'mp4' (default) | 'mov' | 'mkv' | 'ts' (MPEG-TS)
 *       moovAtEnd       MP4/MOV only: leave the moov atom at the end (default: +faststart)
 *       vfr             variable frame rate: frame i lasts (1 + i % 3) / fps seconds,
 *                       see fixtureFramePtsMs() for the resulting timestamps
 *       audio           add a 440 Hz AAC track as long as the video
 *       pixelFormat     'yuv420p' (default) | 'yuv444p'
 *       background      any ffmpeg colour (default 'white')
 *       rotate          90 | 270 (MP4/MOV): a phone-style video. width, height and the
 *                       text positions are as displayed; the frames are stored turned a
 *                       quarter (height × width) with rotation metadata that turns them
 *                       back (`-metadata:s:v:0 rotate=N`, written by a stream copy:
 *                       the bundled 2018 ffmpeg drops it when encoding)
 *
 *   fixtureFramePtsMs(opts, index): number    the pts makeVideo gives frame `index`
 *   makeAudioOnly(path, seconds = 1): Promise<string>   AAC only (use a .m4a path)
 *   makeTextFile(path, text?): Promise<string>          plain text, not a video
 *   makeFixtureDir(): Promise<string> / removeFixtureDir(dir)   a fresh temp dir
 *   FIXTURE_FONT_FILE                                  the TTF used for overlays
 *   escapeFilterValue(value): string                   any string as one -vf option value
 *
 * Keep fixtures small (320x240 or 640x360, a few seconds): every test pays
 * for their encoding.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveFfmpegPath } from '@framewire/media';

export interface TextOverlay {
  text: string;
  /** First frame (0-based) showing the text. */
  fromFrame: number;
  /** Last frame showing the text, inclusive. */
  toFrame: number;
  x: number;
  y: number;
  fontSize: number;
}

export interface MakeVideoOptions {
  path: string;
  width?: number;
  height?: number;
  fps?: number;
  frames?: number;
  texts?: TextOverlay[];
  codec?: 'h264' | 'mpeg4';
  container?: 'mp4' | 'mov' | 'mkv' | 'ts';
  moovAtEnd?: boolean;
  vfr?: boolean;
  audio?: boolean;
  pixelFormat?: 'yuv420p' | 'yuv444p';
  background?: string;
  /** MKV written to a pipe, as a live recorder does: no duration, no frame count, no index; probing cannot tell how many frames it has. */
  streamed?: boolean;
  /** Store the frames turned a quarter, with rotation metadata that shows them as drawn (MP4/MOV). */
  rotate?: 90 | 270;
  /** H.264: a keyframe every this many frames exactly (no scene-cut keyframes); default: x264's own choice. */
  gop?: number;
}

export const FIXTURE_FONT_FILE = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans-Bold.ttf');

const MUXERS = { mp4: 'mp4', mov: 'mov', mkv: 'matroska', ts: 'mpegts' } as const;

export async function makeVideo(opts: MakeVideoOptions): Promise<string> {
  if (opts.rotate !== undefined) return makeRotatedVideo({ ...opts, rotate: opts.rotate });
  return encodeVideo(opts);
}

type Transpose = 'clock' | 'cclock';

/** makeVideo's encoding; `turn` transposes the frames after the text is drawn. */
async function encodeVideo(opts: MakeVideoOptions, turn?: Transpose): Promise<string> {
  const { width = 320, height = 240, fps = 30, frames = 30, container = 'mp4', pixelFormat = 'yuv420p' } = opts;
  const seconds = videoSeconds(opts);
  const args = [
    ...['-f', 'lavfi', '-i', `color=c=${opts.background ?? 'white'}:s=${width}x${height}:r=${fps}:d=${seconds + 1},format=${pixelFormat}`],
    ...(opts.audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`] : []),
    ...['-map', '0:v', ...(opts.audio ? ['-map', '1:a', '-c:a', 'aac', '-b:a', '64k'] : [])],
    ...['-vf', videoFilter(opts, fps, turn), '-frames:v', String(frames), '-vsync', 'passthrough'],
    ...codecArgs(opts.codec ?? 'h264', pixelFormat),
    ...(opts.gop !== undefined ? ['-g', String(opts.gop), '-keyint_min', String(opts.gop), '-sc_threshold', '0'] : []),
    ...((container === 'mp4' || container === 'mov') && !opts.moovAtEnd ? ['-movflags', '+faststart'] : []),
    ...['-f', MUXERS[container], opts.streamed ? 'pipe:1' : opts.path],
  ];
  if (!opts.streamed) await runFfmpeg(args);
  else {
    if (container !== 'mkv') throw new Error('streamed fixtures are MKV');
    const out = await open(opts.path, 'w');
    try {
      await runFfmpeg(args, out.fd);
    } finally {
      await out.close();
    }
  }
  return opts.path;
}

/**
 * The displayed frames turned the other way (a stored phone video) with the
 * rotation tag that turns them back. ffmpeg (the bundled 2018 build and
 * Debian's 5.1 alike) reads a `rotate=90` tag as a quarter turn
 * counter-clockwise when it decodes, so the frames are stored turned
 * clockwise for 90 (and the other way for 270).
 */
async function makeRotatedVideo(opts: MakeVideoOptions & { rotate: 90 | 270 }): Promise<string> {
  const container = opts.container ?? 'mp4';
  if (container !== 'mp4' && container !== 'mov') throw new Error('rotated fixtures are MP4 or MOV');
  const stored = `${opts.path}.stored.${container}`;
  await encodeVideo({ ...opts, path: stored }, opts.rotate === 90 ? 'clock' : 'cclock');
  try {
    await runFfmpeg(['-i', stored, '-c', 'copy', '-metadata:s:v:0', `rotate=${opts.rotate}`, '-f', MUXERS[container], opts.path]);
  } finally {
    await rm(stored, { force: true });
  }
  return opts.path;
}

/** The presentation time makeVideo gives frame `index` (CFR: index/fps; VFR: durations cycle 1, 2, 3 ticks). */
export function fixtureFramePtsMs(opts: Pick<MakeVideoOptions, 'fps' | 'vfr'>, index: number): number {
  const fps = opts.fps ?? 30;
  return (vfrTicks(index, opts.vfr ?? false) * 1000) / fps;
}

function vfrTicks(index: number, vfr: boolean): number {
  if (!vfr) return index;
  const cycles = Math.floor(index / 3);
  return 6 * cycles + [0, 1, 3][index % 3];
}

function videoSeconds(opts: MakeVideoOptions): number {
  const frames = opts.frames ?? 30;
  return fixtureFramePtsMs(opts, frames) / 1000;
}

function videoFilter(opts: MakeVideoOptions, fps: number, turn?: Transpose): string {
  const filters = (opts.texts ?? []).map(drawtext);
  // pts in ticks of 1/fps (the colour source's time base): 0, 1, 3, 6, 7, 9, …
  if (turn) filters.push(`transpose=${turn}`);
  if (opts.vfr) filters.push(`setpts='(6*floor(N/3)+if(eq(mod(N\\,3)\\,1)\\,1\\,if(eq(mod(N\\,3)\\,2)\\,3\\,0)))/(${fps}*TB)'`);
  return filters.length > 0 ? filters.join(',') : 'null';
}

function drawtext(t: TextOverlay): string {
  const options = [
    `fontfile=${escapeFilterValue(FIXTURE_FONT_FILE)}`,
    `text=${escapeFilterValue(t.text)}`,
    'expansion=none',
    'fontcolor=black',
    `fontsize=${t.fontSize}`,
    `x=${t.x}`,
    `y=${t.y}`,
    `enable=${escapeFilterValue(`between(n,${t.fromFrame},${t.toFrame})`)}`,
  ];
  return `drawtext=${options.join(':')}`;
}

/**
 * Escapes any string for use as one option value inside a -vf filtergraph:
 * first for the option parser (\ ' :), then for the graph parser (\ ' [ ] , ;).
 */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, '\\$&');
  return optionLevel.replace(/[\\'[\],;]/g, '\\$&');
}

function codecArgs(codec: 'h264' | 'mpeg4', pixelFormat: 'yuv420p' | 'yuv444p'): string[] {
  if (codec === 'mpeg4') return ['-c:v', 'mpeg4', '-q:v', '3', '-pix_fmt', pixelFormat];
  return ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', pixelFormat];
}

export async function makeAudioOnly(path: string, seconds = 1): Promise<string> {
  await runFfmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`, '-c:a', 'aac', '-b:a', '64k', path]);
  return path;
}

/**
 * A frame-size bomb: a small MKV (about 64 KB) of lossless FFV1 frames of one
 * colour, each of them huge (1920×30000 by default: 57.6 Mpx, about 86 MB
 * once decoded). Generating it takes about a second and 300 MB.
 */
export async function makeFrameSizeBomb(path: string, opts: { width?: number; height?: number; frames?: number } = {}): Promise<string> {
  const { width = 1920, height = 30_000, frames = 2 } = opts;
  const source = `color=c=white:s=${width}x${height}:r=1:d=${frames}`;
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    source,
    '-frames:v',
    String(frames),
    '-c:v',
    'ffv1',
    '-pix_fmt',
    'yuv420p',
    '-f',
    'matroska',
    path,
  ]);
  return path;
}

export async function makeTextFile(path: string, text = 'This is a plain text file, not a video.\n'.repeat(20)): Promise<string> {
  await writeFile(path, text, 'utf8');
  return path;
}

export function makeFixtureDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fw-fixtures-'));
}

export function removeFixtureDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

function runFfmpeg(args: string[], stdout: number | 'ignore' = 'ignore'): Promise<void> {
  const full = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(resolveFfmpegPath(), full, { stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg fixture generation failed (${code ?? signal}): ${stderr.trim()}\nargs: ${full.join(' ')}`));
    });
  });
}
