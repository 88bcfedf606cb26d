/** The parts of a text track the timeline draws. */
export interface TrackSpan {
  start_ms: number;
  end_ms: number;
}

/** Narrowest a cue is drawn, in % of the timeline, so a one-sample track stays visible and clickable. */
export const MIN_SPAN_PERCENT = 0.5;

/** The timeline's length: the video's duration, stretched to the last track's end if that is later. */
export function timelineLength(durationMs: number | null | undefined, tracks: readonly TrackSpan[]): number {
  return Math.max(durationMs ?? 0, ...tracks.map((t) => t.end_ms), 1);
}

/** Where a track's `[start_ms, end_ms)` sits on a timeline of `lengthMs`: left and width in %. */
export function spanPercent(track: TrackSpan, lengthMs: number): { left: number; width: number } {
  const left = Math.min(100, Math.max(0, (track.start_ms / lengthMs) * 100));
  const width = Math.max(MIN_SPAN_PERCENT, ((track.end_ms - track.start_ms) / lengthMs) * 100);
  return { left, width: Math.min(width, 100 - left) };
}
