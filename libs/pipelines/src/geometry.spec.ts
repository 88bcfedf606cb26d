import { type Point, convexHull, expandRect, insideConvex, minAreaRect, orderClockwise, polygonArea, rectCorners } from './geometry';

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Brute force: the optimum has a side on a hull edge, so try every edge against every point. */
function bruteMinArea(points: readonly Point[]): number {
  const hull = convexHull(points);
  let best = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = (p[0] - a[0]) * ux + (p[1] - a[1]) * uy;
      const v = -(p[0] - a[0]) * uy + (p[1] - a[1]) * ux;
      minU = Math.min(minU, u);
      maxU = Math.max(maxU, u);
      minV = Math.min(minV, v);
      maxV = Math.max(maxV, v);
    }
    best = Math.min(best, (maxU - minU) * (maxV - minV));
  }
  return best;
}

describe('convexHull', () => {
  it('drops interior and collinear points', () => {
    const hull = convexHull([
      [0, 0],
      [2, 0],
      [4, 0],
      [4, 3],
      [0, 3],
      [2, 1],
      [1, 2],
    ]);
    expect(hull).toHaveLength(4);
    expect(polygonArea(hull)).toBe(12);
  });

  it('degenerates to the end points for collinear input', () => {
    expect(
      convexHull([
        [0, 0],
        [1, 1],
        [2, 2],
      ]),
    ).toEqual([
      [0, 0],
      [2, 2],
    ]);
  });
});

describe('minAreaRect', () => {
  it('finds the axis-aligned rectangle of a grid of pixel centres', () => {
    const pts: Point[] = [];
    for (let y = 4; y <= 9; y++) for (let x = 3; x <= 14; x++) pts.push([x, y]);
    const rect = minAreaRect(pts)!;
    expect(rect.width * rect.height).toBeCloseTo(55, 9);
    expect([rect.width, rect.height].sort((a, b) => a - b)).toEqual([5, 11]);
    expect(rect.center[0]).toBeCloseTo(8.5, 9);
    expect(rect.center[1]).toBeCloseTo(6.5, 9);
  });

  it('recovers a rotated rectangle', () => {
    const angle = (25 * Math.PI) / 180;
    const corners = rectCorners({ center: [50, 40], width: 30, height: 8, angle });
    const rect = minAreaRect(corners)!;
    expect(rect.width * rect.height).toBeCloseTo(240, 6);
    const long = rect.width >= rect.height ? rect.angle : rect.angle + Math.PI / 2;
    const diff = Math.abs(Math.sin(long - angle));
    expect(diff).toBeLessThan(1e-6);
  });

  it('matches a brute-force search on random point sets', () => {
    const rand = rng(42);
    for (let t = 0; t < 200; t++) {
      const n = 3 + Math.floor(rand() * 40);
      const pts: Point[] = [];
      for (let i = 0; i < n; i++) pts.push([Math.round(rand() * 100), Math.round(rand() * 60)]);
      const hull = convexHull(pts);
      if (hull.length < 3) continue;
      const rect = minAreaRect(pts)!;
      expect(rect.width * rect.height).toBeCloseTo(bruteMinArea(pts), 6);
      // The rectangle encloses every point.
      const quad = rectCorners(rect);
      for (const p of pts) expect(insideConvex(quad, p[0], p[1], 1e-6)).toBe(true);
    }
  });

  it('handles one and two points', () => {
    expect(minAreaRect([[3, 4]])).toEqual({ center: [3, 4], width: 0, height: 0, angle: 0 });
    const seg = minAreaRect([
      [0, 0],
      [3, 4],
    ])!;
    expect(seg.width).toBeCloseTo(5, 9);
    expect(seg.height).toBe(0);
    expect(minAreaRect([])).toBeNull();
  });
});

describe('expandRect', () => {
  it('equals the min-area rectangle of the round-joined offset polygon', () => {
    const rect = { center: [20, 30] as Point, width: 24, height: 6, angle: 0.3 };
    const d = 4.5;
    // Sample the offset: every corner swept by a circle of radius d.
    const sampled: Point[] = [];
    for (const c of rectCorners(rect)) {
      for (let k = 0; k < 720; k++) {
        const a = (k / 720) * 2 * Math.PI;
        sampled.push([c[0] + d * Math.cos(a), c[1] + d * Math.sin(a)]);
      }
    }
    const viaOffset = minAreaRect(sampled)!;
    const grown = expandRect(rect, d);
    expect(viaOffset.width * viaOffset.height).toBeCloseTo(grown.width * grown.height, 1);
    expect(viaOffset.center[0]).toBeCloseTo(20, 6);
    expect(viaOffset.center[1]).toBeCloseTo(30, 6);
  });
});

describe('orderClockwise', () => {
  it('orders an axis-aligned box from top-left, clockwise on screen', () => {
    expect(
      orderClockwise([
        [10, 20],
        [0, 0],
        [0, 20],
        [10, 0],
      ]),
    ).toEqual([
      [0, 0],
      [10, 0],
      [10, 20],
      [0, 20],
    ]);
  });

  it('orders a rotated box with the top-left corner first', () => {
    const quad = rectCorners({ center: [50, 50], width: 40, height: 10, angle: (20 * Math.PI) / 180 });
    const ordered = orderClockwise([quad[2], quad[0], quad[3], quad[1]]);
    expect(ordered).toEqual(quad);
  });
});
