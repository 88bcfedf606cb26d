import { textLinesOutputSchema, textRegionsOutputSchema } from '@framewire/contracts';
import { frameGeometry, mapResultToSource } from './source-geometry';

const region = (x: number, y: number, w: number, h: number) => ({
  polygon: [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ] as [number, number][],
  score: 0.9,
  bbox: { x, y, width: w, height: h },
});

describe('mapResultToSource', () => {
  it('scales a 4K frame analysed at 1920x1080 back to source pixels, and normalises', () => {
    const out = mapResultToSource(
      { detect: { regions: [region(1200, 800, 300, 40)] } },
      { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } },
    );
    expect(out.detect.regions[0]).toEqual({
      polygon: [
        [2400, 1600],
        [3000, 1600],
        [3000, 1680],
        [2400, 1680],
      ],
      score: 0.9,
      bbox: { x: 2400, y: 1600, width: 600, height: 80 },
      polygon_norm: [
        [0.625, 0.7407],
        [0.7813, 0.7407],
        [0.7813, 0.7778],
        [0.625, 0.7778],
      ],
      bbox_norm: { x: 0.625, y: 0.7407, width: 0.1563, height: 0.037 },
    });
    // What the agreed contract says a text region is.
    expect(textRegionsOutputSchema.safeParse(out.detect).success).toBe(true);
  });

  it('leaves an unscaled frame’s pixels exactly as they were', () => {
    const input = { detect: { regions: [region(13, 7, 101, 33)] } };
    const out = mapResultToSource(input, frameGeometry({ width: 641, height: 359 }));
    expect(out.detect.regions[0]?.polygon).toEqual(input.detect.regions[0]?.polygon);
    expect(out.detect.regions[0]?.bbox).toEqual(input.detect.regions[0]?.bbox);
    expect(out.detect.regions[0]).toMatchObject({ bbox_norm: { x: 0.0203, y: 0.0195, width: 0.1576, height: 0.0919 } });
  });

  it('scales each axis by its own factor when scaling rounded one side (odd sizes)', () => {
    // 1918x1078 decoded at width 640: ffmpeg rounds the height to 360 (not 359.73).
    const out = mapResultToSource(
      { bbox: { x: 640, y: 360, width: 320, height: 180 } },
      { analysed: { width: 640, height: 360 }, source: { width: 1918, height: 1078 } },
    );
    expect(out).toEqual({ bbox: { x: 1918, y: 1078, width: 959, height: 539 }, bbox_norm: { x: 1, y: 1, width: 0.5, height: 0.5 } });
  });

  it('rounds source pixels to 0.1 px and normalised values to 1e-4', () => {
    const out = mapResultToSource(
      {
        polygon: [
          [1, 2],
          [3, 5],
          [7, 11],
        ],
      },
      { analysed: { width: 3, height: 7 }, source: { width: 10, height: 10 } },
    );
    expect(out).toEqual({
      polygon: [
        [3.3, 2.9],
        [10, 7.1],
        [23.3, 15.7],
      ],
      polygon_norm: [
        [0.3333, 0.2857],
        [1, 0.7143],
        [2.3333, 1.5714],
      ],
    });
  });

  it('maps every located object at any depth, and the ocr shape stays valid', () => {
    const line = { text: 'TRUCK ABC 1234', confidence: 0.98, ...region(100, 50, 200, 20), det_score: 0.8 };
    const input = {
      read: { lines: [line] },
      detect: { regions: [region(10, 10, 10, 10)] },
      stats: { mean: 12, nested: [{ box: { bbox: { x: 1, y: 1, width: 2, height: 2 } } }] },
    };
    const out = mapResultToSource(input, { analysed: { width: 100, height: 100 }, source: { width: 200, height: 300 } });
    expect(out.read.lines[0]).toMatchObject({
      text: 'TRUCK ABC 1234',
      bbox: { x: 200, y: 150, width: 400, height: 60 },
      bbox_norm: { x: 1, y: 0.5, width: 2, height: 0.2 },
    });
    expect(out.detect.regions[0]?.bbox).toEqual({ x: 20, y: 30, width: 20, height: 30 });
    expect(out.stats).toEqual({
      mean: 12,
      nested: [{ box: { bbox: { x: 2, y: 3, width: 4, height: 6 }, bbox_norm: { x: 0.01, y: 0.01, width: 0.02, height: 0.02 } } }],
    });
    expect(textLinesOutputSchema.safeParse(out.read).success).toBe(true);
  });

  it('does not modify its input, and mapping the same input twice gives the same output', () => {
    const input = { detect: { regions: [region(5, 5, 10, 10)] } };
    const copy = structuredClone(input);
    const g = { analysed: { width: 10, height: 10 }, source: { width: 20, height: 20 } };
    expect(mapResultToSource(input, g)).toEqual(mapResultToSource(input, g));
    expect(input).toEqual(copy);
  });

  it('recomputes _norm forms a plugin already set, and leaves geometry-like fields of other shapes alone', () => {
    const out = mapResultToSource(
      {
        a: { bbox: { x: 1, y: 1, width: 1, height: 1 }, bbox_norm: 'stale' },
        b: { bbox: [1, 2, 3, 4], polygon: 'none' },
        c: null,
        d: [1, 'x', true],
      },
      { analysed: { width: 10, height: 10 }, source: { width: 20, height: 20 } },
    );
    expect(out).toEqual({
      a: { bbox: { x: 2, y: 2, width: 2, height: 2 }, bbox_norm: { x: 0.1, y: 0.1, width: 0.1, height: 0.1 } },
      b: { bbox: [1, 2, 3, 4], polygon: 'none' },
      c: null,
      d: [1, 'x', true],
    });
  });

  it('refuses a size that is not positive', () => {
    expect(() => mapResultToSource({}, { analysed: { width: 0, height: 10 }, source: { width: 10, height: 10 } })).toThrow(
      /analysed size must be positive/,
    );
  });
});

describe('frameGeometry', () => {
  it('takes the analysed size for the source when the source is unknown (messages queued before it existed)', () => {
    expect(frameGeometry({ width: 640, height: 360 }, { width: undefined, height: undefined })).toEqual({
      analysed: { width: 640, height: 360 },
      source: { width: 640, height: 360 },
    });
    expect(frameGeometry({ width: 1920, height: 1080 }, { width: 3840, height: 2160 }).source).toEqual({ width: 3840, height: 2160 });
  });
});
