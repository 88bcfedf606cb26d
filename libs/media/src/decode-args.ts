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
 */

export interface DecodePlan {
  path: string;
  stride: number;
  maxFrames: number | null;
  /** 1–100, libjpeg-style; mapped to ffmpeg's qscale by jpegQualityToQscale(). */
  jpegQuality: number;
  maxWidth?: number | undefined;
}

export function buildDecodeArgs(plan: DecodePlan): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'],
    ...['-progress', 'pipe:3', '-vsync', 'passthrough'],
    ...['-reinit_filter', '0', '-i', `file:${plan.path}`],
    // output 0: every decoded frame, discarded — only counted by -progress
    ...['-map', '0:V:0', '-vf', RENUMBER, '-r', NOMINAL_FPS, '-f', 'null', '-'],
    // output 1: the sampled frames as concatenated JPEGs on stdout
    ...['-map', '0:V:0', '-vf', buildFilter(plan), '-r', NOMINAL_FPS],
    ...(plan.maxFrames === null ? [] : ['-frames:v', String(plan.maxFrames)]),
    ...['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', String(jpegQualityToQscale(plan.jpegQuality))],
    ...['-f', 'image2pipe', 'pipe:1'],
  ];
}

const NOMINAL_FPS = '25';
/** Timestamps 0, 1, 2… frames at NOMINAL_FPS: strictly increasing whatever the input had. */
const RENUMBER = `setpts=N/(${NOMINAL_FPS}*TB)`;

export function buildFilter(plan: Pick<DecodePlan, 'stride' | 'maxWidth'>): string {
  const size = plan.maxWidth === undefined ? '' : `w='min(iw\\,${plan.maxWidth})':h=-1:`;
  return [`select='not(mod(n\\,${plan.stride}))'`, 'showinfo', RENUMBER, `scale=${size}out_range=full`].join(',');
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
