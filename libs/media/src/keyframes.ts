import { DomainError } from '@framewire/contracts';
import { resolveFfmpegPath, resolveFfprobePath } from './binaries';
import { summarizeStderr } from './ffmpeg-log';
import { runAndCapture } from './process';

/**
 * Keyframe sampling needs each keyframe's index among ALL the video's frames,
 * but a decode with `-skip_frame nokey` never sees the other frames. ffprobe
 * lists every packet of the video stream without decoding anything (a demux
 * pass: about a second for ten minutes of 720p): a frame's index in
 * presentation order is the rank of its pts among the packets' pts, and the
 * keyframes are the packets flagged K. Packets flagged D (discarded by an
 * edit list) never become frames and are left out.
 *
 * This holds for constant and variable frame rate alike (no frame rate is
 * assumed: ranks of timestamps), as long as every packet decodes to one frame
 * — true of the codecs we decode; a corrupt packet that decodes to nothing
 * would shift a full decode's `n` but not these indices.
 *
 * ffmpeg subtracts the file's start time from a stream's timestamps before
 * its filters see them (no -copyts): showinfo's pts + offsetTicks is the
 * packet's own pts.
 */
export interface KeyframeTable {
  /** The video stream's time base (showinfo's pts are in it). */
  timeBase: { num: number; den: number };
  /** The file's start time in stream ticks: what ffmpeg subtracts before filtering. */
  offsetTicks: number;
  /** Every frame's pts in stream ticks, in presentation order (its position is the frame's index). */
  framePts: number[];
  /** The keyframes, in presentation order. */
  keyframes: Keyframe[];
}

export interface Keyframe {
  /** Index of the frame in the whole video (presentation order, 0-based). */
  index: number;
  /** Its time in ms from the start of the video, as a decode reports it (µs precision, clamped at 0). */
  ptsMs: number;
}

export interface KeyframeProbeOptions {
  /** Defaults to resolveFfprobePath(). */
  ffprobePath?: string;
  /** For the fallback when ffprobe crashes (the 2018 build does on some MPEG-TS); defaults to resolveFfmpegPath(). */
  ffmpegPath?: string;
  /** Kill ffprobe after this long (default 5 min: it reads the whole file). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** About 20 bytes a packet: room for 10 million packets (4 days at 30 fps). */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export function buildKeyframeProbeArgs(path: string): string[] {
  return [
    ...['-v', 'error', '-select_streams', 'V:0'],
    ...['-show_entries', 'packet=pts,dts,flags:stream=time_base:format=start_time', '-of', 'csv=p=1'],
    `file:${path}`,
  ];
}

/**
 * The fallback's command: ffmpeg copies the stream's packets (no decoding) to
 * the framecrc muxer, which prints one line per packet with its raw pts
 * (-copyts) and its flags when they are not just "key"; the start time is in
 * the input's description on stderr.
 */
export function buildKeyframeFallbackArgs(path: string): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-i', `file:${path}`],
    ...['-map', '0:V:0', '-c', 'copy', '-copyts', '-f', 'framecrc', '-'],
  ];
}

/** Lists the video stream's packets (no decoding) and derives its keyframes' indices. */
export async function probeKeyframes(path: string, opts: KeyframeProbeOptions = {}): Promise<KeyframeTable> {
  const capture = {
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxStdoutBytes: MAX_OUTPUT_BYTES,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const result = await runAndCapture(opts.ffprobePath ?? resolveFfprobePath(), buildKeyframeProbeArgs(path), capture);
  if (result.signal !== null) {
    const fallback = await runAndCapture(opts.ffmpegPath ?? resolveFfmpegPath(), buildKeyframeFallbackArgs(path), {
      ...capture,
      stderrLines: 400,
    });
    if (fallback.code === 0) return parseKeyframeFramecrc(fallback.stdout.toString('utf8'), fallback.stderrTail);
    const reason = summarizeStderr(fallback.stderrTail, path);
    throw new DomainError('INVALID_VIDEO', `could not list the video's keyframes: ${reason}`, { details: { exit_code: fallback.code } });
  }
  if (result.code !== 0) {
    const reason = summarizeStderr(result.stderrTail, path);
    throw new DomainError('INVALID_VIDEO', `could not list the video's keyframes: ${reason}`, {
      details: { exit_code: result.code, signal: result.signal },
    });
  }
  return parseKeyframeProbe(result.stdout.toString('utf8'));
}

/**
 * Pure: ffprobe's CSV (`packet,<pts>,<dts>,<flags>…`, `stream,<time_base>`,
 * `format,<start_time>`) → the table. A packet without pts counts at its dts.
 */
export function parseKeyframeProbe(csv: string): KeyframeTable {
  let timeBase: string | null = null;
  let startS = 0;
  const packets: Packet[] = [];
  for (const line of csv.split('\n')) {
    const f = line.trim().split(',');
    if (f[0] === 'packet') {
      const flags = f[3] ?? '';
      if (flags.includes('D')) continue;
      const pts = Number(f[1] === 'N/A' ? f[2] : f[1]);
      if (Number.isSafeInteger(pts)) packets.push({ pts, key: flags.startsWith('K') });
    } else if (f[0] === 'stream') {
      timeBase ??= f[1] ?? null;
    } else if (f[0] === 'format') {
      const s = Number(f[1]);
      if (Number.isFinite(s)) startS = s;
    }
  }
  return buildTable(packets, timeBase, startS);
}

/**
 * Pure: the fallback's framecrc lines (`0, dts, pts, duration, size, crc[, F=0xflags]…`
 * after a `#tb 0: num/den` header) and stderr (`Duration: …, start: S, …`) → the table.
 */
export function parseKeyframeFramecrc(framecrc: string, stderr: readonly string[]): KeyframeTable {
  let timeBase: string | null = null;
  const packets: Packet[] = [];
  for (const line of framecrc.split('\n')) {
    const tb = /^#tb 0:\s*(\S+)/.exec(line);
    if (tb) timeBase = tb[1] ?? null;
    const f = line.split(',').map((x) => x.trim());
    if (line.startsWith('#') || f.length < 6) continue;
    const flagField = f.find((x) => x.startsWith('F=0x'));
    const flags = flagField === undefined ? 1 : parseInt(flagField.slice(4), 16);
    const pts = Number(f[2]);
    // AV_PKT_FLAG_KEY 0x1, AV_PKT_FLAG_DISCARD 0x4
    if ((flags & 4) === 0 && Number.isSafeInteger(pts)) packets.push({ pts, key: (flags & 1) === 1 });
  }
  const start = stderr.map((l) => /\bstart: (-?[\d.]+)/.exec(l)?.[1]).find((x) => x !== undefined);
  return buildTable(packets, timeBase, start === undefined ? 0 : Number(start));
}

interface Packet {
  pts: number;
  key: boolean;
}

function buildTable(packets: Packet[], timeBase: string | null, startS: number): KeyframeTable {
  const m = /^(\d+)\/(\d+)$/.exec(timeBase ?? '');
  if (!m || !(Number(m[1]) > 0 && Number(m[2]) > 0)) {
    throw new DomainError('INVALID_VIDEO', "could not list the video's keyframes: no video stream");
  }
  const tb = { num: Number(m[1]), den: Number(m[2]) };
  // as ffmpeg rescales the start time (µs) to the stream's time base: to the nearest tick
  const offsetTicks = Math.round((Math.round(startS * 1e6) * tb.den) / (1e6 * tb.num));
  packets.sort((a, b) => a.pts - b.pts);
  const keyframes: Keyframe[] = [];
  packets.forEach((p, index) => {
    if (p.key) keyframes.push({ index, ptsMs: ticksToMs(p.pts - offsetTicks, tb) });
  });
  return { timeBase: tb, offsetTicks, framePts: packets.map((p) => p.pts), keyframes };
}

/**
 * The index in the whole video of a frame a keyframe decode reports at `pts`
 * (showinfo's, in the stream's time base): the frame whose own pts is nearest
 * (within a millisecond), or null when none is.
 */
export function frameIndexAtPts(table: KeyframeTable, pts: number): number | null {
  const raw = pts + table.offsetTicks;
  const all = table.framePts;
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (all[mid] < raw) lo = mid + 1;
    else hi = mid;
  }
  const tolerance = Math.max(1, Math.round(table.timeBase.den / (1000 * table.timeBase.num)));
  let best: number | null = null;
  for (const i of [lo - 1, lo]) {
    const v = all[i];
    if (v === undefined || Math.abs(v - raw) > tolerance) continue;
    if (best === null || Math.abs(v - raw) < Math.abs(all[best] - raw)) best = i;
  }
  return best;
}

/** The keyframes whose time is in [startMs, endMs) (null: unbounded), as a keyframe decode samples them. */
export function keyframesInRange(table: KeyframeTable, range: { startMs?: number | null; endMs?: number | null }): Keyframe[] {
  const start = range.startMs ?? 0;
  const end = range.endMs ?? Infinity;
  return table.keyframes.filter((k) => k.ptsMs >= start && k.ptsMs < end);
}

function ticksToMs(ticks: number, tb: { num: number; den: number }): number {
  const ms = (ticks * tb.num * 1000) / tb.den;
  return Math.max(0, Math.round(ms * 1000) / 1000);
}
