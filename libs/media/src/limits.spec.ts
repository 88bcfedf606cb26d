import { DomainError, type VideoMetadata } from '@framewire/contracts';
import {
  checkDuration,
  checkRange,
  estimateSampledFrames,
  rangeDurationMs,
  checkFrameSize,
  checkSampledFrames,
  checkVideoLimits,
  estimateFrameCount,
  framePixels,
  tooManyFramesWhileDecoding,
} from './limits';
import { FRAME_PIXELS_8K } from './limits-config';

function thrown(fn: () => void): DomainError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error('expected a DomainError');
}

const video = (over: Partial<VideoMetadata> = {}): VideoMetadata => ({
  duration_ms: 10_000,
  fps: 30,
  width: 1920,
  height: 1080,
  codec: 'h264',
  frame_count: 300,
  ...over,
});
const limits = { maxFramePixels: FRAME_PIXELS_8K, maxDurationMs: 6 * 3600_000, maxFramesPerJob: 1000 };

describe('framePixels', () => {
  it('counts every pixel of odd sizes', () => {
    expect(framePixels(321, 241)).toBe(77_361);
  });

  it('is the same whichever way a rotated frame is shown', () => {
    expect(framePixels(1080, 1920)).toBe(framePixels(1920, 1080));
  });

  it.each([
    [0, 1080],
    [1920, 0],
    [-1, 5],
    [Number.NaN, 10],
    [10.5, 10],
  ])('refuses an unknown or invalid size %sx%s: no size is not a pass', (w, h) => {
    expect(thrown(() => framePixels(w, h)).code).toBe('INVALID_VIDEO');
  });
});

describe('checkFrameSize', () => {
  it('passes 8K exactly and refuses one row more', () => {
    expect(() => checkFrameSize(7680, 4320, FRAME_PIXELS_8K)).not.toThrow();
    const err = thrown(() => checkFrameSize(7680, 4321, FRAME_PIXELS_8K));
    expect(err.code).toBe('VIDEO_TOO_LARGE');
    expect(err.retryable).toBe(false);
  });

  it('refuses the tall frame-size bomb and names the size and the cap', () => {
    const err = thrown(() => checkFrameSize(1920, 30_000, FRAME_PIXELS_8K));
    expect(err.message).toMatch(/1920x30000 is 57600000 pixels, over this server's limit of 33177600 \(FW_MAX_FRAME_PIXELS\)/);
    expect(err.details).toEqual({ width: 1920, height: 30000, pixels: 57_600_000, limit: FRAME_PIXELS_8K });
  });

  it('refuses a rotated frame as it refuses the unrotated one', () => {
    expect(thrown(() => checkFrameSize(30_000, 1920, FRAME_PIXELS_8K)).code).toBe('VIDEO_TOO_LARGE');
  });
});

describe('checkDuration', () => {
  it('passes the cap itself and an unknown duration', () => {
    expect(() => checkDuration(60_000, 60_000)).not.toThrow();
    expect(() => checkDuration(null, 60_000)).not.toThrow();
  });

  it('refuses a longer video with VIDEO_TOO_LONG, naming both durations', () => {
    const err = thrown(() => checkDuration(7 * 3600_000 + 1500, 6 * 3600_000));
    expect(err.code).toBe('VIDEO_TOO_LONG');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/07:00:01 \(25201500 ms\), over this server's limit of 06:00:00 \(21600000 ms\)/);
  });
});

describe('estimateFrameCount', () => {
  it('takes the container count first, else duration × fps rounded down, else nothing', () => {
    expect(estimateFrameCount({ frame_count: 120, duration_ms: 99_000, fps: 30 })).toBe(120);
    expect(estimateFrameCount({ frame_count: null, duration_ms: 4_010, fps: 30 })).toBe(120);
    expect(estimateFrameCount({ frame_count: null, duration_ms: null, fps: 30 })).toBeNull();
    expect(estimateFrameCount({ frame_count: null, duration_ms: 4_000, fps: null })).toBeNull();
  });
});

/** A probe that gives a frame count only. */
const counted = (frameCount: number | null) => ({ frame_count: frameCount, duration_ms: null, fps: null });

describe('checkSampledFrames', () => {
  it('passes a job that samples up to the cap', () => {
    expect(() => checkSampledFrames(counted(3000), { frameStride: 3, maxFrames: null }, 1000)).not.toThrow();
  });

  it('refuses a job that would sample more, suggesting the smallest stride that fits and max_frames', () => {
    const err = thrown(() => checkSampledFrames(counted(100_000), { frameStride: 1, maxFrames: null }, 1000));
    expect(err.code).toBe('TOO_MANY_FRAMES');
    expect(err.message).toMatch(/would sample 100000 frames .* limit of 1000 per job .*frame_stride >= 100, or max_frames <= 1000/);
    expect(err.details).toMatchObject({ sampled: 100_000, limit: 1000, suggested_frame_stride: 100 });
  });

  it('suggests a stride that really fits', () => {
    const err = thrown(() => checkSampledFrames(counted(3001), { frameStride: 1, maxFrames: null }, 1000));
    const stride = err.details?.suggested_frame_stride as number;
    expect(Math.ceil(3001 / stride)).toBeLessThanOrEqual(1000);
    expect(Math.ceil(3001 / (stride - 1))).toBeGreaterThan(1000);
  });

  it('leaves a job with max_frames alone (it never samples more than it asked) and an unknown count to the decode', () => {
    expect(() => checkSampledFrames(counted(100_000), { frameStride: 1, maxFrames: 1000 }, 1000)).not.toThrow();
    expect(() => checkSampledFrames(counted(null), { frameStride: 1, maxFrames: null }, 1000)).not.toThrow();
  });
});

describe('checkVideoLimits', () => {
  it('passes an ordinary video', () => {
    expect(() => checkVideoLimits(video(), { frameStride: 1, maxFrames: null }, limits)).not.toThrow();
  });

  it.each([
    ['VIDEO_TOO_LARGE', video({ width: 1920, height: 30_000 }), 1],
    ['VIDEO_TOO_LONG', video({ duration_ms: 7 * 3600_000 }), 100_000],
    ['TOO_MANY_FRAMES', video({ frame_count: 1001 }), 1],
    ['TOO_MANY_FRAMES', video({ frame_count: null, duration_ms: 60_000, fps: 30 }), 1],
  ])('refuses with %s', (code, v, stride) => {
    expect(thrown(() => checkVideoLimits(v, { frameStride: stride, maxFrames: null }, limits)).code).toBe(code);
  });
});

describe('tooManyFramesWhileDecoding', () => {
  it('is a permanent TOO_MANY_FRAMES naming the cap', () => {
    const err = tooManyFramesWhileDecoding(1000, { frameStride: 2, maxFrames: null });
    expect(err).toMatchObject({ code: 'TOO_MANY_FRAMES', retryable: false });
    expect(err.message).toMatch(/more than 1000 frames to sample at frame_stride 2/);
  });
});

describe('sampling by time and range', () => {
  const tenMin = { frame_count: 18_000, duration_ms: 600_000, fps: 30 };
  const byTime = (sampleFps: number, startMs: number | null = null, endMs: number | null = null) => ({
    frameStride: 1,
    maxFrames: null,
    sampleFps,
    startMs,
    endMs,
  });

  it('estimates duration in range × sample_fps, never more than the frames in range', () => {
    expect(estimateSampledFrames(tenMin, byTime(2))).toBe(1200);
    expect(estimateSampledFrames(tenMin, byTime(0.5, 60_000, 120_000))).toBe(30);
    expect(estimateSampledFrames(tenMin, byTime(29.97, 0, 1_000))).toBe(30);
    expect(estimateSampledFrames(tenMin, byTime(120))).toBe(18_000);
    // end_ms past the end: the range is clamped to the video
    expect(estimateSampledFrames(tenMin, byTime(1, 590_000, 9_000_000))).toBe(10);
    // no duration: the range's own end bounds it, else nothing is known
    expect(estimateSampledFrames({ frame_count: null, duration_ms: null, fps: null }, byTime(2, 1_000, 3_000))).toBe(4);
    expect(estimateSampledFrames({ frame_count: null, duration_ms: null, fps: null }, byTime(2))).toBeNull();
  });

  it('estimates a range sampled by stride from the frames in it', () => {
    expect(estimateSampledFrames(tenMin, { frameStride: 10, maxFrames: null, startMs: 0, endMs: 60_000 })).toBe(180);
    expect(estimateSampledFrames(tenMin, { frameStride: 10, maxFrames: null })).toBe(1800);
  });

  it('refuses TOO_MANY_FRAMES on the real sampled count, suggesting a sample_fps that fits', () => {
    expect(() => checkSampledFrames(tenMin, byTime(1.5), 1000)).not.toThrow();
    const err = thrown(() => checkSampledFrames(tenMin, byTime(2), 1000));
    expect(err.code).toBe('TOO_MANY_FRAMES');
    expect(err.message).toMatch(/would sample 1200 frames .* at sample_fps 2\), over .*limit of 1000 .*sample_fps <= 1.666/);
    const fps = err.details?.suggested_sample_fps as number;
    expect(estimateSampledFrames(tenMin, byTime(fps))).toBeLessThanOrEqual(1000);
    // the same rate over a shorter range fits
    expect(() => checkSampledFrames(tenMin, byTime(2, 0, 300_000), 1000)).not.toThrow();
  });

  it('refuses a start at or past the end of the video, and clamps an end past it', () => {
    expect(() => checkRange(600_000, { startMs: 599_999, endMs: 700_000 })).not.toThrow();
    expect(() => checkRange(null, { startMs: 10_000_000 })).not.toThrow();
    const err = thrown(() => checkRange(600_000, { startMs: 600_000 }));
    expect(err).toMatchObject({ code: 'RANGE_OUTSIDE_VIDEO', retryable: false });
    expect(err.details).toMatchObject({ start_ms: 600_000, duration_ms: 600_000 });
    expect(rangeDurationMs(600_000, { startMs: 590_000, endMs: 9_000_000 })).toBe(10_000);
  });

  it('names sample_fps when the decode finds more frames than the cap', () => {
    expect(tooManyFramesWhileDecoding(1000, byTime(2)).message).toMatch(/more than 1000 frames to sample at sample_fps 2/);
  });
});
