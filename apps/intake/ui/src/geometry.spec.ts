import { normalisedBox, overlaysOf } from './geometry';

const video = { width: 640, height: 360 };

describe('overlaysOf', () => {
  it('takes the _norm boxes of text lines (ocr) and regions (text_regions), labelled', () => {
    const result = {
      read: {
        lines: [
          {
            text: 'HELLO',
            confidence: 0.9,
            bbox: { x: 64, y: 36, width: 320, height: 36 },
            bbox_norm: { x: 0.1, y: 0.1, width: 0.5, height: 0.1 },
          },
        ],
      },
      detect: {
        regions: [{ score: 0.75, bbox: { x: 0, y: 0, width: 64, height: 36 }, bbox_norm: { x: 0, y: 0, width: 0.1, height: 0.1 } }],
      },
    };
    expect(overlaysOf(result, { analysed: video, source: video }, video)).toEqual([
      { output: 'read', kind: 'text', rect: { x: 0.1, y: 0.1, width: 0.5, height: 0.1 }, label: 'HELLO', score: 0.9 },
      { output: 'detect', kind: 'region', rect: { x: 0, y: 0, width: 0.1, height: 0.1 }, label: '0.75', score: 0.75 },
    ]);
  });

  it('normalises pixel boxes by the source size of the geometry, else by the video size (results stored before _norm)', () => {
    const region = { score: 0.5, bbox: { x: 384, y: 216, width: 192, height: 108 } };
    expect(
      overlaysOf(
        { detect: { regions: [region] } },
        { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } },
        video,
      )[0].rect,
    ).toEqual({
      x: 0.1,
      y: 0.1,
      width: 0.05,
      height: 0.05,
    });
    expect(normalisedBox(region, video)).toEqual({ x: 0.6, y: 0.6, width: 0.3, height: 0.3 });
    expect(normalisedBox(region, null)).toBeNull();
  });

  it('skips what has no box: plugin outputs, frame stats, malformed items', () => {
    expect(overlaysOf({ stats: { mean: 3 }, detect: { regions: [{ score: 1 }, null, 'x'] }, other: [1, 2] }, null, video)).toEqual([]);
    expect(overlaysOf(null, null, video)).toEqual([]);
  });
});
