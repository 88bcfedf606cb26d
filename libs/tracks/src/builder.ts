import type { Size, TextTrack, TrackBox, VideoMetadata } from '@framewire/contracts';
import { detectionsOf, type Detection } from './detections';
import { boxIou, extrapolate } from './geometry';
import { normaliseText, textSimilarity } from './text';

/** One stored frame result, as the builder reads it. */
export interface TrackFrame {
  frame_index: number;
  pts_ms: number;
  /** The pipeline output (null for a failed frame: a sample in which nothing was seen). */
  result: unknown;
}

export interface TrackBuildOptions {
  /** Time between samples; default: the median gap between the frames' pts. */
  intervalMs?: number | null;
  /** The video's duration: no track ends after it. */
  durationMs?: number | null;
  /** Source-video size, to normalise boxes of old rows that lack `_norm`. */
  sourceSize?: Size | null;
  /** Readings at least this similar (1 - normalised edit distance) may belong to one track. Default 0.7. */
  minTextSimilarity?: number;
  /** Boxes must overlap at least this much (IoU) to belong to one track. Default 0.3. */
  minIou?: number;
  /** Samples a track may miss and still continue. Default 1. */
  maxMissed?: number;
}

export const TRACK_DEFAULTS = { minTextSimilarity: 0.7, minIou: 0.3, maxMissed: 1 } as const;

interface Appearance {
  sample: number;
  frame_index: number;
  pts_ms: number;
  det: Detection;
}

interface OpenTrack {
  /** Creation order, the tie-breaker that keeps matching deterministic. */
  id: number;
  output: string;
  kind: 'text' | 'region';
  seen: Appearance[];
}

function last<T>(items: readonly T[]): T {
  return items[items.length - 1];
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** How well a detection continues a track, or null when it may not. */
function linkScore(
  track: OpenTrack,
  det: Detection,
  sample: number,
  opts: Required<Pick<TrackBuildOptions, 'minTextSimilarity' | 'minIou'>>,
): number | null {
  if (track.output !== det.output || track.kind !== det.kind) return null;
  const now = last(track.seen);
  let overlap = boxIou(now.det.bbox, det.bbox);
  if (track.seen.length > 1) {
    // A moving line: where it would be now at the speed it had.
    const before = track.seen[track.seen.length - 2];
    const steps = (sample - now.sample) / (now.sample - before.sample);
    overlap = Math.max(overlap, boxIou(extrapolate(before.det.bbox, now.det.bbox, steps), det.bbox));
  }
  if (track.kind === 'region') return overlap >= opts.minIou ? overlap : null;
  const similarity = textSimilarity(now.det.text ?? '', det.text ?? '');
  if (similarity < opts.minTextSimilarity) return null;
  // The very same reading only has to overlap at all: a moving line whose speed is not known yet.
  if (similarity === 1 ? overlap <= 0 : overlap < opts.minIou) return null;
  return similarity + overlap;
}

/** The confidence-weighted most frequent reading, and the mean confidence of the frames that read it. */
function consensus(seen: readonly Appearance[]): { text: string | null; confidence: number } {
  const byText = new Map<string, { text: string; weight: number; count: number; sum: number; first: number }>();
  seen.forEach((a, i) => {
    const text = a.det.text ?? '';
    const entry = byText.get(text) ?? { text, weight: 0, count: 0, sum: 0, first: i };
    entry.weight += a.det.score;
    entry.count += 1;
    entry.sum += a.det.score;
    byText.set(text, entry);
  });
  const best = [...byText.values()].sort((a, b) => b.weight - a.weight || b.count - a.count || a.first - b.first)[0];
  return { text: seen[0].det.kind === 'region' ? null : best.text, confidence: best.sum / best.count };
}

function trackBox(a: Appearance): TrackBox {
  const { det } = a;
  return {
    frame_index: a.frame_index,
    pts_ms: a.pts_ms,
    polygon: det.polygon,
    bbox: det.bbox,
    polygon_norm: det.polygon_norm,
    bbox_norm: det.bbox_norm,
    text: det.text,
    score: det.score,
  };
}

/**
 * Text tracks from a job's frame results: the lines of `ocr` and the regions
 * of `text_regions` (under whatever output node holds them) linked across
 * consecutive samples. Pure and deterministic: the same frames give the same
 * tracks, whatever order they come in.
 *
 * - A line continues a track when its text is near the track's last reading
 *   (normalised edit distance) and its box overlaps (IoU ≥ minIou; any overlap
 *   for the very same reading) the last box, or where the box would be had it
 *   kept moving; a region when its box overlaps (IoU ≥ minIou).
 * - Each sample's links are made best first (similarity + IoU), one
 *   detection per track; what is left starts new tracks.
 * - A track may miss `maxMissed` samples (default one) and continue.
 * - Consensus text: the reading with the largest summed confidence;
 *   confidence: the mean of that reading's confidences.
 * - start_ms: the first sample's pts; end_ms: the pts of the sample after the
 *   last one seen, or, for the last sample, its pts plus the interval, capped
 *   at the duration.
 * - Ordered by start, top, left (then output and text); track_index is the position.
 */
export function buildTextTracks(frames: readonly TrackFrame[], options: TrackBuildOptions = {}): TextTrack[] {
  const opts = {
    minTextSimilarity: options.minTextSimilarity ?? TRACK_DEFAULTS.minTextSimilarity,
    minIou: options.minIou ?? TRACK_DEFAULTS.minIou,
  };
  const maxMissed = options.maxMissed ?? TRACK_DEFAULTS.maxMissed;
  const samples = dedupe(frames);
  const interval = options.intervalMs ?? median(samples.slice(1).map((f, i) => f.pts_ms - samples[i].pts_ms)) ?? 0;

  const open: OpenTrack[] = [];
  const closed: OpenTrack[] = [];
  let nextId = 0;
  samples.forEach((frame, sample) => {
    const dets = detectionsOf(frame.result, options.sourceSize ?? null);
    const pairs: { score: number; track: OpenTrack; det: number }[] = [];
    for (const track of open) {
      dets.forEach((det, d) => {
        const score = linkScore(track, det, sample, opts);
        if (score !== null) pairs.push({ score, track, det: d });
      });
    }
    pairs.sort(
      (a, b) => b.score - a.score || last(b.track.seen).sample - last(a.track.seen).sample || a.track.id - b.track.id || a.det - b.det,
    );
    const takenTracks = new Set<OpenTrack>();
    const takenDets = new Set<number>();
    for (const p of pairs) {
      if (takenTracks.has(p.track) || takenDets.has(p.det)) continue;
      takenTracks.add(p.track);
      takenDets.add(p.det);
      p.track.seen.push({ sample, frame_index: frame.frame_index, pts_ms: frame.pts_ms, det: dets[p.det] });
    }
    dets.forEach((det, d) => {
      if (takenDets.has(d)) return;
      open.push({
        id: nextId++,
        output: det.output,
        kind: det.kind,
        seen: [{ sample, frame_index: frame.frame_index, pts_ms: frame.pts_ms, det }],
      });
    });
    // A track that has now missed more than maxMissed samples is over.
    for (let i = open.length - 1; i >= 0; i--) {
      if (sample - last(open[i].seen).sample > maxMissed) closed.push(...open.splice(i, 1));
    }
  });
  closed.push(...open);

  const endOf = (t: OpenTrack): number => {
    const seen = last(t.seen);
    const after = samples[seen.sample + 1];
    if (after) return after.pts_ms;
    const end = seen.pts_ms + interval;
    const duration = options.durationMs;
    return duration !== null && duration !== undefined && duration >= seen.pts_ms ? Math.min(end, duration) : end;
  };

  const tracks = closed.map((t): Omit<TextTrack, 'track_index'> => {
    const first = t.seen[0];
    const { text, confidence } = consensus(t.seen);
    return {
      output: t.output,
      kind: t.kind,
      text,
      confidence,
      start_ms: first.pts_ms,
      end_ms: endOf(t),
      first_frame: first.frame_index,
      last_frame: last(t.seen).frame_index,
      frame_count: t.seen.length,
      bbox: first.det.bbox,
      bbox_norm: first.det.bbox_norm,
      boxes: t.seen.map(trackBox),
    };
  });
  tracks.sort(
    (a, b) =>
      a.start_ms - b.start_ms ||
      a.bbox.y - b.bbox.y ||
      a.bbox.x - b.bbox.x ||
      compare(a.output, b.output) ||
      compare(normaliseText(a.text ?? ''), normaliseText(b.text ?? '')) ||
      a.end_ms - b.end_ms,
  );
  return tracks.map((t, i) => ({ track_index: i, ...t }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Frames in frame order, one per frame index (the last one given wins). */
function dedupe(frames: readonly TrackFrame[]): TrackFrame[] {
  const byIndex = new Map<number, TrackFrame>();
  for (const f of frames) byIndex.set(f.frame_index, f);
  return [...byIndex.values()].sort((a, b) => a.frame_index - b.frame_index);
}

/** What a job (or the CLI's local analyze) knows about the sampling of its video. */
export interface SampledVideo {
  /** The probed video (null before probing): its duration caps the last track, its size normalises old rows. */
  video: Pick<VideoMetadata, 'duration_ms' | 'fps' | 'width' | 'height'> | null;
  /** Every how many decoded frames one was sampled: the interval when there is only one sample to go by. */
  frameStride: number;
  /** Samples per second of video time, when the job sampled by time (it then sets the interval instead of the stride). */
  sampleFps?: number | null;
}

/**
 * buildTextTracks with the options a job's facts give: the status service
 * and the CLI's local analyze call this, so both build the same tracks from
 * the same frames.
 */
export function buildTracksForVideo(frames: readonly TrackFrame[], { video, frameStride, sampleFps }: SampledVideo): TextTrack[] {
  return buildTextTracks(frames, {
    // Between samples: the median gap of the frames' pts; for a single frame, what the rate or the stride gives.
    intervalMs: frames.length >= 2 ? null : sampleFps ? 1000 / sampleFps : video?.fps ? (frameStride * 1000) / video.fps : null,
    durationMs: video?.duration_ms ?? null,
    sourceSize: video ? { width: video.width, height: video.height } : null,
  });
}
