import type { TextTrack } from '@framewire/contracts';
import { csvField, cueTime, exportFilename, formatTracks, isExportFormat } from './export';

function track(index: number, text: string | null, startMs: number, endMs: number, over: Partial<TextTrack> = {}): TextTrack {
  const bbox = { x: 66, y: 64, width: 371, height: 37 };
  const bboxNorm = { x: 0.1, y: 0.2, width: 0.5, height: 0.05 };
  return {
    track_index: index,
    output: text === null ? 'detect' : 'read',
    kind: text === null ? 'region' : 'text',
    text,
    confidence: 0.97,
    start_ms: startMs,
    end_ms: endMs,
    first_frame: 0,
    last_frame: 10,
    frame_count: 6,
    bbox,
    bbox_norm: bboxNorm,
    boxes: [],
    ...over,
  };
}

const meta = { jobId: 'job-1', final: true };

describe('exporting tracks', () => {
  it('formats cue times as HH:MM:SS.mmm (WebVTT) and HH:MM:SS,mmm (SRT), rounding to the millisecond', () => {
    expect(cueTime(0, '.')).toBe('00:00:00.000');
    expect(cueTime(4966.67, '.')).toBe('00:00:04.967');
    expect(cueTime(3_723_004, ',')).toBe('01:02:03,004');
    expect(cueTime(100 * 3_600_000 + 59_999.6, '.')).toBe('100:01:00.000');
  });

  it('writes WebVTT cues in start order, overlapping cues kept, region tracks skipped', () => {
    const tracks = [
      track(0, 'FRAMEWIRE 2026', 0, 4966.67),
      track(1, 'TRUCK ABC 1234', 1000, 4300),
      track(2, null, 2000, 3000),
      track(3, 'LATER', 5000, 8300),
    ];
    expect(formatTracks(tracks, 'webvtt', meta)).toBe(
      'WEBVTT\n\n' +
        '1\n00:00:00.000 --> 00:00:04.967\nFRAMEWIRE 2026\n\n' +
        '2\n00:00:01.000 --> 00:00:04.300\nTRUCK ABC 1234\n\n' +
        '3\n00:00:05.000 --> 00:00:08.300\nLATER\n',
    );
    expect(formatTracks([], 'webvtt', meta)).toBe('WEBVTT\n');
  });

  it('escapes what would end or mark up a cue: -->, <, &, blank lines', () => {
    const t = [track(0, 'A --> B & <C>\n\nsecond line\r\n', 0, 1000)];
    expect(formatTracks(t, 'webvtt', meta)).toBe('WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nA --&gt; B &amp; &lt;C&gt;\nsecond line\n');
    expect(formatTracks(t, 'srt', meta)).toBe('1\n00:00:00,000 --> 00:00:01,000\nA -> B & <C>\nsecond line\n');
  });

  it('writes SRT numbered from 1, skipping empty texts, and never a cue that ends before it starts', () => {
    const tracks = [track(0, '  ', 0, 500), track(1, 'ONE', 1000.2, 1000.4), track(2, 'TWO', 2000, 3000)];
    expect(formatTracks(tracks, 'srt', meta)).toBe('1\n00:00:01,000 --> 00:00:01,001\nONE\n\n2\n00:00:02,000 --> 00:00:03,000\nTWO\n');
  });

  it('writes RFC 4180 CSV: a header, CRLF records, quoted fields with doubled quotes, every track', () => {
    const csv = formatTracks([track(0, 'SAY "HI", THEN\nGO', 0, 500), track(1, null, 500, 1000)], 'csv', meta);
    const records = csv.split('\r\n');
    expect(records[0]).toBe(
      'track_index,start_ms,end_ms,text,confidence,x,y,width,height,x_norm,y_norm,width_norm,height_norm,output,kind,first_frame,last_frame,frame_count',
    );
    expect(csv).toContain('\r\n0,0,500,"SAY ""HI"", THEN\nGO",0.97,66,64,371,37,0.1,0.2,0.5,0.05,read,text,0,10,6\r\n');
    expect(csv.endsWith('\r\n1,500,1000,,0.97,66,64,371,37,0.1,0.2,0.5,0.05,detect,region,0,10,6\r\n')).toBe(true);
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a\rb')).toBe('"a\rb"');
    // A formula a spreadsheet would run is written as text; numbers stay numbers.
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField('+1 555')).toBe("'+1 555");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField(-12.5)).toBe('-12.5');
    expect(csvField('FRAMEWIRE 2026')).toBe('FRAMEWIRE 2026');
    expect(formatTracks([], 'csv', meta).split('\r\n')).toHaveLength(2);
  });

  it('writes JSON with the job id and whether the tracks are final', () => {
    const tracks = [track(0, 'X', 0, 1)];
    expect(JSON.parse(formatTracks(tracks, 'json', { jobId: 'j', final: false }))).toEqual({ job_id: 'j', final: false, tracks });
  });

  it('knows its formats and names files after the job', () => {
    expect(['webvtt', 'srt', 'csv', 'json'].every(isExportFormat)).toBe(true);
    expect(isExportFormat('vtt')).toBe(false);
    expect(isExportFormat(undefined)).toBe(false);
    expect(exportFilename('abc', 'webvtt')).toBe('abc-tracks.vtt');
  });
});
