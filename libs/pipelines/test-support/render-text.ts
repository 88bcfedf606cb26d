/**
 * Test frames with known text positions: text rendered by sharp (pango) with a
 * DejaVu font file from the `dejavu-fonts-ttf` package, so no system font is
 * needed, and the ground-truth box of each text measured from its own ink.
 */
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export interface TextSpec {
  text: string;
  left: number;
  top: number;
  /** Font size in pixels. */
  size: number;
  bold?: boolean;
  /** Rotation in degrees, clockwise on screen (negative: the line rises to the right). */
  rotate?: number;
}

/** The 720p benchmark frame's text: four lines of different sizes, weights and places, digits and dashes included. */
export const BENCH_TEXTS: readonly TextSpec[] = Object.freeze([
  { text: 'FRAMEWIRE 720p BENCHMARK', left: 80, top: 60, size: 56 },
  { text: 'Subtitles: the quick brown fox jumps over the lazy dog', left: 120, top: 560, size: 36, bold: false },
  { text: 'Score 3 - 1   12:45', left: 860, top: 300, size: 40 },
  { text: 'small print at the bottom right corner', left: 820, top: 660, size: 18, bold: false },
]);

export interface InkBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RenderedFrame {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Ink bounds of each TextSpec, in frame pixels. */
  boxes: InkBox[];
}

export function dejavuFontFile(bold: boolean): string {
  const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return join(dir, bold ? 'DejaVuSans-Bold.ttf' : 'DejaVuSans.ttf');
}

/** White text on black, one channel, tight to the pango layout. */
async function renderText(spec: TextSpec): Promise<{ mask: Buffer; width: number; height: number; ink: InkBox }> {
  const bold = spec.bold ?? true;
  let img = sharp({
    text: {
      text: spec.text,
      font: `DejaVu Sans${bold ? ' Bold' : ''} ${spec.size}`,
      fontfile: dejavuFontFile(bold),
      dpi: 72,
    },
  });
  if (spec.rotate) img = sharp(await img.png().toBuffer()).rotate(spec.rotate, { background: '#000000' });
  const { data, info } = await img.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[y * info.width + x] > 127) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) throw new Error(`rendering '${spec.text}' produced no ink (no usable font?)`);
  return { mask: data, width: info.width, height: info.height, ink: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } };
}

export interface RenderOptions {
  /** 'white' (default), or a deterministic textured background. */
  background?: 'white' | 'texture';
  quality?: number;
}

/** A JPEG frame with dark text at the given positions. */
export async function renderTextFrame(
  width: number,
  height: number,
  texts: readonly TextSpec[],
  options: RenderOptions = {},
): Promise<RenderedFrame> {
  const bg = Buffer.alloc(width * height * 3, 255);
  if (options.background === 'texture') {
    let s = 12345;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        const v = 150 + Math.round((x / width) * 80) + (s % 25);
        const i = (y * width + x) * 3;
        bg[i] = v;
        bg[i + 1] = Math.min(255, v + 10);
        bg[i + 2] = Math.max(0, v - 20);
      }
    }
  }
  const boxes: InkBox[] = [];
  for (const spec of texts) {
    const r = await renderText(spec);
    boxes.push({ x: spec.left + r.ink.x, y: spec.top + r.ink.y, width: r.ink.width, height: r.ink.height });
    // Darken the background where the glyphs are (multiply by 1 - coverage).
    for (let y = 0; y < r.height; y++) {
      const fy = spec.top + y;
      if (fy < 0 || fy >= height) continue;
      for (let x = 0; x < r.width; x++) {
        const fx = spec.left + x;
        if (fx < 0 || fx >= width) continue;
        const keep = 1 - r.mask[y * r.width + x] / 255;
        const i = (fy * width + fx) * 3;
        bg[i] = Math.round(bg[i] * keep);
        bg[i + 1] = Math.round(bg[i + 1] * keep);
        bg[i + 2] = Math.round(bg[i + 2] * keep);
      }
    }
  }
  const jpeg = await sharp(bg, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: options.quality ?? 90 })
    .toBuffer();
  return { jpeg, width, height, boxes };
}

/** Intersection over union of two axis-aligned boxes. */
export function iou(a: InkBox, b: InkBox): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union === 0 ? 0 : inter / union;
}

/** Share of `inner`'s area that lies inside `outer`. */
export function containment(inner: InkBox, outer: InkBox): number {
  const ix = Math.max(0, Math.min(inner.x + inner.width, outer.x + outer.width) - Math.max(inner.x, outer.x));
  const iy = Math.max(0, Math.min(inner.y + inner.height, outer.y + outer.height) - Math.max(inner.y, outer.y));
  const area = inner.width * inner.height;
  return area === 0 ? 0 : (ix * iy) / area;
}
