import type { TextTrack } from '@framewire/contracts';

/**
 * A job's text tracks as files: WebVTT and SRT subtitles (a video's burned-in
 * text as cues), CSV (RFC 4180, one row per track) and JSON. Pure, so the
 * HTTP export and the CLI's `export` write the same bytes.
 *
 * Subtitle formats carry text only: a `text_regions` track (no text) has no
 * cue; CSV and JSON keep every track.
 */
export const EXPORT_FORMATS = ['webvtt', 'srt', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** Media type and file extension of each format. */
export const EXPORT_MEDIA: Record<ExportFormat, { contentType: string; extension: string }> = {
  webvtt: { contentType: 'text/vtt; charset=utf-8', extension: 'vtt' },
  srt: { contentType: 'application/x-subrip; charset=utf-8', extension: 'srt' },
  csv: { contentType: 'text/csv; charset=utf-8; header=present', extension: 'csv' },
  json: { contentType: 'application/json; charset=utf-8', extension: 'json' },
};

export interface ExportMeta {
  jobId: string;
  /** False while the job runs: the tracks of the frames done so far. */
  final: boolean;
}

/** The file name an export is offered under: `<job>-tracks.<ext>`. */
export function exportFilename(jobId: string, format: ExportFormat): string {
  return `${jobId}-tracks.${EXPORT_MEDIA[format].extension}`;
}

export function formatTracks(tracks: readonly TextTrack[], format: ExportFormat, meta: ExportMeta): string {
  switch (format) {
    case 'webvtt':
      return toWebVtt(tracks);
    case 'srt':
      return toSrt(tracks);
    case 'csv':
      return toCsv(tracks);
    case 'json':
      return `${JSON.stringify({ job_id: meta.jobId, final: meta.final, tracks }, null, 2)}\n`;
  }
}

// ---------------------------------------------------------------- subtitles

interface Cue {
  startMs: number;
  endMs: number;
  lines: string[];
}

/**
 * One cue per track that has text, in start order (tracks on screen at the
 * same time give overlapping cues, which both formats allow). Times are whole
 * milliseconds, and a cue lasts at least 1 ms. Line breaks in a text become
 * cue lines; blank lines are dropped, since a blank line ends a cue.
 */
function cues(tracks: readonly TextTrack[]): Cue[] {
  const out: Array<Cue & { index: number }> = [];
  for (const t of tracks) {
    if (t.text === null) continue;
    const lines = t.text
      .split(/\r\n|\r|\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '');
    if (lines.length === 0) continue;
    const startMs = Math.max(0, Math.round(t.start_ms));
    const endMs = Math.max(startMs + 1, Math.round(t.end_ms));
    out.push({ startMs, endMs, lines, index: t.track_index });
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.index - b.index);
}

/** `HH:MM:SS<sep>mmm` (hours grow past two digits when they must). */
export function cueTime(ms: number, sep: '.' | ','): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${sep}${pad(total % 1000, 3)}`;
}

/** WebVTT cue text: `&`, `<` and `>` are escaped (which also keeps `-->` out of a cue). */
const vttText = (line: string) => line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function toWebVtt(tracks: readonly TextTrack[]): string {
  const body = cues(tracks).map(
    (c, i) => `${i + 1}\n${cueTime(c.startMs, '.')} --> ${cueTime(c.endMs, '.')}\n${c.lines.map(vttText).join('\n')}\n`,
  );
  return ['WEBVTT\n', ...body].join('\n');
}

/**
 * SRT has no escapes: a text line holding `-->` would be read as a timing
 * line by common parsers, so it becomes `->`; tags (`<i>`) pass through as
 * players render them.
 */
const srtText = (line: string) => line.replace(/-->/g, '->');

function toSrt(tracks: readonly TextTrack[]): string {
  return cues(tracks)
    .map((c, i) => `${i + 1}\n${cueTime(c.startMs, ',')} --> ${cueTime(c.endMs, ',')}\n${c.lines.map(srtText).join('\n')}\n`)
    .join('\n');
}

// ---------------------------------------------------------------- CSV

/** The CSV columns, in order; `x,y,width,height` is the track's first box in source-video pixels. */
export const CSV_COLUMNS = [
  'track_index',
  'start_ms',
  'end_ms',
  'text',
  'confidence',
  'x',
  'y',
  'width',
  'height',
  'x_norm',
  'y_norm',
  'width_norm',
  'height_norm',
  'output',
  'kind',
  'first_frame',
  'last_frame',
  'frame_count',
] as const;

/**
 * RFC 4180: a field holding a comma, a double quote, CR or LF is quoted, with
 * its quotes doubled. Text that a spreadsheet would run as a formula (it
 * starts with =, +, -, @, a tab or CR: text read off a video is anyone's
 * input) gets a leading `'` first, as OWASP advises; numbers are written as
 * they are.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(tracks: readonly TextTrack[]): string {
  const rows = tracks.map((t) =>
    [
      t.track_index,
      t.start_ms,
      t.end_ms,
      t.text,
      t.confidence,
      t.bbox.x,
      t.bbox.y,
      t.bbox.width,
      t.bbox.height,
      t.bbox_norm.x,
      t.bbox_norm.y,
      t.bbox_norm.width,
      t.bbox_norm.height,
      t.output,
      t.kind,
      t.first_frame,
      t.last_frame,
      t.frame_count,
    ]
      .map(csvField)
      .join(','),
  );
  // RFC 4180 ends every record, the last one included, with CRLF.
  return [CSV_COLUMNS.join(','), ...rows].map((r) => `${r}\r\n`).join('');
}
