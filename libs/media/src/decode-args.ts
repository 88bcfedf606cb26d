/**
 * Pure planning for a decode: the ffmpeg command line and which decoded-frame
 * indices a (stride, maxFrames) request samples.
 *
 * How indices stay exact, VFR included: the filter chain is
 * `select='not(mod(n\,S))',showinfo,scale=…`. `select` numbers the frames
 * it receives from the decoder (n = decoded-frame index, whatever the
 * timestamps), so the k-th frame it lets through is decoded frame k·S, and
 * `showinfo` right after it prints that frame's own pts. JPEG k on stdout
 * pairs with showinfo line k: `-vsync passthrough` neither drops nor
 * duplicates frames. `-reinit_filter 0` keeps one filter graph for the whole
 * file, so a mid-stream resolution change does not restart select's count.
 *
 * JPEG encoding happens in ffmpeg (mjpeg, full-range 4:2:0, straight from the
 * decoder's YUV): measured at about half the CPU per frame of piping RGB24 to
 * sharp, at equal PSNR and smaller files.
 *
 * A second output (`-f null`, listed first) receives every decoded frame so
 * `-progress` (on fd 3) counts decoding progress even when sampled frames
 * are far apart.
 *
 * Both outputs renumber their timestamps 0, 1, 2… (at a nominal 25 fps)
 * after showinfo has read the real ones: muxers refuse non-increasing
 * timestamps, which real files (concatenated streams, broken muxers) have, and
 * would otherwise stop the decode with "non monotonically increasing dts".
 *
 * Sampling by time or range (sample_fps, start/end) needs both a frame's time
 * and its decoded index, but after `select` the index is gone (showinfo counts
 * its own frames). So a `setpts` in front of select packs both into the pts:
 * pts = n·2^32 + time in 10 µs ticks (exact in the double the expression is
 * evaluated in while n < 2^21 and the time < 11.9 h), select reads the time
 * back with mod(), and the pts showinfo prints unpacks into (index, time) —
 * see unpackTimedPts(). A showinfo on every decoded frame would tell the same
 * at about twice the CPU (it checksums every frame). Select by time keeps the
 * first frame at or after each multiple of 1/sample_fps from the start
 * (a counter in st(0) holds the next multiple due): right on variable frame
 * rate video, where frame counts are not time. The decode still starts at the
 * file's first frame (no -ss input seek: the index must count every frame
 * before the range); an input `-to` a second past the range's end stops
 * reading there.
 *
 * Keyframe sampling (`keyframes`): `-skip_frame nokey` (an input option) has
 * the decoder decode only keyframes and drop the rest unread, so select's `n`
 * and showinfo's counter only count keyframes. The index of each frame in the
 * whole video comes from elsewhere: ffprobe lists the stream's packets
 * without decoding (see keyframes.ts), a frame's index is the rank of its pts
 * among them, and the pts showinfo prints (the file's start time subtracted,
 * as ffmpeg does without -copyts) finds the frame. Ranks of timestamps assume
 * no frame rate, so this is as exact on variable frame rate video as on
 * constant; it assumes each packet decodes to one frame. A range selects by
 * `t` (the keyframe's own time); stride and sample_fps do not combine with it.
 * A decoder that ignores -skip_frame (VP9's) hands over every frame: the
 * decode session drops those that are not keyframes, so no `-frames:v` here
 * (it would count them); the session stops ffmpeg at maxFrames instead.
 */

export interface DecodePlan {
  path: string;
  stride: number;
  maxFrames: number | null;
  /** 1–100, libjpeg-style; mapped to ffmpeg's qscale by jpegQualityToQscale(). */
  jpegQuality: number;
  maxWidth?: number | undefined;
  /** Sampling by time: frames per second of video time (stride is then 1). */
  sampleFps?: number | null | undefined;
  /** The range of video time, [startMs, endMs) by pts. */
  startMs?: number | null | undefined;
  endMs?: number | null | undefined;
  /** Decode only keyframes (`-skip_frame nokey`); stride is then 1 and sampleFps null. */
  keyframes?: boolean | undefined;
  /** The decoder's threads (`-threads` as an input option); null or absent: ffmpeg's own choice (one per core, and more). */
  decodeThreads?: number | null | undefined;
}

/** A timed plan (sampling by time or range) packs the decoded index into the pts (see above): 2^32 ticks per index. */
export const TIMED_PTS_PACK = 2 ** 32;
/** Ticks per second of a timed plan's packed time: 10 µs. */
export const TIMED_TICKS_PER_S = 100_000;

/** Whether the plan samples by time or range (packed pts), rather than by decoded-frame number alone. */
export function isTimedPlan(plan: Pick<DecodePlan, 'sampleFps' | 'startMs' | 'endMs' | 'keyframes'>): boolean {
  return !plan.keyframes && (plan.sampleFps != null || plan.startMs != null || plan.endMs != null);
}

export function buildDecodeArgs(plan: DecodePlan): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'],
    ...['-progress', 'pipe:3', '-vsync', 'passthrough'],
    ...(plan.endMs != null ? ['-to', secs(plan.endMs + INPUT_END_SLACK_MS)] : []),
    ...(plan.keyframes ? ['-skip_frame', 'nokey'] : []),
    ...(plan.decodeThreads != null ? ['-threads', String(plan.decodeThreads)] : []),
    ...['-reinit_filter', '0', '-i', `file:${plan.path}`],
    // output 0: every decoded frame, discarded — only counted by -progress
    ...['-map', '0:V:0', '-vf', RENUMBER, '-r', NOMINAL_FPS, '-f', 'null', '-'],
    // output 1: the sampled frames as concatenated JPEGs on stdout
    ...['-map', '0:V:0', '-vf', buildFilter(plan), '-r', NOMINAL_FPS],
    // A keyframe decode may drop frames after ffmpeg (see decode.ts): the caller stops at maxFrames.
    ...(plan.maxFrames === null || plan.keyframes ? [] : ['-frames:v', String(plan.maxFrames)]),
    ...['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', String(jpegQualityToQscale(plan.jpegQuality))],
    ...['-f', 'image2pipe', 'pipe:1'],
  ];
}

const NOMINAL_FPS = '25';
/** Timestamps 0, 1, 2… frames at NOMINAL_FPS: strictly increasing whatever the input had. */
const RENUMBER = `setpts=N/(${NOMINAL_FPS}*TB)`;

/**
 * Reading stops this long after the range's end (input `-to`): whether ffmpeg
 * counts -to from zero or from the file's start time, it never stops before
 * the end; select makes the cut exact.
 */
const INPUT_END_SLACK_MS = 1000;

export function buildFilter(plan: Pick<DecodePlan, 'stride' | 'maxWidth' | 'sampleFps' | 'startMs' | 'endMs' | 'keyframes'>): string {
  const size = plan.maxWidth === undefined ? '' : `w='min(iw\\,${plan.maxWidth})':h=-1:`;
  const select = plan.keyframes
    ? keyframeSelect(plan)
    : isTimedPlan(plan)
      ? [PACK_PTS, `select='${timedSelectExpr(plan)}'`]
      : [`select='not(mod(n\\,${plan.stride}))'`];
  return [...select, 'showinfo', RENUMBER, `scale=${size}out_range=full`].join(',');
}

/** Keyframes in [start, end) by their own time: every keyframe the decoder hands over when there is no range. */
function keyframeSelect(plan: Pick<DecodePlan, 'startMs' | 'endMs'>): string[] {
  const terms = [...(plan.startMs ? [`gte(t,${secs(plan.startMs)})`] : []), ...(plan.endMs != null ? [`lt(t,${secs(plan.endMs)})`] : [])];
  return terms.length === 0 ? [] : [`select='${terms.join('*').replace(/,/g, '\\,')}'`];
}

/** pts := n·2^32 + max(time, 0) in 10 µs ticks (a slightly negative leading pts reads as 0, as frameTimeMs clamps it). */
const PACK_PTS = `setpts='N*${TIMED_PTS_PACK}+round(max(PTS*TB\\,0)*${TIMED_TICKS_PER_S})'`;

/**
 * The select expression of a timed plan (commas escaped for the filter
 * graph). With sample_fps F from start S: keep a frame in range when
 * (t − S)·F has reached the next multiple due (ld(0), 0 at first), then make
 * the next one due the first multiple after it. Half a tick (5 µs) of
 * tolerance absorbs the packing's rounding and float noise in t·F. Without sample_fps: every stride-th decoded frame (by
 * its index in the whole video, so samplings of one video line up) in range.
 */
export function timedSelectExpr(plan: Pick<DecodePlan, 'stride' | 'sampleFps' | 'startMs' | 'endMs'>): string {
  const t = `mod(pts,${TIMED_PTS_PACK})/${TIMED_TICKS_PER_S}`;
  const start = secs(plan.startMs ?? 0);
  const inRange = [`gte(${t},${start})`, ...(plan.endMs != null ? [`lt(${t},${secs(plan.endMs)})`] : [])].join('*');
  let expr: string;
  if (plan.sampleFps != null) {
    const intervals = `(${t}-${start})*${plan.sampleFps}`;
    // Half a tick of the packed time, in intervals: a frame right on a multiple may read up to 5 µs early.
    const eps = (plan.sampleFps / (2 * TIMED_TICKS_PER_S) + 1e-9).toFixed(12);
    expr = `if(${inRange}*gte(${intervals},ld(0)-${eps}),1+0*st(0,floor(${intervals}+${eps})+1),0)`;
  } else {
    expr = `${inRange}*not(mod(n,${plan.stride}))`;
  }
  return expr.replace(/,/g, '\\,');
}

/** A timed frame's packed pts (as showinfo prints it) → its decoded index and time in ms; null when it is not a packed pts. */
export function unpackTimedPts(pts: number): { index: number; ptsMs: number } | null {
  if (!Number.isSafeInteger(pts) || pts < 0) return null;
  const index = Math.floor(pts / TIMED_PTS_PACK);
  const ticks = pts - index * TIMED_PTS_PACK;
  return { index, ptsMs: Math.round((ticks * 1_000_000) / TIMED_TICKS_PER_S) / 1000 };
}

function secs(ms: number): string {
  return String(ms / 1000);
}

/**
 * libjpeg quality (1–100) → ffmpeg mjpeg qscale (2–31). libjpeg scales its
 * tables by S = 5000/q (q < 50) or 200 − 2q percent; qscale ≈ S/6 matches it
 * in PSNR (measured: quality 85 ≈ qscale 5, 90 ≈ 3–4, 95 ≈ 2).
 */
export function jpegQualityToQscale(quality: number): number {
  const q = Math.min(100, Math.max(1, quality));
  const scalePercent = q < 50 ? 5000 / q : 200 - 2 * q;
  return Math.min(31, Math.max(2, Math.round(scalePercent / 6)));
}

/** Decoded-frame indices sampled from a video of `frameCount` frames: 0, S, 2S, … capped at maxFrames. */
export function expectedSampledIndices(frameCount: number, stride: number, maxFrames: number | null): number[] {
  const count = countSampledFrames(frameCount, stride, maxFrames);
  return Array.from({ length: count }, (_, k) => k * stride);
}

export function countSampledFrames(frameCount: number, stride: number, maxFrames: number | null): number {
  if (frameCount <= 0) return 0;
  const all = Math.ceil(frameCount / stride);
  return maxFrames === null ? all : Math.min(all, maxFrames);
}
