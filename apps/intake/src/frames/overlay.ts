import type { FrameGeometry, Size } from '@framewire/contracts';

/**
 * What `?annotate=1` draws over a stored frame, as one SVG the size of the
 * frame: every polygon (or bbox) of the frame's result, and the text read in
 * it. Pure: the caller composites it (FrameAnnotator).
 *
 * Results are in source-video pixels (the video as displayed) while the
 * stored frame is the analysed size (scaled down to FW_MAX_FRAME_WIDTH), so
 * every point is scaled by image / source per axis, which holds for odd sizes
 * and rotated videos alike (the frame was decoded upright, like the source
 * size). Results stored before Framewire recorded their geometry are in the
 * analysed frame's pixels already; a result with only `_norm` forms is
 * scaled by the image size.
 */

export interface OverlayShape {
  /** Closed polygon in image pixels. */
  points: Array<[number, number]>;
  /** Text read in it (ocr), or null. */
  text: string | null;
}

/** Drawn at most; a result with more is drawn in part (no pipeline output comes near it). */
export const MAX_SHAPES = 5000;
/** Characters of one label at most. */
export const MAX_LABEL_CHARS = 200;
const MAX_DEPTH = 64;

const STROKE = '#00e676';
const OUTLINE = '#000000';

/** The shapes of a result in the pixels of an image of size `image`. */
export function overlayShapes(result: unknown, geometry: FrameGeometry | null, image: Size): OverlayShape[] {
  const shapes: OverlayShape[] = [];
  const sx = geometry ? image.width / geometry.source.width : 1;
  const sy = geometry ? image.height / geometry.source.height : 1;
  const visit = (value: unknown, depth: number): void => {
    if (shapes.length >= MAX_SHAPES || value === null || typeof value !== 'object' || depth > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1);
      return;
    }
    const o = value as Record<string, unknown>;
    const points = located(o, sx, sy, image);
    if (points) shapes.push({ points, text: typeof o['text'] === 'string' && o['text'].trim() !== '' ? o['text'] : null });
    for (const [key, v] of Object.entries(o)) {
      if (!GEOMETRY_KEYS.has(key)) visit(v, depth + 1);
    }
  };
  visit(result, 0);
  return shapes;
}

const GEOMETRY_KEYS = new Set(['polygon', 'bbox', 'polygon_norm', 'bbox_norm']);

/** An object's outline in image pixels: its polygon, else its bbox, else their normalised forms. */
function located(o: Record<string, unknown>, sx: number, sy: number, image: Size): Array<[number, number]> | null {
  const polygon = asPolygon(o['polygon']);
  if (polygon) return polygon.map(([x, y]) => [x * sx, y * sy]);
  const bbox = asBox(o['bbox']);
  if (bbox) return corners(bbox).map(([x, y]) => [x * sx, y * sy]);
  const norm = asPolygon(o['polygon_norm']) ?? (asBox(o['bbox_norm']) ? corners(asBox(o['bbox_norm'])!) : null);
  if (norm) return norm.map(([x, y]) => [x * image.width, y * image.height]);
  return null;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function corners(b: Box): Array<[number, number]> {
  return [
    [b.x, b.y],
    [b.x + b.width, b.y],
    [b.x + b.width, b.y + b.height],
    [b.x, b.y + b.height],
  ];
}

function asPolygon(v: unknown): Array<[number, number]> | null {
  if (!Array.isArray(v) || v.length < 2) return null;
  const ok = v.every((p) => Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]));
  return ok ? (v as Array<[number, number]>) : null;
}

function asBox(v: unknown): Box | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const b = v as Record<string, unknown>;
  const ok = ['x', 'y', 'width', 'height'].every((k) => typeof b[k] === 'number' && Number.isFinite(b[k]));
  return ok ? (b as unknown as Box) : null;
}

/**
 * Text made safe inside an SVG (XML 1.0) element: markup characters escaped,
 * characters XML cannot hold (C0 controls, lone surrogates, U+FFFE/FFFF)
 * dropped, line breaks and tabs made spaces, and cut to MAX_LABEL_CHARS.
 */
export function escapeSvgText(text: string): string {
  const clean = text
    .replace(/[\t\n\r]/g, ' ')
    .replace(/[\u0000-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
  const chars = [...clean];
  const cut = chars.length > MAX_LABEL_CHARS ? `${chars.slice(0, MAX_LABEL_CHARS - 1).join('')}…` : clean;
  return cut.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** The overlay of `shapes` as an SVG document exactly `image` in size: outlined, lightly filled polygons and their labels. */
export function overlaySvg(shapes: readonly OverlayShape[], image: Size): string {
  const unit = Math.max(1, Math.min(image.width, image.height) / 360);
  const stroke = num(Math.max(1, 1.5 * unit));
  const fontSize = Math.round(Math.max(10, 11 * unit));
  const parts: string[] = [];
  for (const s of shapes) {
    const points = s.points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');
    parts.push(
      `<polygon points="${points}" fill="${STROKE}" fill-opacity="0.2" stroke="${OUTLINE}" stroke-width="${num(Number(stroke) + 2 * unit)}" stroke-opacity="0.6" stroke-linejoin="round"/>`,
      `<polygon points="${points}" fill="none" stroke="${STROKE}" stroke-width="${stroke}" stroke-linejoin="round"/>`,
    );
    if (s.text !== null) {
      const xs = s.points.map((p) => p[0]);
      const ys = s.points.map((p) => p[1]);
      const left = Math.max(0, Math.min(...xs));
      const top = Math.min(...ys);
      // Above the shape when there is room, else just inside its top.
      const baseline = top - fontSize * 0.3 >= fontSize ? top - fontSize * 0.3 : Math.max(top, 0) + fontSize;
      parts.push(
        `<text x="${num(left)}" y="${num(baseline)}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${fontSize}" ` +
          `font-weight="bold" fill="#ffffff" stroke="${OUTLINE}" stroke-width="${num(fontSize / 6)}" paint-order="stroke" stroke-linejoin="round">` +
          `${escapeSvgText(s.text)}</text>`,
      );
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}" viewBox="0 0 ${image.width} ${image.height}">` +
    `${parts.join('')}</svg>`
  );
}
