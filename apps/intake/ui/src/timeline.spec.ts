import { MIN_SPAN_PERCENT, spanPercent, timelineLength } from './timeline';

describe('text-track timeline', () => {
  it('places a cue by its start and length on the video duration', () => {
    expect(spanPercent({ start_ms: 1000, end_ms: 2000 }, 4000)).toEqual({ left: 25, width: 25 });
    expect(spanPercent({ start_ms: 0, end_ms: 4000 }, 4000)).toEqual({ left: 0, width: 100 });
  });

  it('keeps a one-sample cue visible, and inside the timeline', () => {
    expect(spanPercent({ start_ms: 2000, end_ms: 2000 }, 4000)).toEqual({ left: 50, width: MIN_SPAN_PERCENT });
    expect(spanPercent({ start_ms: 4000, end_ms: 4000 }, 4000)).toEqual({ left: 100, width: 0 });
  });

  it('is as long as the video, or as the last cue when that ends later (the sample after the last frame)', () => {
    expect(timelineLength(4000, [{ start_ms: 0, end_ms: 1000 }])).toBe(4000);
    expect(timelineLength(4000, [{ start_ms: 3900, end_ms: 4100 }])).toBe(4100);
    expect(timelineLength(null, [])).toBe(1);
  });
});
