import { DomainError } from '@framewire/contracts';
import { buildProbeArgs, parseProbeOutput, parseRate } from './probe';

const h264Stream = {
  index: 0,
  codec_name: 'h264',
  codec_type: 'video',
  width: 1280,
  height: 720,
  r_frame_rate: '30000/1001',
  avg_frame_rate: '30000/1001',
  duration: '10.010000',
  nb_frames: '300',
  disposition: { default: 1, attached_pic: 0 },
};
const aacStream = { index: 1, codec_name: 'aac', codec_type: 'audio', r_frame_rate: '0/0', avg_frame_rate: '0/0', duration: '10.000000' };
const mp4Format = { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.010000' };

function invalidMessage(json: unknown): string {
  try {
    parseProbeOutput(json);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('INVALID_VIDEO');
    return (err as DomainError).message;
  }
  throw new Error('expected parseProbeOutput to throw');
}

describe('parseProbeOutput', () => {
  it('reads the first video stream of an MP4', () => {
    expect(parseProbeOutput({ streams: [aacStream, h264Stream], format: mp4Format })).toEqual({
      duration_ms: 10010,
      fps: 30000 / 1001,
      width: 1280,
      height: 720,
      codec: 'h264',
      frame_count: 300,
    });
  });

  it('falls back to the container duration and r_frame_rate, and leaves an unknown frame count null (Matroska)', () => {
    const stream = { ...h264Stream, duration: undefined, nb_frames: undefined, avg_frame_rate: '0/0', r_frame_rate: '25/1' };
    expect(parseProbeOutput({ streams: [stream], format: { format_name: 'matroska,webm', duration: '4.000000' } })).toEqual({
      duration_ms: 4000,
      fps: 25,
      width: 1280,
      height: 720,
      codec: 'h264',
      frame_count: null,
    });
  });

  it('treats nb_frames "0" and missing durations as unknown', () => {
    const stream = { ...h264Stream, duration: 'N/A', nb_frames: '0', avg_frame_rate: '0/0', r_frame_rate: '0/0' };
    const meta = parseProbeOutput({ streams: [stream], format: { format_name: 'mpegts' } });
    expect(meta).toMatchObject({ duration_ms: null, fps: null, frame_count: null });
  });

  it('reports the size as displayed: a quarter turn of rotation metadata swaps width and height', () => {
    const matrix = (rotation: number | string) => ({ ...h264Stream, side_data_list: [{ side_data_type: 'Display Matrix', rotation }] });
    // ffprobe 5+ (the bundled one, 2023): what `-metadata:s:v:0 rotate=90` wrote into an MP4.
    expect(parseProbeOutput({ streams: [matrix(90)], format: mp4Format })).toMatchObject({ width: 720, height: 1280 });
    expect(parseProbeOutput({ streams: [matrix(-90)], format: mp4Format })).toMatchObject({ width: 720, height: 1280 });
    expect(parseProbeOutput({ streams: [matrix(270)], format: mp4Format })).toMatchObject({ width: 720, height: 1280 });
    expect(parseProbeOutput({ streams: [matrix(180)], format: mp4Format })).toMatchObject({ width: 1280, height: 720 });
    expect(parseProbeOutput({ streams: [matrix('-90.00')], format: mp4Format })).toMatchObject({ width: 720, height: 1280 });
    // Older ffprobe: the rotate tag.
    const tagged = { ...h264Stream, tags: { rotate: '270', language: 'und' } };
    expect(parseProbeOutput({ streams: [tagged], format: mp4Format })).toMatchObject({ width: 720, height: 1280 });
    const unrelated = { ...h264Stream, side_data_list: [{ side_data_type: 'CPB properties' }] };
    expect(parseProbeOutput({ streams: [unrelated], format: mp4Format })).toMatchObject({ width: 1280, height: 720 });
  });

  it('skips cover art and picks the real video stream', () => {
    const cover = { ...h264Stream, index: 0, codec_name: 'mjpeg', width: 600, height: 600, disposition: { attached_pic: 1 } };
    expect(parseProbeOutput({ streams: [cover, { ...h264Stream, index: 1 }], format: mp4Format }).codec).toBe('h264');
  });

  it('explains files without a video stream', () => {
    expect(invalidMessage({ streams: [aacStream], format: mp4Format })).toBe('file has no video stream (audio only?)');
    expect(invalidMessage({ streams: [], format: mp4Format })).toMatch(/moov atom\) is missing or damaged; was the upload cut short\?$/);
    const truncatedIndex = { codec_type: 'data', codec_tag_string: '[0][0][0][0]' };
    expect(invalidMessage({ streams: [truncatedIndex], format: mp4Format })).toMatch(/moov atom/);
    expect(invalidMessage({ streams: [], format: { format_name: 'matroska,webm' } })).toBe('file has no video stream');
    expect(invalidMessage({})).toBe('file has no video stream');
    const cover = { ...h264Stream, disposition: { attached_pic: 1 } };
    expect(invalidMessage({ streams: [cover, aacStream], format: mp4Format })).toBe('file has no video stream (only a cover image)');
  });

  it('refuses zero-size video and unknown codecs', () => {
    expect(invalidMessage({ streams: [{ ...h264Stream, width: 0 }], format: mp4Format })).toBe('video has zero size');
    expect(invalidMessage({ streams: [{ ...h264Stream, height: undefined }], format: mp4Format })).toBe('video has zero size');
    expect(invalidMessage({ streams: [{ ...h264Stream, codec_name: undefined }], format: mp4Format })).toMatch(/codec is unknown/);
  });

  it('refuses text read as ANSI art and still images', () => {
    const ansi = { codec_type: 'video', codec_name: 'ansi', width: 640, height: 400 };
    expect(invalidMessage({ streams: [ansi], format: { format_name: 'tty' } })).toBe('file is not a video (it was read as a text file)');
    const png = { codec_type: 'video', codec_name: 'png', width: 64, height: 64 };
    expect(invalidMessage({ streams: [png], format: { format_name: 'png_pipe' } })).toBe('file is a still image, not a video');
    expect(invalidMessage({ streams: [png], format: { format_name: 'image2' } })).toBe('file is a still image, not a video');
  });

  it('refuses output of an unexpected shape', () => {
    expect(invalidMessage('nope')).toMatch(/unexpected shape/);
    expect(invalidMessage({ streams: 'x' })).toMatch(/unexpected shape/);
  });
});

describe('parseRate', () => {
  it.each([
    ['30000/1001', 30000 / 1001],
    ['25/1', 25],
    ['24', 24],
    ['0/0', null],
    ['1/0', null],
    ['', null],
    [undefined, null],
    ['abc', null],
  ])('%s → %s', (input, expected) => {
    expect(parseRate(input)).toBe(expected);
  });
});

describe('buildProbeArgs', () => {
  it('asks for JSON streams and format, and reads the path through the file protocol', () => {
    expect(buildProbeArgs('/data/in:put.mp4')).toEqual([
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_streams',
      '-show_format',
      'file:/data/in:put.mp4',
    ]);
  });
});
