import { buildDecodeArgs, buildFilter } from './decode-args';
import { frameIndexAtPts, keyframesInRange, parseKeyframeFramecrc, parseKeyframeProbe } from './keyframes';
import { checkSampledFrames, estimateSampledFrames } from './limits';

describe('keyframe tables', () => {
  // MPEG-TS, 90 kHz, start 1.466667 s (132000 ticks); B-frames: packets in decode order, one discarded by an edit list
  const csv = [
    'packet,132000,126000,K_,side_data,',
    'packet,144000,129000,__',
    'packet,135000,132000,__',
    'packet,138000,135000,__',
    'packet,141000,138000,K_',
    'packet,120000,120000,_D',
    'packet,N/A,147000,__',
    'stream,1/90000',
    'format,1.466667',
  ].join('\n');

  it('ranks every kept packet by pts for its index; keyframes are the K packets, timed as the decode reports them', () => {
    const t = parseKeyframeProbe(csv);
    expect(t.timeBase).toEqual({ num: 1, den: 90000 });
    expect(t.offsetTicks).toBe(132000);
    expect(t.framePts).toEqual([132000, 135000, 138000, 141000, 144000, 147000]);
    expect(t.keyframes).toEqual([
      { index: 0, ptsMs: 0 },
      { index: 3, ptsMs: 100 },
    ]);
    // showinfo prints pts with the start subtracted
    expect(frameIndexAtPts(t, 9000)).toBe(3);
    expect(frameIndexAtPts(t, 9050)).toBe(3); // within a millisecond
    expect(frameIndexAtPts(t, 9500)).toBeNull();
    expect(keyframesInRange(t, { startMs: 50 })).toEqual([{ index: 3, ptsMs: 100 }]);
    expect(keyframesInRange(t, { endMs: 100 })).toEqual([{ index: 0, ptsMs: 0 }]);
  });

  it('reads the same table from the ffmpeg fallback (framecrc flags, start time on stderr)', () => {
    const framecrc = [
      '#tb 0: 1/90000',
      '#media_type 0: video',
      '0,     126000,     132000,     3000,     5003, 0x8c9c572e, S=1,        1, 0x00e000e0',
      '0,     129000,     144000,     3000,      503, 0x0, F=0x0',
      '0,     132000,     135000,     3000,      503, 0x0, F=0x0',
      '0,     135000,     138000,     3000,      503, 0x0, F=0x0',
      '0,     138000,     141000,     3000,     4000, 0x0',
      '0,     120000,     120000,     3000,      503, 0x0, F=0x5',
      '0,     147000,     147000,     3000,      503, 0x0, F=0x0',
    ].join('\n');
    const stderr = ["Input #0, mpegts, from 'x.ts':", '  Duration: 00:00:10.00, start: 1.466667, bitrate: 373 kb/s'];
    const t = parseKeyframeFramecrc(framecrc, stderr);
    expect(t).toEqual(parseKeyframeProbe(csv));
  });

  it('refuses output without a video stream', () => {
    expect(() => parseKeyframeProbe('format,0.000000\n')).toThrow(/no video stream/);
  });
});

describe('the keyframe decode plan', () => {
  const plan = { path: '/v.mp4', stride: 1, maxFrames: null, jpegQuality: 85, keyframes: true };

  it('skips non-keyframes in the decoder (an input option) and selects by time only with a range', () => {
    const args = buildDecodeArgs(plan);
    expect(args.indexOf('-skip_frame')).toBeLessThan(args.indexOf('-i'));
    expect(args[args.indexOf('-skip_frame') + 1]).toBe('nokey');
    expect(buildFilter(plan)).toMatch(/^showinfo,/);
    expect(buildFilter({ ...plan, startMs: 1500, endMs: 9000 })).toMatch(/^select='gte\(t\\,1\.5\)\*lt\(t\\,9\)',showinfo,/);
    expect(buildDecodeArgs({ ...plan, keyframes: false })).not.toContain('-skip_frame');
  });

  it('passes the decoder threads when set', () => {
    const args = buildDecodeArgs({ ...plan, decodeThreads: 1 });
    expect(args[args.indexOf('-threads') + 1]).toBe('1');
    expect(args.indexOf('-threads')).toBeLessThan(args.indexOf('-i'));
    expect(buildDecodeArgs(plan)).not.toContain('-threads');
  });
});

describe('keyframe limits', () => {
  const video = { frame_count: 300_000, duration_ms: 10_000_000, fps: 30 };
  it('count the keyframes listed, else the frames in range bound them', () => {
    const req = { frameStride: 1, maxFrames: null, sample: 'keyframes' as const };
    expect(estimateSampledFrames(video, { ...req, keyframeCount: 1000 })).toBe(1000);
    expect(estimateSampledFrames(video, req)).toBe(300_000);
    expect(() => checkSampledFrames(video, { ...req, keyframeCount: 1000 }, 100_000)).not.toThrow();
    expect(() => checkSampledFrames(video, { ...req, keyframeCount: 200_000 }, 100_000)).toThrow(
      /job would sample 200000 keyframes, over this server's limit of 100000 .*a shorter start_ms\/end_ms range, or max_frames/,
    );
  });
});
