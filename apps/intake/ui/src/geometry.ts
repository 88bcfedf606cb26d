/** Where a thing sits in a frame, as fractions (0–1) of the frame's width and height. */
export interface NormRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One drawable thing of a frame's result: a box, its label, the output node it came from. */
export interface Overlay {
  output: string;
  kind: 'text' | 'region';
  rect: NormRect;
  label: string;
  score: number | null;
}

interface Size {
  width: number;
  height: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rectOf(v: unknown): NormRect | null {
  if (!isObject(v)) return null;
  const { x, y, width, height } = v;
  if (typeof x !== 'number' || typeof y !== 'number' || typeof width !== 'number' || typeof height !== 'number') return null;
  return { x, y, width, height };
}

/**
 * The normalised box of a located item: its `bbox_norm` when it has one;
 * else its `bbox` in pixels divided by the size those pixels are of (the
 * result's `geometry.source`, or the video's size for results stored before
 * geometry existed).
 */
export function normalisedBox(item: unknown, pixelsOf: Size | null): NormRect | null {
  if (!isObject(item)) return null;
  const norm = rectOf(item.bbox_norm);
  if (norm) return norm;
  const px = rectOf(item.bbox);
  if (!px || !pixelsOf || pixelsOf.width <= 0 || pixelsOf.height <= 0) return null;
  return { x: px.x / pixelsOf.width, y: px.y / pixelsOf.height, width: px.width / pixelsOf.width, height: px.height / pixelsOf.height };
}

/**
 * Every box of a frame's result (`{node: {regions: [...]}}` for text_regions,
 * `{node: {lines: [...]}}` for ocr), in output-node order then item order.
 */
export function overlaysOf(result: unknown, geometry: unknown, video: Size | null): Overlay[] {
  if (!isObject(result)) return [];
  const source = isObject(geometry) ? rectSize(geometry.source) : null;
  const pixelsOf = source ?? video;
  const out: Overlay[] = [];
  for (const [output, value] of Object.entries(result)) {
    if (!isObject(value)) continue;
    const lines = Array.isArray(value.lines) ? (value.lines as unknown[]) : [];
    const regions = Array.isArray(value.regions) ? (value.regions as unknown[]) : [];
    for (const line of lines) {
      const rect = normalisedBox(line, pixelsOf);
      if (!rect || !isObject(line)) continue;
      const text = typeof line.text === 'string' ? line.text : '';
      const score = typeof line.confidence === 'number' ? line.confidence : null;
      out.push({ output, kind: 'text', rect, label: text, score });
    }
    for (const region of regions) {
      const rect = normalisedBox(region, pixelsOf);
      if (!rect || !isObject(region)) continue;
      const score = typeof region.score === 'number' ? region.score : null;
      out.push({ output, kind: 'region', rect, label: score === null ? '' : score.toFixed(2), score });
    }
  }
  return out;
}

function rectSize(v: unknown): Size | null {
  if (!isObject(v)) return null;
  const { width, height } = v;
  return typeof width === 'number' && typeof height === 'number' ? { width, height } : null;
}
