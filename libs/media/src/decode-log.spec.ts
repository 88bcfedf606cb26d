import { classifyDecodeLine, frameTimeMs, parseProgressLine, parseShowinfoLine } from './decode-log';

// Verbatim from the bundled ffmpeg (N-47683, 2018).
const FRAME_LINE =
  '[Parsed_showinfo_1 @ 0x25a72700] n:   3 pts:  10752 pts_time:0.7     pos:     3189 fmt:yuv420p sar:1/1 s:322x242 i:P iskey:0 type:P checksum:87F39999 plane_checksum:[1AFF7C25 7C420EBA 7C420EBA] mean:[235 128 128 ] stdev:[0.0 0.0 0.0 ]';
const TIMEBASE_LINE = '[Parsed_showinfo_1 @ 0x25a72700] config in time_base: 1/15360, frame_rate: 30/1';

describe('parseShowinfoLine', () => {
  it('reads the ordinal, pts, pts_time and size of a frame line', () => {
    expect(parseShowinfoLine(FRAME_LINE)).toEqual({ n: 3, pts: 10752, ptsTime: 0.7, width: 322, height: 242 });
  });

  it('reads frames without a timestamp', () => {
    const line =
      '[Parsed_showinfo_1 @ 0x1] n:  12 pts:NOPTS pts_time:NOPTS pos:   -1 fmt:yuv420p sar:0/1 s:640x360 i:P iskey:1 type:I checksum:0';
    expect(parseShowinfoLine(line)).toEqual({ n: 12, pts: null, ptsTime: null, width: 640, height: 360 });
  });

  it('reads negative and large timestamps', () => {
    const line =
      '[Parsed_showinfo_3 @ 0x55aa] n:123456 pts:-1024 pts_time:-0.0666667 pos: 48 fmt:yuvj420p sar:1/1 s:3840x2160 i:P iskey:0 type:B';
    expect(parseShowinfoLine(line)).toEqual({ n: 123456, pts: -1024, ptsTime: -0.0666667, width: 3840, height: 2160 });
  });

  it('ignores other lines, including showinfo config and colour lines', () => {
    expect(parseShowinfoLine(TIMEBASE_LINE)).toBeNull();
    expect(parseShowinfoLine('[Parsed_showinfo_1 @ 0x25a72700] color_range:unknown color_space:unknown')).toBeNull();
    expect(parseShowinfoLine('frame=   10 fps=0.0 q=-0.0 size=N/A')).toBeNull();
    expect(parseShowinfoLine('[h264 @ 0x1] n: 3 pts: 4 pts_time:1 s:1x1')).toBeNull();
  });
});

describe('classifyDecodeLine', () => {
  it('sorts stderr lines into frame, time base, input format and the rest', () => {
    expect(classifyDecodeLine(FRAME_LINE)).toMatchObject({ kind: 'frame', frame: { n: 3 } });
    expect(classifyDecodeLine(TIMEBASE_LINE)).toEqual({ kind: 'timebase', num: 1, den: 15360 });
    expect(classifyDecodeLine("Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/x, from.mp4':")).toEqual({
      kind: 'input',
      format: 'mov,mp4,m4a,3gp,3g2,mj2',
    });
    expect(classifyDecodeLine("Input #0, tty, from 'file:/tmp/a.txt':")).toEqual({ kind: 'input', format: 'tty' });
    expect(classifyDecodeLine('[h264 @ 0x1] error while decoding MB 3 4')).toEqual({
      kind: 'other',
      line: '[h264 @ 0x1] error while decoding MB 3 4',
    });
  });

  it('drops the showinfo chatter that carries nothing', () => {
    expect(classifyDecodeLine('[Parsed_showinfo_1 @ 0x25a72700] config out time_base: 0/0, frame_rate: 0/0')).toBeNull();
    expect(classifyDecodeLine('[Parsed_showinfo_1 @ 0x25a72700] color_range:unknown color_space:unknown')).toBeNull();
  });
});

describe('parseProgressLine', () => {
  it('reads frame=N and nothing else', () => {
    expect(parseProgressLine('frame=81')).toBe(81);
    expect(parseProgressLine('frame=0')).toBe(0);
    expect(parseProgressLine('fps=181.96')).toBeNull();
    expect(parseProgressLine('progress=continue')).toBeNull();
    expect(parseProgressLine('frame=   10 fps=0.0 q=-0.0 size=N/A')).toBeNull();
  });
});

describe('frameTimeMs', () => {
  const frame = { n: 0, pts: 10752, ptsTime: 0.7, width: 1, height: 1 };

  it('uses pts and the time base for full precision', () => {
    expect(frameTimeMs(frame, { num: 1, den: 15360 })).toBe(700);
    expect(frameTimeMs({ ...frame, pts: 1001 }, { num: 1, den: 30000 })).toBe(33.367);
  });

  it('falls back to pts_time without a time base, and to null without either', () => {
    expect(frameTimeMs(frame, null)).toBe(700);
    expect(frameTimeMs({ ...frame, pts: null, ptsTime: null }, { num: 1, den: 1000 })).toBeNull();
  });

  it('clamps a slightly negative leading pts to 0', () => {
    expect(frameTimeMs({ ...frame, pts: -1024 }, { num: 1, den: 15360 })).toBe(0);
  });
});
