/**
 * @framewire/tracks — the text-track builder: per-frame lines of `ocr` and
 * regions of `text_regions` linked across samples into tracks (TextTrack of
 * the contracts). Pure; used by the status service and the CLI's local analyze.
 */
export { buildTextTracks, buildTracksForVideo, TRACK_DEFAULTS } from './builder';
export type { SampledVideo, TrackBuildOptions, TrackFrame } from './builder';
export { detectionsOf } from './detections';
export type { Detection } from './detections';
export { editDistance, normaliseText, textSimilarity } from './text';
export { boxIou } from './geometry';
