/**
 * DB (Differentiable Binarization) post-processing, as PaddleOCR's
 * DBPostProcess does it, written as pure functions over a probability map:
 * binarise → connected components → min-area rectangle per component →
 * mean-probability score → unclip → min-area rectangle → frame coordinates.
 */
import { type Point, type RotatedRect, expandRect, insideConvex, minAreaRect, orderClockwise, rectCorners } from './geometry';

/** A single-channel probability map (the 1x1xHxW detector output, batch and channel dropped). */
export interface ProbabilityMap {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
}

export interface DbPostprocessOptions {
  /** Pixels with probability above this are text. */
  readonly thresh: number;
  /** Boxes whose mean probability is below this are dropped. */
  readonly boxThresh: number;
  /** Grow each box by area * unclipRatio / perimeter. */
  readonly unclipRatio: number;
  /** At most this many components are considered (in raster order). */
  readonly maxCandidates: number;
  /** Boxes whose short side is below this (map pixels) are dropped; after unclip, below minSize + 2. */
  readonly minSize: number;
}

export const DB_DEFAULTS: DbPostprocessOptions = Object.freeze({
  thresh: 0.3,
  boxThresh: 0.6,
  unclipRatio: 1.5,
  maxCandidates: 1000,
  minSize: 3,
});

export interface BBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TextRegion {
  /** Four corners, clockwise from top-left, in frame pixels. */
  polygon: [number, number][];
  /** Mean probability inside the detected (pre-unclip) box. */
  score: number;
  /** Axis-aligned bounds of `polygon`. */
  bbox: BBox;
}

export interface TextRegions {
  regions: TextRegion[];
}

export interface Component {
  /** Number of pixels. */
  readonly area: number;
  /** Left-most and right-most pixel centre of every row: enough for the convex hull. */
  readonly outline: Point[];
}

/** Text mask: 1 where probability > thresh. */
export function binarize(map: ProbabilityMap, thresh: number): Uint8Array {
  const n = map.width * map.height;
  if (map.data.length < n) throw new Error(`probability map has ${map.data.length} values, expected ${n}`);
  const mask = new Uint8Array(n);
  const d = map.data;
  for (let i = 0; i < n; i++) mask[i] = d[i] > thresh ? 1 : 0;
  return mask;
}

/**
 * 8-connected components of a 0/1 mask, in raster order of their first pixel,
 * at most `limit` of them. The mask is not modified.
 */
export function connectedComponents(mask: Uint8Array, width: number, height: number, limit = Infinity): Component[] {
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const rowMin = new Int32Array(height).fill(-1);
  const rowMax = new Int32Array(height);
  const rows: number[] = [];
  const out: Component[] = [];

  for (let start = 0; start < mask.length && out.length < limit; start++) {
    if (mask[start] === 0 || seen[start] === 1) continue;
    let sp = 0;
    stack[sp++] = start;
    seen[start] = 1;
    let area = 0;
    while (sp > 0) {
      const idx = stack[--sp];
      const y = (idx / width) | 0;
      const x = idx - y * width;
      area++;
      if (rowMin[y] === -1) {
        rowMin[y] = x;
        rowMax[y] = x;
        rows.push(y);
      } else {
        if (x < rowMin[y]) rowMin[y] = x;
        if (x > rowMax[y]) rowMax[y] = x;
      }
      const y0 = y > 0 ? y - 1 : y;
      const y1 = y < height - 1 ? y + 1 : y;
      const x0 = x > 0 ? x - 1 : x;
      const x1 = x < width - 1 ? x + 1 : x;
      for (let ny = y0; ny <= y1; ny++) {
        const base = ny * width;
        for (let nx = x0; nx <= x1; nx++) {
          const j = base + nx;
          if (mask[j] !== 0 && seen[j] === 0) {
            seen[j] = 1;
            stack[sp++] = j;
          }
        }
      }
    }
    const outline: Point[] = [];
    for (const y of rows) {
      outline.push([rowMin[y], y]);
      if (rowMax[y] !== rowMin[y]) outline.push([rowMax[y], y]);
      rowMin[y] = -1;
    }
    rows.length = 0;
    out.push({ area, outline });
  }
  return out;
}

/**
 * Mean probability over the pixels inside `quad` (PaddleOCR's "fast" box
 * score), restricted to the map. Like OpenCV's fillPoly with int32 vertices,
 * the corners are truncated to whole pixels and edge pixels count as inside.
 */
export function boxScore(map: ProbabilityMap, quad: readonly Point[]): number {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const clampX = (v: number) => Math.min(Math.max(v, 0), map.width - 1);
  const clampY = (v: number) => Math.min(Math.max(v, 0), map.height - 1);
  const xmin = clampX(Math.floor(Math.min(...xs)));
  const xmax = clampX(Math.ceil(Math.max(...xs)));
  const ymin = clampY(Math.floor(Math.min(...ys)));
  const ymax = clampY(Math.ceil(Math.max(...ys)));
  const poly = quad.map((p): Point => [xmin + Math.trunc(p[0] - xmin), ymin + Math.trunc(p[1] - ymin)]);
  let sum = 0;
  let count = 0;
  for (let y = ymin; y <= ymax; y++) {
    const base = y * map.width;
    for (let x = xmin; x <= xmax; x++) {
      if (insideConvex(poly, x, y)) {
        sum += map.data[base + x];
        count++;
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}

/** How far DB grows a box: area * ratio / perimeter (the shrink the model was trained with, undone). */
export function unclipDistance(rect: RotatedRect, unclipRatio: number): number {
  const perimeter = 2 * (rect.width + rect.height);
  return perimeter === 0 ? 0 : (rect.width * rect.height * unclipRatio) / perimeter;
}

function bboxOf(polygon: readonly Point[]): BBox {
  const xs = polygon.map((p) => p[0]);
  const ys = polygon.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/**
 * Reading order: group regions into lines (vertical overlap of at least half
 * the smaller height with the line's first region), lines top to bottom,
 * regions left to right within a line.
 */
export function sortReadingOrder<T extends { bbox: BBox }>(regions: readonly T[]): T[] {
  const byTop = [...regions].sort((a, b) => a.bbox.y - b.bbox.y || a.bbox.x - b.bbox.x);
  const lines: T[][] = [];
  for (const r of byTop) {
    const line = lines[lines.length - 1];
    const head = line?.[0];
    if (line && head) {
      const overlap = Math.min(head.bbox.y + head.bbox.height, r.bbox.y + r.bbox.height) - Math.max(head.bbox.y, r.bbox.y);
      if (overlap >= 0.5 * Math.min(head.bbox.height, r.bbox.height)) {
        line.push(r);
        continue;
      }
    }
    lines.push([r]);
  }
  return lines.flatMap((line) => line.sort((a, b) => a.bbox.x - b.bbox.x || a.bbox.y - b.bbox.y));
}

/**
 * The whole DB post-processing. `dest` is the original frame size; the map may
 * have been computed on a resized image and each axis is scaled on its own.
 */
export function dbPostprocess(
  map: ProbabilityMap,
  dest: { width: number; height: number },
  options: Partial<DbPostprocessOptions> = {},
): TextRegions {
  const opts = { ...DB_DEFAULTS, ...options };
  const mask = binarize(map, opts.thresh);
  const components = connectedComponents(mask, map.width, map.height, opts.maxCandidates);
  const sx = dest.width / map.width;
  const sy = dest.height / map.height;
  const regions: TextRegion[] = [];

  for (const component of components) {
    const rect = minAreaRect(component.outline);
    if (!rect || Math.min(rect.width, rect.height) < opts.minSize) continue;
    const score = boxScore(map, rectCorners(rect));
    if (score < opts.boxThresh) continue;
    const grown = expandRect(rect, unclipDistance(rect, opts.unclipRatio));
    if (Math.min(grown.width, grown.height) < opts.minSize + 2) continue;

    const mapped = rectCorners(grown).map((p): Point => [
      Math.min(Math.max(Math.round(p[0] * sx), 0), dest.width - 1),
      Math.min(Math.max(Math.round(p[1] * sy), 0), dest.height - 1),
    ]);
    const polygon = orderClockwise(mapped);
    // Boxes that clamping squeezed to a sliver carry nothing a recogniser could read.
    const side = (a: Point, b: Point) => Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (side(polygon[0], polygon[1]) <= 3 || side(polygon[0], polygon[3]) <= 3) continue;

    regions.push({
      polygon: polygon.map((p) => [p[0], p[1]]),
      score: Math.round(score * 1e4) / 1e4,
      bbox: bboxOf(polygon),
    });
  }
  return { regions: sortReadingOrder(regions) };
}
