/**
 * Reads the lines ffmpeg writes during a decode (see decode-args.ts for the
 * command): on stderr, showinfo frame lines, its time-base line, the input
 * format line and everything else; on fd 3, the `-progress` counters.
 */

export interface ShowinfoFrame {
  /** showinfo's own counter: the ordinal among sampled frames. */
  n: number;
  /** In the filter's time base; null when the frame has no timestamp. */
  pts: number | null;
  /** Seconds, as printed (6 significant digits); null when absent. */
  ptsTime: number | null;
  width: number;
  height: number;
}

export type DecodeLogLine =
  | { kind: 'frame'; frame: ShowinfoFrame }
  | { kind: 'timebase'; num: number; den: number }
  | { kind: 'input'; format: string }
  | { kind: 'other'; line: string };

const SHOWINFO_FRAME = /^\[Parsed_showinfo_\d+ @ [^\]]+\] n:\s*(\d+)\s+pts:\s*(-?\d+|NOPTS)\s+pts_time:\s*(\S+)\s.*?\bs:(\d+)x(\d+)\b/;
const SHOWINFO_TIMEBASE = /^\[Parsed_showinfo_\d+ @ [^\]]+\] config in time_base:\s*(\d+)\/(\d+)/;
const INPUT_FORMAT = /^Input #0, (.+?), from '/;
const PROGRESS_FRAME = /^frame=\s*(\d+)\s*$/;
const SHOWINFO_ANY = /^\[Parsed_showinfo_\d+ @/;

/** Pure: a showinfo frame line → its numbers, or null for any other line. */
export function parseShowinfoLine(line: string): ShowinfoFrame | null {
  const m = SHOWINFO_FRAME.exec(line);
  if (!m) return null;
  const ptsTime = Number(m[3]);
  return {
    n: Number(m[1]),
    pts: m[2] === 'NOPTS' ? null : Number(m[2]),
    ptsTime: Number.isFinite(ptsTime) ? ptsTime : null,
    width: Number(m[4]),
    height: Number(m[5]),
  };
}

export function classifyDecodeLine(line: string): DecodeLogLine | null {
  const frame = parseShowinfoLine(line);
  if (frame) return { kind: 'frame', frame };
  const tb = SHOWINFO_TIMEBASE.exec(line);
  if (tb) return { kind: 'timebase', num: Number(tb[1]), den: Number(tb[2]) };
  const input = INPUT_FORMAT.exec(line);
  if (input) return { kind: 'input', format: input[1] };
  // the rest of showinfo's chatter (side data, colour info) carries nothing we use
  if (SHOWINFO_ANY.test(line)) return null;
  return { kind: 'other', line };
}

/** A `-progress` line: `frame=N` → N (frames through the first output: every decoded frame). */
export function parseProgressLine(line: string): number | null {
  const m = PROGRESS_FRAME.exec(line);
  return m ? Number(m[1]) : null;
}

/**
 * A frame's presentation time in milliseconds (µs precision), from its pts and
 * the filter time base, else from pts_time; null when it has neither.
 * Clamped at 0: a leading frame may carry a slightly negative pts.
 */
export function frameTimeMs(frame: ShowinfoFrame, timeBase: { num: number; den: number } | null): number | null {
  let ms: number | null = null;
  if (frame.pts !== null && timeBase && timeBase.den > 0) ms = (frame.pts * timeBase.num * 1000) / timeBase.den;
  else if (frame.ptsTime !== null) ms = frame.ptsTime * 1000;
  return ms === null ? null : Math.max(0, Math.round(ms * 1000) / 1000);
}
