import type { FrameGeometry, Size } from '@framewire/contracts';

/**
 * From the pixels of the analysed frame to the pixels of the source video.
 *
 * A pipeline sees the frame the extractor decoded, which is the source video
 * as displayed (rotation metadata applied by the decoder) scaled down to at
 * most FW_MAX_FRAME_WIDTH. Its boxes are in that frame's pixels; users want
 * them in the video's. The two differ by a scale per axis (the extractor
 * keeps the aspect, but rounds the scaled height), so a point maps as
 * x · source.width / analysed.width, y · source.height / analysed.height,
 * with coordinates on the continuous image plane (0 is the left edge of the
 * first pixel, width the right edge of the last).
 *
 * Rounding: source pixels to 0.1 px (an unscaled frame's integers stay
 * exactly as they were), normalised values (÷ source size, 0–1) to 1e-4.
 */

/** Source-pixel coordinates are rounded to this many decimals (0.1 px). */
export const SOURCE_PIXEL_DECIMALS = 1;
/** Normalised coordinates are rounded to this many decimals (1e-4). */
export const NORM_DECIMALS = 4;

/** Nesting deeper than this is left as it is (no pipeline output is anywhere near it). */
const MAX_DEPTH = 64;

/**
 * Pure: a pipeline's output with every geometry in it mapped to source
 * pixels. It walks the JSON; in every object that has a `polygon` (an array
 * of [x, y] points) and/or a `bbox` ({x, y, width, height}), those are
 * mapped and `polygon_norm` / `bbox_norm` (the same divided by the source
 * width and height) are set beside them. Anything else is copied as it is;
 * the input is not modified. A `polygon` or `bbox` of another shape is
 * left alone (and gets no `_norm` form).
 */
export function mapResultToSource<T>(result: T, geometry: FrameGeometry): T {
  return mapValue(result, scales(geometry), 0) as T;
}

/** The geometry of a frame from its analysed size and the source size (the analysed size when the source is unknown). */
export function frameGeometry(analysed: Size, source?: Partial<Size>): FrameGeometry {
  return {
    analysed: { width: analysed.width, height: analysed.height },
    source: { width: source?.width ?? analysed.width, height: source?.height ?? analysed.height },
  };
}

interface Scales {
  /** Analysed → source pixels. */
  sx: number;
  sy: number;
  /** Analysed pixels → 0–1 of the frame. */
  nx: number;
  ny: number;
}

function scales({ analysed, source }: FrameGeometry): Scales {
  for (const [name, size] of [
    ['analysed', analysed],
    ['source', source],
  ] as const) {
    if (!(size.width > 0 && size.height > 0)) throw new RangeError(`${name} size must be positive, got ${size.width}x${size.height}`);
  }
  return {
    sx: source.width / analysed.width,
    sy: source.height / analysed.height,
    nx: 1 / analysed.width,
    ny: 1 / analysed.height,
  };
}

function mapValue(value: unknown, s: Scales, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => mapValue(v, s, depth + 1));
  const input = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const polygon = isPolygon(input['polygon']) ? input['polygon'] : null;
  const bbox = isBBox(input['bbox']) ? input['bbox'] : null;
  for (const [key, v] of Object.entries(input)) {
    if (key === 'polygon' && polygon)
      out[key] = polygon.map(([x, y]) => [round(x * s.sx, SOURCE_PIXEL_DECIMALS), round(y * s.sy, SOURCE_PIXEL_DECIMALS)]);
    else if (key === 'bbox' && bbox) out[key] = scaleBox(bbox, s.sx, s.sy, SOURCE_PIXEL_DECIMALS);
    else if ((key === 'polygon_norm' && polygon) || (key === 'bbox_norm' && bbox))
      continue; // recomputed below
    else out[key] = mapValue(v, s, depth + 1);
  }
  if (polygon) out['polygon_norm'] = polygon.map(([x, y]) => [round(x * s.nx, NORM_DECIMALS), round(y * s.ny, NORM_DECIMALS)]);
  if (bbox) out['bbox_norm'] = scaleBox(bbox, s.nx, s.ny, NORM_DECIMALS);
  return out;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function scaleBox(b: Box, kx: number, ky: number, decimals: number): Box {
  return {
    x: round(b.x * kx, decimals),
    y: round(b.y * ky, decimals),
    width: round(b.width * kx, decimals),
    height: round(b.height * ky, decimals),
  };
}

function isPolygon(v: unknown): v is Array<[number, number]> {
  return Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && isNumber(p[0]) && isNumber(p[1]));
}

function isBBox(v: unknown): v is Box {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const b = v as Record<string, unknown>;
  return isNumber(b['x']) && isNumber(b['y']) && isNumber(b['width']) && isNumber(b['height']);
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(v * f) / f;
  return r === 0 ? 0 : r; // no -0 in JSON output
}
