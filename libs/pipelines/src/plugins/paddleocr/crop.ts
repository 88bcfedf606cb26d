/**
 * Cutting text lines out of a frame, as pure functions on interleaved RGB:
 * a quadrilateral straightened into an upright rectangle (PaddleOCR's
 * get_rotate_crop_image), and quarter/half turns.
 */
import type { RgbImage } from '../../frame';

type Pt = readonly [number, number];

function rgb(data: Buffer, width: number, height: number): RgbImage {
  return { data, width, height, channels: 3 };
}

/**
 * Straighten the quadrilateral `quad` (clockwise from top-left) into a
 * width x height image, width = the longer of its top and bottom edges, height
 * = the longer of its left and right edges. Corners are pixel coordinates
 * (as DB returns them); output pixel (u, v) maps bilinearly between them, like
 * OpenCV's warpPerspective onto [0,0]..[w,h] (exact for the rectangles DB
 * produces), and samples the frame bilinearly, clamping at its border.
 */
export function cropQuad(image: RgbImage, quad: readonly Pt[]): RgbImage {
  if (quad.length !== 4) throw new Error(`expected 4 corners, got ${quad.length}`);
  const [p0, p1, p2, p3] = quad as [Pt, Pt, Pt, Pt];
  const dist = (a: Pt, b: Pt) => Math.hypot(b[0] - a[0], b[1] - a[1]);
  const width = Math.max(1, Math.trunc(Math.max(dist(p0, p1), dist(p3, p2))));
  const height = Math.max(1, Math.trunc(Math.max(dist(p0, p3), dist(p1, p2))));
  const out = Buffer.allocUnsafe(width * height * 3);
  const src = image.data;
  const W = image.width;
  const H = image.height;
  let o = 0;
  for (let v = 0; v < height; v++) {
    const t = v / height;
    // Left and right edges at this row.
    const lx = p0[0] + (p3[0] - p0[0]) * t;
    const ly = p0[1] + (p3[1] - p0[1]) * t;
    const rx = p1[0] + (p2[0] - p1[0]) * t;
    const ry = p1[1] + (p2[1] - p1[1]) * t;
    for (let u = 0; u < width; u++) {
      const s = u / width;
      const x = Math.min(Math.max(lx + (rx - lx) * s, 0), W - 1);
      const y = Math.min(Math.max(ly + (ry - ly) * s, 0), H - 1);
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const x1 = Math.min(x0 + 1, W - 1);
      const y1 = Math.min(y0 + 1, H - 1);
      const fx = x - x0;
      const fy = y - y0;
      const i00 = (y0 * W + x0) * 3;
      const i01 = (y0 * W + x1) * 3;
      const i10 = (y1 * W + x0) * 3;
      const i11 = (y1 * W + x1) * 3;
      for (let c = 0; c < 3; c++) {
        const top = src[i00 + c] + (src[i01 + c] - src[i00 + c]) * fx;
        const bottom = src[i10 + c] + (src[i11 + c] - src[i10 + c]) * fx;
        out[o++] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return rgb(out, width, height);
}

export function rotate180(image: RgbImage): RgbImage {
  const n = image.width * image.height;
  const out = Buffer.allocUnsafe(n * 3);
  for (let i = 0; i < n; i++) {
    const j = (n - 1 - i) * 3;
    out[i * 3] = image.data[j]!;
    out[i * 3 + 1] = image.data[j + 1]!;
    out[i * 3 + 2] = image.data[j + 2]!;
  }
  return rgb(out, image.width, image.height);
}

/** Quarter turn counter-clockwise (numpy's rot90): the right edge becomes the top. */
export function rotate90ccw(image: RgbImage): RgbImage {
  const { width: W, height: H } = image;
  const out = Buffer.allocUnsafe(W * H * 3);
  // Output is H wide and W tall; output (x, y) takes input (W - 1 - y, x).
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < H; x++) {
      const s = (x * W + (W - 1 - y)) * 3;
      const d = (y * H + x) * 3;
      out[d] = image.data[s]!;
      out[d + 1] = image.data[s + 1]!;
      out[d + 2] = image.data[s + 2]!;
    }
  }
  return rgb(out, H, W);
}
