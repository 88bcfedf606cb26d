import type { BBox, TextTrack } from '@framewire/contracts';
import { TextTrackKind, type BBox as BBoxMessage, type Point, type TextTrack as TextTrackMessage } from '@framewire/grpc';
import { bold, dim, type Tty } from './output';

/** A ListTracks track as the HTTP API and the export formatter know it (snake_case, nulls). */
export function trackFromMessage(t: TextTrackMessage): TextTrack {
  return {
    track_index: t.trackIndex,
    output: t.output,
    kind: t.kind === TextTrackKind.TEXT_TRACK_KIND_REGION ? 'region' : 'text',
    text: t.text ?? null,
    confidence: t.confidence,
    start_ms: t.startMs,
    end_ms: t.endMs,
    first_frame: t.firstFrame,
    last_frame: t.lastFrame,
    frame_count: t.frameCount,
    bbox: bbox(t.bbox),
    bbox_norm: bbox(t.bboxNorm),
    boxes: t.boxes.map((b) => ({
      frame_index: b.frameIndex,
      pts_ms: b.ptsMs,
      polygon: points(b.polygon),
      bbox: bbox(b.bbox),
      polygon_norm: points(b.polygonNorm),
      bbox_norm: bbox(b.bboxNorm),
      text: b.text ?? null,
      score: b.score,
    })),
  };
}

const bbox = (b: BBoxMessage | undefined): BBox => ({ x: b?.x ?? 0, y: b?.y ?? 0, width: b?.width ?? 0, height: b?.height ?? 0 });
const points = (ps: Point[]): Array<[number, number]> => ps.map((p) => [p.x, p.y]);

/** What a region track (found, not read) shows instead of text. */
const REGION = '(text region)';

/**
 * The tracks, one line each, texts padded to one width so the times line up:
 * `FRAMEWIRE 2026  0.00–4.97 s  at 66,64 371×37` (seconds, and the first box
 * in source-video pixels).
 */
export function trackLines(tracks: readonly TextTrack[], t: Tty): string[] {
  const texts = tracks.map((tr) => (tr.text === null ? REGION : tr.text.replace(/\s*[\r\n]+\s*/g, ' / ')));
  const width = Math.max(0, ...texts.map((s) => s.length));
  return tracks.map((tr, i) => {
    const text = texts[i].padEnd(width);
    const when = `${(tr.start_ms / 1000).toFixed(2)}–${(tr.end_ms / 1000).toFixed(2)} s`;
    const b = tr.bbox;
    const where = `at ${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}×${Math.round(b.height)}`;
    return `${tr.text === null ? dim(t, text) : bold(t, text)}  ${when}  ${dim(t, where)}`.trimEnd();
  });
}

/** The tracks block printed after a job or an analysis: a heading with the count, then one line per track. */
export function writeTracks(tracks: readonly TextTrack[], out: Tty, opts: { final: boolean }): void {
  const n = tracks.length;
  const note = opts.final ? '' : ' (not final: from the frames done so far)';
  if (n === 0) {
    out.write(`${dim(out, `no text tracks${note}`)}\n`);
    return;
  }
  out.write(`${dim(out, `${n} text track${n === 1 ? '' : 's'}${note}`)}\n`);
  for (const line of trackLines(tracks, out)) out.write(`${line}\n`);
}
