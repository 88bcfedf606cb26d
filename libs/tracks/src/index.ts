// Public API of @framewire/tracks: text tracks built from per-frame results, and their exports.
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
