import { DomainError, type VideoMetadata, videoMetadataSchema } from '@framewire/contracts';
import { z } from 'zod';
import { resolveFfmpegPath, resolveFfprobePath } from './binaries';
import { summarizeStderr } from './ffmpeg-log';
import { displaySize } from './display-size';
import { nonVideoFormatReason } from './formats';
import { probeWithFfmpeg } from './probe-ffmpeg';
import { runAndCapture } from './process';

export interface ProbeOptions {
  /** Kill ffprobe after this long (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Defaults to resolveFfprobePath(). */
  ffprobePath?: string;
  /** For the fallback when ffprobe crashes; defaults to resolveFfmpegPath(). */
  ffmpegPath?: string;
}

const DEFAULT_PROBE_TIMEOUT_MS = 30_000;
const MAX_PROBE_OUTPUT_BYTES = 8 * 1024 * 1024;

export function buildProbeArgs(path: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', `file:${path}`];
}

/**
 * Probes a file with ffprobe (with `ffmpeg -i` as a fallback should ffprobe
 * crash, see probe-ffmpeg.ts). Throws DomainError INVALID_VIDEO when it is not
 * a usable video, TIMEOUT when probing hangs, INTERNAL when the tools cannot run.
 */
export async function probeVideo(path: string, opts: ProbeOptions = {}): Promise<VideoMetadata> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const signal = opts.signal ? { signal: opts.signal } : {};
  const result = await runAndCapture(opts.ffprobePath ?? resolveFfprobePath(), buildProbeArgs(path), {
    timeoutMs,
    maxStdoutBytes: MAX_PROBE_OUTPUT_BYTES,
    ...signal,
  });
  if (result.signal !== null) {
    return probeWithFfmpeg(path, { ffmpegPath: opts.ffmpegPath ?? resolveFfmpegPath(), timeoutMs, ...signal });
  }
  if (result.code !== 0) {
    const reason = summarizeStderr(result.stderrTail, path);
    throw new DomainError('INVALID_VIDEO', `file is not a video (ffprobe could not read it: ${reason})`, {
      details: { exit_code: result.code },
    });
  }
  return parseProbeOutput(parseJson(result.stdout.toString('utf8')));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DomainError('INVALID_VIDEO', 'file is not a video (ffprobe produced unreadable output)', { cause: err });
  }
}

/** The part of ffprobe's JSON we read; numbers arrive as strings in most fields. */
const numeric = z.union([z.number(), z.string()]).optional();
const probeStreamSchema = z.looseObject({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  avg_frame_rate: z.string().optional(),
  r_frame_rate: z.string().optional(),
  duration: numeric,
  nb_frames: numeric,
  disposition: z.looseObject({ attached_pic: z.number().optional() }).optional(),
  /** ffprobe 5+: the display matrix, with its rotation in degrees (counter-clockwise). */
  side_data_list: z.array(z.looseObject({ rotation: numeric })).optional(),
  /** Older ffprobe: the MP4/MOV `rotate` tag, in degrees (clockwise). */
  tags: z.looseObject({ rotate: numeric }).optional(),
});
const probeOutputSchema = z.looseObject({
  streams: z.array(probeStreamSchema).optional(),
  format: z
    .looseObject({
      format_name: z.string().optional(),
      duration: numeric,
    })
    .optional(),
});
type ProbeStream = z.infer<typeof probeStreamSchema>;

/** Pure: ffprobe `-print_format json -show_streams -show_format` output → VideoMetadata. */
export function parseProbeOutput(json: unknown): VideoMetadata {
  const parsed = probeOutputSchema.safeParse(json);
  if (!parsed.success) throw invalid('file is not a video (ffprobe output has an unexpected shape)');
  const { streams = [], format } = parsed.data;

  const formatReason = nonVideoFormatReason(format?.format_name);
  if (formatReason) throw invalid(formatReason);

  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!video) throw invalid(missingVideoReason(streams, format?.format_name));
  if (!video.width || !video.height || video.width <= 0 || video.height <= 0) throw invalid('video has zero size');
  if (!video.codec_name) throw invalid('video codec is unknown (no decoder for it)');

  const size = displaySize(video.width, video.height, streamRotation(video));
  return videoMetadataSchema.parse({
    duration_ms: durationMs(video.duration) ?? durationMs(format?.duration),
    fps: parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate),
    width: size.width,
    height: size.height,
    codec: video.codec_name,
    frame_count: frameCount(video.nb_frames),
  });
}

/** The stream's rotation in degrees, from its display matrix, else its `rotate` tag; 0 when it has neither. */
function streamRotation(video: ProbeStream): number {
  const matrix = video.side_data_list?.map((d) => toNumber(d.rotation)).find((r) => r !== null);
  return matrix ?? toNumber(video.tags?.rotate) ?? 0;
}

function invalid(message: string): DomainError {
  return new DomainError('INVALID_VIDEO', message);
}

function missingVideoReason(streams: readonly ProbeStream[], formatName: string | undefined): string {
  if (streams.some((s) => s.codec_type === 'video')) return 'file has no video stream (only a cover image)';
  if (streams.some((s) => s.codec_type === 'audio')) return 'file has no video stream (audio only?)';
  // An MP4/MOV cut short before its index (moov atom) shows only an unnamed data track, or nothing.
  if (formatName?.includes('mp4') && streams.every((s) => s.codec_type !== 'audio' && !s.codec_name)) {
    return 'file has no readable video stream: the MP4/MOV index (moov atom) is missing or damaged; was the upload cut short?';
  }
  return 'file has no video stream';
}

/** "30000/1001" → 29.97…; "0/0", "25", junk → null or the plain number. */
export function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*$/.exec(rate);
  if (!match) return null;
  const num = Number(match[1]);
  const den = match[2] === undefined ? 1 : Number(match[2]);
  const value = num / den;
  return Number.isFinite(value) && value > 0 ? value : null;
}

function durationMs(value: number | string | undefined): number | null {
  const seconds = toNumber(value);
  return seconds === null || seconds < 0 ? null : Math.round(seconds * 1000);
}

function frameCount(value: number | string | undefined): number | null {
  const n = toNumber(value);
  return n !== null && Number.isInteger(n) && n > 0 ? n : null;
}

function toNumber(value: number | string | undefined): number | null {
  if (value === undefined || value === '' || value === 'N/A') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
