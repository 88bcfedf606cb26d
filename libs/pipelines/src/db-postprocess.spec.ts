import {
  type ProbabilityMap,
  type TextRegion,
  binarize,
  boxScore,
  connectedComponents,
  dbPostprocess,
  sortReadingOrder,
} from './db-postprocess';
import { type Point, insideConvex, rectCorners } from './geometry';

function blankMap(width: number, height: number): ProbabilityMap & { data: Float32Array } {
  return { data: new Float32Array(width * height), width, height };
}

/** Fill the inclusive pixel rectangle [x0..x1] x [y0..y1] with `p`. */
function fillRect(map: ProbabilityMap & { data: Float32Array }, x0: number, y0: number, x1: number, y1: number, p: number) {
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) map.data[y * map.width + x] = p;
}

const edgeAngleDeg = (r: TextRegion) => {
  const [a, b] = [r.polygon[0], r.polygon[1]];
  return (Math.atan2(b[1] - a[1], b[0] - a[0]) * 180) / Math.PI;
};

describe('binarize and connectedComponents', () => {
  it('labels 8-connected blobs in raster order', () => {
    const map = blankMap(8, 6);
    fillRect(map, 0, 0, 1, 1, 0.9);
    map.data[2 * 8 + 2] = 0.9; // touches the first blob diagonally
    fillRect(map, 5, 3, 7, 5, 0.9);
    map.data[5 * 8 + 0] = 0.2; // below thresh
    const mask = binarize(map, 0.3);
    const comps = connectedComponents(mask, 8, 6);
    expect(comps.map((c) => c.area)).toEqual([5, 9]);
    expect(connectedComponents(mask, 8, 6, 1)).toHaveLength(1);
  });

  it('keeps the two extreme pixels of every row as the outline', () => {
    const map = blankMap(10, 4);
    fillRect(map, 2, 1, 7, 2, 1);
    const [c] = connectedComponents(binarize(map, 0.3), 10, 4);
    expect(c.outline).toEqual(
      expect.arrayContaining([
        [2, 1],
        [7, 1],
        [2, 2],
        [7, 2],
      ]),
    );
    expect(c.outline).toHaveLength(4);
  });
});

describe('boxScore', () => {
  it('averages the probability inside the box only', () => {
    const map = blankMap(10, 10);
    fillRect(map, 2, 2, 5, 5, 0.8);
    map.data[9 * 10 + 9] = 1; // outside, must not count
    expect(
      boxScore(map, [
        [2, 2],
        [5, 2],
        [5, 5],
        [2, 5],
      ]),
    ).toBeCloseTo(0.8, 6);
  });
});

describe('dbPostprocess', () => {
  it('finds two rectangles on a 32x32 map, unclipped, top to bottom', () => {
    const map = blankMap(32, 32);
    fillRect(map, 3, 4, 14, 9, 0.9); // 12x6 pixels: centres span 11x5
    fillRect(map, 10, 18, 28, 25, 0.8); // 19x8 pixels: centres span 18x7
    const { regions } = dbPostprocess(map, { width: 32, height: 32 });
    expect(regions).toHaveLength(2);

    // d = 11*5*1.5 / (2*(11+5)) = 2.578
    expect(regions[0].polygon).toEqual([
      [0, 1],
      [17, 1],
      [17, 12],
      [0, 12],
    ]);
    expect(regions[0].score).toBeCloseTo(0.9, 4);
    expect(regions[0].bbox).toEqual({ x: 0, y: 1, width: 17, height: 11 });

    // d = 18*7*1.5 / (2*(18+7)) = 3.78; the right edge (31.78) is clamped to the frame.
    expect(regions[1].polygon).toEqual([
      [6, 14],
      [31, 14],
      [31, 29],
      [6, 29],
    ]);
    expect(regions[1].score).toBeCloseTo(0.8, 4);
  });

  it('scales each axis back to the original frame', () => {
    const map = blankMap(32, 32);
    fillRect(map, 3, 4, 14, 9, 0.9);
    const { regions } = dbPostprocess(map, { width: 64, height: 96 });
    expect(regions).toHaveLength(1);
    // Map coordinates (0.42, 1.42) .. (16.58, 11.58), x scaled by 2, y by 3.
    expect(regions[0].polygon).toEqual([
      [1, 4],
      [33, 4],
      [33, 35],
      [1, 35],
    ]);
  });

  it('follows a rotated rectangle', () => {
    const map = blankMap(64, 64);
    const angle = (30 * Math.PI) / 180;
    const quad = rectCorners({ center: [32, 32], width: 40, height: 10, angle });
    let filled = 0;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++)
        if (insideConvex(quad, x, y, 0)) {
          map.data[y * 64 + x] = 0.95;
          filled++;
        }
    const { regions } = dbPostprocess(map, { width: 64, height: 64 });
    expect(regions).toHaveLength(1);
    const r = regions[0];
    expect(Math.abs(edgeAngleDeg(r) - 30)).toBeLessThan(3);
    // The unclipped box covers every text pixel.
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) if (map.data[y * 64 + x] > 0) expect(insideConvex(r.polygon as Point[], x, y, 1)).toBe(true);
    expect(filled).toBeGreaterThan(300);
    expect(r.score).toBeGreaterThan(0.9);
  });

  it('drops specks and thin lines below the minimum size', () => {
    const map = blankMap(32, 32);
    map.data[2 * 32 + 2] = 1; // single pixel
    fillRect(map, 10, 10, 11, 11, 1); // 2x2
    fillRect(map, 2, 20, 29, 20, 1); // 1px line
    fillRect(map, 2, 25, 29, 27, 1); // 3px line: centres span 2 < 3
    expect(dbPostprocess(map, { width: 32, height: 32 }).regions).toEqual([]);
  });

  it('drops a blob whose mean probability is under box_thresh', () => {
    const weak = blankMap(32, 32);
    fillRect(weak, 4, 4, 20, 12, 0.45); // above thresh (0.3), below box_thresh (0.6)
    expect(dbPostprocess(weak, { width: 32, height: 32 }).regions).toEqual([]);

    const strong = blankMap(32, 32);
    fillRect(strong, 4, 4, 20, 12, 0.65);
    expect(dbPostprocess(strong, { width: 32, height: 32 }).regions).toHaveLength(1);
    expect(dbPostprocess(strong, { width: 32, height: 32 }, { boxThresh: 0.7 }).regions).toEqual([]);
  });

  it('considers at most max_candidates components', () => {
    const map = blankMap(64, 16);
    for (let i = 0; i < 4; i++) fillRect(map, 2 + i * 15, 4, 12 + i * 15, 10, 0.9);
    expect(dbPostprocess(map, { width: 64, height: 16 }).regions).toHaveLength(4);
    expect(dbPostprocess(map, { width: 64, height: 16 }, { maxCandidates: 2 }).regions).toHaveLength(2);
  });

  it('returns nothing for an empty map', () => {
    expect(dbPostprocess(blankMap(32, 32), { width: 640, height: 360 })).toEqual({ regions: [] });
  });

  it('rejects a map shorter than its declared size', () => {
    expect(() => dbPostprocess({ data: new Float32Array(10), width: 32, height: 32 }, { width: 32, height: 32 })).toThrow(/expected 1024/);
  });
});

describe('sortReadingOrder', () => {
  const box = (x: number, y: number, w = 20, h = 10) => ({ bbox: { x, y, width: w, height: h }, id: `${x},${y}` });

  it('reads lines top to bottom and each line left to right', () => {
    const sorted = sortReadingOrder([box(100, 52), box(0, 50), box(50, 48), box(10, 100), box(0, 0)]);
    expect(sorted.map((b) => b.id)).toEqual(['0,0', '0,50', '50,48', '100,52', '10,100']);
  });
});
