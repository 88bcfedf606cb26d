/**
 * Plane geometry for text-region post-processing: convex hull, minimum-area
 * rotated rectangle (rotating calipers), rectangle offsetting and corner
 * ordering. Pure functions on plain numbers; image coordinates (x right, y down).
 */

export type Point = readonly [number, number];
export type Quad = [Point, Point, Point, Point];

export interface RotatedRect {
  readonly center: Point;
  /** Side length along `angle`. */
  readonly width: number;
  /** Side length perpendicular to `angle`. */
  readonly height: number;
  /** Direction of the `width` side, radians. */
  readonly angle: number;
}

const EPS = 1e-9;

function cross(o: Point, a: Point, b: Point): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/**
 * Convex hull (Andrew's monotone chain) without collinear points, in the order
 * where `cross` of consecutive edges is positive (clockwise on screen).
 */
export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const unique: Point[] = [];
  for (const p of pts) {
    const last = unique[unique.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) unique.push(p);
  }
  if (unique.length < 3) return unique;
  const lower: Point[] = [];
  for (const p of unique) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = unique.length - 1; i >= 0; i--) {
    const p = unique[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  const hull = lower.concat(upper);
  // Every point collinear: the chain degenerates to the two end points.
  return hull.length >= 3 ? hull : [unique[0], unique[unique.length - 1]];
}

/** Absolute area of a simple polygon (shoelace). */
export function polygonArea(poly: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i];
    const b = poly[(i + 1) % poly.length];
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

export function polygonPerimeter(poly: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i];
    const b = poly[(i + 1) % poly.length];
    s += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  return s;
}

/**
 * Minimum-area enclosing rectangle of a convex hull (as returned by
 * `convexHull`) by rotating calipers: one side of the optimum lies on a hull
 * edge, and the extreme points for consecutive edge directions only move
 * forward, so the whole sweep is linear in the hull size.
 */
export function minAreaRectOfHull(hull: readonly Point[]): RotatedRect | null {
  const n = hull.length;
  if (n === 0) return null;
  if (n === 1) return { center: hull[0], width: 0, height: 0, angle: 0 };
  if (n === 2) {
    const [a, b] = [hull[0], hull[1]];
    return {
      center: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2],
      width: Math.hypot(b[0] - a[0], b[1] - a[1]),
      height: 0,
      angle: Math.atan2(b[1] - a[1], b[0] - a[0]),
    };
  }

  const dot = (p: Point, o: Point, ux: number, uy: number) => (p[0] - o[0]) * ux + (p[1] - o[1]) * uy;
  // Indices of the extreme points along u (far end), along the normal, and along -u.
  let far = 1;
  let top = 1;
  let near = 0;
  let best: { area: number; rect: RotatedRect } | null = null;

  for (let i = 0; i < n; i++) {
    const o = hull[i];
    const next = hull[(i + 1) % n];
    const len = Math.hypot(next[0] - o[0], next[1] - o[1]);
    if (len < EPS) continue;
    const ux = (next[0] - o[0]) / len;
    const uy = (next[1] - o[1]) / len;
    // Inward normal: the hull turns with positive cross, i.e. towards (-uy, ux).
    const vx = -uy;
    const vy = ux;

    if (i === 0) {
      for (let k = 0; k < n; k++) {
        if (dot(hull[k], o, ux, uy) > dot(hull[far], o, ux, uy)) far = k;
        if (dot(hull[k], o, vx, vy) > dot(hull[top], o, vx, vy)) top = k;
        if (dot(hull[k], o, ux, uy) < dot(hull[near], o, ux, uy)) near = k;
      }
    } else {
      for (let s = 0; s < n && dot(hull[(far + 1) % n], o, ux, uy) > dot(hull[far], o, ux, uy) + EPS; s++) far = (far + 1) % n;
      for (let s = 0; s < n && dot(hull[(top + 1) % n], o, vx, vy) > dot(hull[top], o, vx, vy) + EPS; s++) top = (top + 1) % n;
      for (let s = 0; s < n && dot(hull[(near + 1) % n], o, ux, uy) < dot(hull[near], o, ux, uy) - EPS; s++) near = (near + 1) % n;
    }

    const maxU = dot(hull[far], o, ux, uy);
    const minU = dot(hull[near], o, ux, uy);
    const maxV = dot(hull[top], o, vx, vy);
    const width = maxU - minU;
    const height = maxV;
    const area = width * height;
    if (!best || area < best.area - EPS) {
      const cu = (maxU + minU) / 2;
      const cv = maxV / 2;
      best = {
        area,
        rect: {
          center: [o[0] + ux * cu + vx * cv, o[1] + uy * cu + vy * cv],
          width,
          height,
          angle: Math.atan2(uy, ux),
        },
      };
    }
  }
  return best ? best.rect : null;
}

/** Minimum-area enclosing rectangle of any point set. */
export function minAreaRect(points: readonly Point[]): RotatedRect | null {
  return minAreaRectOfHull(convexHull(points));
}

export function rectCorners(rect: RotatedRect): Quad {
  const ux = Math.cos(rect.angle);
  const uy = Math.sin(rect.angle);
  const hw = rect.width / 2;
  const hh = rect.height / 2;
  const [cx, cy] = rect.center;
  return [
    [cx - ux * hw + uy * hh, cy - uy * hw - ux * hh],
    [cx + ux * hw + uy * hh, cy + uy * hw - ux * hh],
    [cx + ux * hw - uy * hh, cy + uy * hw + ux * hh],
    [cx - ux * hw - uy * hh, cy - uy * hw + ux * hh],
  ];
}

/**
 * Offset a rectangle outwards by `distance`. The round-joined offset of a
 * rectangle is the rectangle grown by `distance` on every side plus rounded
 * corners, and its minimum-area rectangle is exactly the grown rectangle, so
 * "offset, then min-area rect" has this closed form.
 */
export function expandRect(rect: RotatedRect, distance: number): RotatedRect {
  return { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
}

/**
 * Order four corners clockwise on screen (x right, y down), starting from the
 * top-left one (the corner with the smallest x + y; ties go to the smaller y).
 */
export function orderClockwise(quad: readonly Point[]): Quad {
  if (quad.length !== 4) throw new Error(`expected 4 points, got ${quad.length}`);
  const cx = (quad[0][0] + quad[1][0] + quad[2][0] + quad[3][0]) / 4;
  const cy = (quad[0][1] + quad[1][1] + quad[2][1] + quad[3][1]) / 4;
  const sorted = [...quad].sort((a, b) => Math.atan2(a[1] - cy, a[0] - cx) - Math.atan2(b[1] - cy, b[0] - cx));
  let start = 0;
  for (let i = 1; i < 4; i++) {
    const p = sorted[i];
    const s = sorted[start];
    const d = p[0] + p[1] - (s[0] + s[1]);
    if (d < -EPS || (Math.abs(d) <= EPS && p[1] < s[1])) start = i;
  }
  return [sorted[start], sorted[(start + 1) % 4], sorted[(start + 2) % 4], sorted[(start + 3) % 4]];
}

/** Whether `p` lies inside or on a convex polygon given in either winding. */
export function insideConvex(poly: readonly Point[], x: number, y: number, eps = 1e-6): boolean {
  let sign = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i];
    const b = poly[(i + 1) % poly.length];
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (Math.abs(c) <= eps) continue;
    const s = c > 0 ? 1 : -1;
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}
