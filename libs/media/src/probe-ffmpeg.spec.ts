import { DomainError } from '@framewire/contracts';
import { parseFfmpegInputInfo } from './probe-ffmpeg';

const path = '/data/in.ts';

// Verbatim stderr of the bundled ffmpeg (2018) for `ffmpeg -hide_banner -nostdin -i file:<path>`.
const TS = [
  "Input #0, mpegts, from 'file:/data/in.ts':",
  '  Duration: 00:00:01.02, start: 1.443511, bitrate: 177 kb/s',
  '  Program 1 ',
  '    Metadata:',
  '      service_name    : Service01',
  '    Stream #0:0[0x100]: Video: h264 (High 4:4:4 Predictive) ([27][0][0][0] / 0x001B), yuv444p(progressive), 320x240 [SAR 1:1 DAR 4:3], 29.97 fps, 29.97 tbr, 90k tbn, 59.94 tbc',
  '    Stream #0:1[0x101]: Audio: aac (LC) ([15][0][0][0] / 0x000F), 44100 Hz, mono, fltp, 4 kb/s',
  'At least one output file must be specified',
];
const MP4 = [
  "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/data/in.ts':",
  '  Metadata:',
  '    major_brand     : isom',
  '  Duration: 00:01:10.00, start: 0.000000, bitrate: 3041 kb/s',
  '    Stream #0:0(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)',
  '    Stream #0:1(und): Video: mjpeg, yuvj420p(pc, bt470bg/unknown/unknown), 600x600 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn, 90k tbc (attached pic)',
  '    Stream #0:2(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1280x720 [SAR 1:1 DAR 16:9], 3037 kb/s, 25 fps, 25 tbr, 15360 tbn, 50 tbc (default)',
  'At least one output file must be specified',
];

function invalidMessage(lines: string[]): string {
  try {
    parseFfmpegInputInfo(lines, path);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('INVALID_VIDEO');
    return (err as DomainError).message;
  }
  throw new Error('expected parseFfmpegInputInfo to throw');
}

describe('parseFfmpegInputInfo', () => {
  it('reads an MPEG-TS description, restoring the NTSC rate', () => {
    expect(parseFfmpegInputInfo(TS, path)).toEqual({
      duration_ms: 1020,
      fps: 30000 / 1001,
      width: 320,
      height: 240,
      codec: 'h264',
      frame_count: null,
    });
  });

  it('skips audio and cover art, and does not mistake the codec tag for a size', () => {
    expect(parseFfmpegInputInfo(MP4, path)).toEqual({
      duration_ms: 70000,
      fps: 25,
      width: 1280,
      height: 720,
      codec: 'h264',
      frame_count: null,
    });
  });

  it('reports the size as displayed when the video stream carries rotation metadata', () => {
    // Verbatim (bundled ffmpeg, 2018) for an MP4 written with `-metadata:s:v:0 rotate=90`.
    const rotated = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/data/in.mp4':",
      '  Duration: 00:00:00.50, start: 0.000000, bitrate: 32 kb/s',
      '    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9], 17 kb/s, 10 fps, 10 tbr, 10240 tbn, 20 tbc (default)',
      '    Metadata:',
      '      rotate          : 270',
      '      handler_name    : VideoHandler',
      '    Side data:',
      '      displaymatrix: rotation of 90.00 degrees',
      'At least one output file must be specified',
    ];
    expect(parseFfmpegInputInfo(rotated, path)).toMatchObject({ width: 720, height: 1280 });
    // The rotate tag alone counts too; a half turn keeps the size.
    expect(parseFfmpegInputInfo(rotated.slice(0, 6), path)).toMatchObject({ width: 720, height: 1280 });
    const halfTurn = [...rotated.slice(0, 3), '    Side data:', '      displaymatrix: rotation of -180.00 degrees'];
    expect(parseFfmpegInputInfo(halfTurn, path)).toMatchObject({ width: 1280, height: 720 });
    // Another stream's metadata is not the video's.
    const audioRotated = [
      ...rotated.slice(0, 3),
      '    Stream #0:1(und): Audio: aac (LC), 44100 Hz, mono, fltp',
      '    Metadata:',
      '      rotate          : 90',
    ];
    expect(parseFfmpegInputInfo(audioRotated, path)).toMatchObject({ width: 1280, height: 720 });
  });

  it('falls back to tbr, and to null without a rate or a duration', () => {
    const lines = [
      "Input #0, matroska,webm, from 'x':",
      '  Duration: N/A, start: 0.000000, bitrate: N/A',
      '    Stream #0:0: Video: vp8, yuv420p(progressive), 640x360, SAR 1:1 DAR 16:9, 1k tbr, 1k tbn, 1k tbc (default)',
    ];
    expect(parseFfmpegInputInfo(lines, path)).toMatchObject({ duration_ms: null, fps: 1000, codec: 'vp8', width: 640 });
    const bare = [lines[0], '    Stream #0:0: Video: rawvideo, yuv420p, 64x48'];
    expect(parseFfmpegInputInfo(bare, path)).toMatchObject({ duration_ms: null, fps: null });
  });

  it('refuses what probeVideo refuses, in the same words', () => {
    expect(invalidMessage([`file:${path}: Invalid data found when processing input`])).toBe(
      'file is not a video (ffmpeg could not read it: invalid data found when processing input)',
    );
    expect(invalidMessage(["Input #0, tty, from 'x':", '    Stream #0:0: Video: ansi, pal8, 640x400, 25 fps'])).toBe(
      'file is not a video (it was read as a text file)',
    );
    expect(
      invalidMessage(["Input #0, png_pipe, from 'x':", '    Stream #0:0: Video: png, rgb24(pc), 64x64 [SAR 1:1 DAR 1:1], 25 tbr']),
    ).toBe('file is a still image, not a video');
    expect(invalidMessage([MP4[0], MP4[4]])).toBe('file has no video stream (audio only?)');
    expect(invalidMessage([MP4[0], MP4[4], MP4[5]])).toBe('file has no video stream (only a cover image)');
    expect(invalidMessage([MP4[0]])).toBe('file has no video stream');
    expect(invalidMessage([MP4[0], '    Stream #0:0: Video: h264, yuv420p, 0x0, 25 fps'])).toBe('video has zero size');
  });
});
