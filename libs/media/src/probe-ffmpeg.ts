import { DomainError, type VideoMetadata, videoMetadataSchema } from '@framewire/contracts';
import { summarizeStderr } from './ffmpeg-log';
import { nonVideoFormatReason } from './formats';
import { displaySize } from './display-size';
import { runAndCapture } from './process';

/**
 * Probing with `ffmpeg -i` when ffprobe itself crashes. The bundled static
 * ffprobe (johnvansickle build, 2023) dies with SIGSEGV on every MPEG-TS file
 * on some machines, while the bundled ffmpeg reads them fine; without this
 * fallback every .ts upload would be refused as "not a video".
 *
 * ffmpeg prints the input's description on stderr and exits 1 ("At least one
 * output file must be specified"); the description is what we parse. It gives
 * no frame count, so frame_count is null.
 */

const MAX_INFO_LINES = 2000;

export interface FfmpegProbeOptions {
  ffmpegPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function probeWithFfmpeg(path: string, opts: FfmpegProbeOptions): Promise<VideoMetadata> {
  const result = await runAndCapture(opts.ffmpegPath, ['-hide_banner', '-nostdin', '-i', `file:${path}`], {
    timeoutMs: opts.timeoutMs,
    maxStdoutBytes: 1024 * 1024,
    stderrLines: MAX_INFO_LINES,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return parseFfmpegInputInfo(result.stderrTail, path);
}

const INPUT = /^Input #0, (.+?), from '/;
const DURATION = /^\s*Duration: (?:(\d+):(\d{2}):(\d{2}(?:\.\d+)?)|N\/A)/;
const STREAM = /^\s*Stream #0:\d+\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$/;
const ANY_STREAM = /^\s*Stream #/;
const DISPLAY_MATRIX = /^\s*displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees/;
const ROTATE_TAG = /^\s*rotate\s*: (-?\d+(?:\.\d+)?)\s*$/;

/** Pure: the stderr of `ffmpeg -i <path>` → VideoMetadata, with the same refusals as parseProbeOutput. */
export function parseFfmpegInputInfo(lines: readonly string[], path: string): VideoMetadata {
  const input = lines.map((l) => INPUT.exec(l)).find((m) => m !== null);
  if (!input) {
    throw invalid(`file is not a video (ffmpeg could not read it: ${summarizeStderr(lines, path)})`);
  }
  const formatReason = nonVideoFormatReason(input[1]);
  if (formatReason) throw invalid(formatReason);

  const streams = lines.flatMap((l, line) => {
    const m = STREAM.exec(l);
    return m ? [{ kind: m[1], description: m[2], line }] : [];
  });
  const videos = streams.filter((m) => m.kind === 'Video');
  const video = videos.find((m) => !m.description.includes('(attached pic)'));
  if (!video) {
    if (videos.length > 0) throw invalid('file has no video stream (only a cover image)');
    if (streams.some((m) => m.kind === 'Audio')) throw invalid('file has no video stream (audio only?)');
    throw invalid('file has no video stream');
  }
  const description = video.description;
  const size = /, (\d+)x(\d+)/.exec(description);
  const width = size ? Number(size[1]) : 0;
  const height = size ? Number(size[2]) : 0;
  if (width <= 0 || height <= 0) throw invalid('video has zero size');
  const shown = displaySize(width, height, streamRotation(lines, video.line));

  return videoMetadataSchema.parse({
    duration_ms: durationMs(lines),
    fps: frameRate(description),
    width: shown.width,
    height: shown.height,
    codec: /^([A-Za-z0-9_]+)/.exec(description)?.[1] ?? 'unknown',
    frame_count: null,
  });
}

function invalid(message: string): DomainError {
  return new DomainError('INVALID_VIDEO', message);
}

/**
 * The rotation in the stream's own block (the indented lines after its
 * Stream line): its display matrix ("displaymatrix: rotation of -90.00
 * degrees"), else its `rotate` metadata; 0 without either.
 */
function streamRotation(lines: readonly string[], streamLine: number): number {
  let tag: number | null = null;
  for (const line of lines.slice(streamLine + 1)) {
    if (!/^\s/.test(line) || ANY_STREAM.test(line)) break;
    const matrix = DISPLAY_MATRIX.exec(line);
    if (matrix) return Number(matrix[1]);
    const rotate = ROTATE_TAG.exec(line);
    if (rotate) tag ??= Number(rotate[1]);
  }
  return tag ?? 0;
}

function durationMs(lines: readonly string[]): number | null {
  const m = lines.map((l) => DURATION.exec(l)).find((x) => x !== null);
  if (!m || m[1] === undefined) return null;
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return Math.round(seconds * 1000);
}

/** "25 fps", "29.97 fps", "90k tbr": fps first, tbr as a fallback; 29.97 and friends restored to n·1000/1001. */
function frameRate(description: string): number | null {
  const m = /(\d+(?:\.\d+)?)(k?) fps/.exec(description) ?? /(\d+(?:\.\d+)?)(k?) tbr/.exec(description);
  if (!m) return null;
  const value = Number(m[1]) * (m[2] === 'k' ? 1000 : 1);
  if (!(value > 0)) return null;
  const ntsc = [24, 30, 48, 60, 120].map((n) => (n * 1000) / 1001).find((r) => Math.abs(r - value) < 0.006);
  return ntsc ?? value;
}
