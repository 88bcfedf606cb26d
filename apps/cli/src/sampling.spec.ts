import { InvalidArgumentError } from 'commander';
import { describeSampling, formatVideoTime, parseSampleFps, parseSampleMode, parseVideoTime } from './sampling';

describe('CLI sampling options', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['1.5', 1500],
    ['2.25s', 2250],
    ['1500ms', 1500],
    ['0', 0],
    ['1:30', 90_000],
    ['01:02:03.5', 3_723_500],
    ['0:00.040', 40],
  ])('reads the video time %s as %i ms', (text, ms) => {
    expect(parseVideoTime(text)).toBe(ms);
  });

  it.each(['', '-5', 'abc', '1:75', '1h', '1,5'])('refuses %j as a video time', (text) => {
    expect(() => parseVideoTime(text)).toThrow(InvalidArgumentError);
  });

  it('reads a positive sample rate, refusing zero and words', () => {
    expect(parseSampleFps('2')).toBe(2);
    expect(parseSampleFps('0.5')).toBe(0.5);
    expect(parseSampleFps('29.97')).toBe(29.97);
    for (const bad of ['0', '-1', 'fast', '']) expect(() => parseSampleFps(bad)).toThrow(InvalidArgumentError);
  });

  it('describes how a job samples', () => {
    expect(describeSampling({ frameStride: 5 })).toBe('stride 5');
    expect(describeSampling({ frameStride: 1, sampleFps: 2 })).toBe('2 fps');
    expect(describeSampling({ frameStride: 1, sampleFps: 0.5, startMs: 60_000, endMs: 90_500 })).toBe('0.5 fps, 1:00–1:30.500');
    expect(describeSampling({ frameStride: 3, startMs: 3_600_000 })).toBe('stride 3, 1:00:00–end');
    expect(describeSampling({ frameStride: 1, sample: 'keyframes', startMs: 60_000 })).toBe('keyframes, 1:00–end');
    expect(parseSampleMode('keyframes')).toBe('keyframes');
    expect(() => parseSampleMode('iframes')).toThrow(/must be one of frames, keyframes/);
    expect(formatVideoTime(0)).toBe('0:00');
  });
});
