/**
 * @framewire/tracks — the text-track builder: per-frame lines of `ocr` and
 * regions of `text_regions` linked across samples into tracks (TextTrack of
 * the contracts), and their exports (WebVTT, SRT, CSV, JSON). Pure; used by
 * the status service, intake's export route and the CLI.
 */
export { buildTextTracks, buildTracksForVideo, TRACK_DEFAULTS } from './builder';
export type { SampledVideo, TrackBuildOptions, TrackFrame } from './builder';
export { detectionsOf } from './detections';
export type { Detection } from './detections';
export { editDistance, normaliseText, textSimilarity } from './text';
export { boxIou } from './geometry';
export {
  CSV_COLUMNS,
  csvField,
  cueTime,
  EXPORT_FORMATS,
  EXPORT_MEDIA,
  exportFilename,
  formatTracks,
  isExportFormat,
  type ExportFormat,
  type ExportMeta,
} from './export';
