/**
 * Text lines out of a frame, as pure functions: a quadrilateral of the frame
 * sampled straight into its slot of a model's input tensor, upright and
 * normalised, in one pass. This stands for PaddleOCR's get_rotate_crop_image
 * (warpPerspective of the quadrilateral onto a rectangle), its quarter and
 * half turns, cv2.resize to the model height and the normalisation, without
 * the three intermediate images those make: turns are a re-ordering of the
 * corners, and each output pixel is one bilinear sample of the frame.
 */
import type { RgbImage } from '../../frame';
import type { NormalizeSpec } from './preprocess';

export type Pt = readonly [number, number];
export type QuadPts = readonly [Pt, Pt, Pt, Pt];

function corners(quad: readonly Pt[]): QuadPts {
  if (quad.length !== 4) throw new Error(`expected 4 corners, got ${quad.length}`);
  return quad as unknown as QuadPts;
}

const dist = (a: Pt, b: Pt) => Math.hypot(b[0] - a[0], b[1] - a[1]);

/**
 * The quadrilateral `quad` (clockwise from top-left) grown by `pad` pixels on
 * every side, along its own axes: a rotated rectangle stays one.
 */
export function padQuad(quad: readonly Pt[], pad: number): [number, number][] {
  const [p0, p1, p2, p3] = corners(quad);
  if (pad === 0) return quad.map(([x, y]) => [x, y]);
  const unit = (a: Pt, b: Pt, c: Pt, d: Pt): [number, number] => {
    // Mean direction of the edges a→b and c→d.
    const x = b[0] - a[0] + d[0] - c[0];
    const y = b[1] - a[1] + d[1] - c[1];
    const len = Math.hypot(x, y);
    return len === 0 ? [0, 0] : [x / len, y / len];
  };
  const u = unit(p0, p1, p3, p2); // along the text line
  const v = unit(p0, p3, p1, p2); // across it, top to bottom
  const move = (p: Pt, su: number, sv: number): [number, number] => [
    p[0] + pad * (su * u[0] + sv * v[0]),
    p[1] + pad * (su * u[1] + sv * v[1]),
  ];
  return [move(p0, -1, -1), move(p1, 1, -1), move(p2, 1, 1), move(p3, -1, 1)];
}

/** Length of the shorter side of a quadrilateral (clockwise from top-left): the height of a text line. */
export function quadShortSide(quad: readonly Pt[]): number {
  const [p0, p1, p2, p3] = corners(quad);
  return Math.min((dist(p0, p1) + dist(p3, p2)) / 2, (dist(p0, p3) + dist(p1, p2)) / 2);
}

/** Size of the straightened quadrilateral: the longer of its top and bottom edges by the longer of its sides (as PaddleOCR crops it). */
export function quadSize(quad: readonly Pt[]): { width: number; height: number } {
  const [p0, p1, p2, p3] = corners(quad);
  return {
    width: Math.max(1, Math.trunc(Math.max(dist(p0, p1), dist(p3, p2)))),
    height: Math.max(1, Math.trunc(Math.max(dist(p0, p3), dist(p1, p2)))),
  };
}

/**
 * The corners re-ordered so the straightened text reads upright: a
 * quadrilateral at least 1.5 times taller than wide is laid down (a quarter
 * turn counter-clockwise, its right edge becoming the top, as PaddleOCR does
 * with np.rot90), then `angle` 180 turns it over.
 */
export function uprightQuad(quad: readonly Pt[], angle: 0 | 180 = 0): QuadPts {
  let [p0, p1, p2, p3] = corners(quad);
  const { width, height } = quadSize(quad);
  if (height / width >= 1.5) [p0, p1, p2, p3] = [p1, p2, p3, p0];
  if (angle === 180) [p0, p1, p2, p3] = [p2, p3, p0, p1];
  return [p0, p1, p2, p3];
}

/**
 * Sample the quadrilateral `quad` of `image` (its first corner lands on the
 * output's top-left, then clockwise) as a `width` x `planeHeight` image into
 * item `index` of an N x 3 x planeHeight x planeWidth float tensor,
 * left-aligned and normalised per `spec`; the rest of each row keeps what
 * `out` held (zeros for a fresh array: PaddleOCR's padding).
 *
 * Output pixels are spread evenly over the quadrilateral (bilinear in its
 * corners, exact for the rectangles DB produces). Each is the mean of a grid
 * of bilinear samples of the frame, as many along each axis as frame pixels
 * it spans (rounded up): one sample when enlarging, an area average when
 * shrinking, so a long line squeezed into the classifier's 192 pixels does not
 * alias into noise. Samples are clamped at the frame's border (OpenCV's
 * BORDER_REPLICATE). Corners are in pixel-centre coordinates.
 */
export function sampleQuadToTensor(
  image: RgbImage,
  quad: readonly Pt[],
  width: number,
  spec: NormalizeSpec,
  out: Float32Array,
  index: number,
  planeHeight: number,
  planeWidth: number,
): void {
  const [p0, p1, p2, p3] = corners(quad);
  if (!Number.isInteger(width) || width < 1 || width > planeWidth) {
    throw new Error(`width ${width} does not fit a ${planeWidth}-wide plane`);
  }
  const plane = planeHeight * planeWidth;
  const base = index * 3 * plane;
  if (out.length < base + 3 * plane) throw new Error(`batch tensor too small for item ${index}`);
  // Model plane k reads source channel src[k], through a 256-entry table.
  const src = spec.order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const lut = [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / 255 - spec.mean[c]) / spec.std[c];
    return t;
  });
  const [l0, l1, l2] = lut as [Float32Array, Float32Array, Float32Array];
  const [s0, s1, s2] = src as [number, number, number];
  const data = image.data;
  const W = image.width;
  const H = image.height;
  const maxX = W - 1;
  const maxY = H - 1;
  // Samples per output pixel along each axis: the frame pixels it spans.
  const size = quadSize(quad);
  const nu = Math.max(1, Math.ceil(size.width / width - 1e-9));
  const nv = Math.max(1, Math.ceil(size.height / planeHeight - 1e-9));
  const inv = 1 / (nu * nv);
  for (let v = 0; v < planeHeight; v++) {
    const row = base + v * planeWidth;
    for (let u = 0; u < width; u++) {
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      for (let j = 0; j < nv; j++) {
        const t = (v + (j + 0.5) / nv) / planeHeight;
        // The left and right edges at this height.
        const lx = p0[0] + (p3[0] - p0[0]) * t;
        const ly = p0[1] + (p3[1] - p0[1]) * t;
        const dx = p1[0] + (p2[0] - p1[0]) * t - lx;
        const dy = p1[1] + (p2[1] - p1[1]) * t - ly;
        for (let i = 0; i < nu; i++) {
          const s = (u + (i + 0.5) / nu) / width;
          let x = lx + dx * s;
          let y = ly + dy * s;
          x = x < 0 ? 0 : x > maxX ? maxX : x;
          y = y < 0 ? 0 : y > maxY ? maxY : y;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const x1 = x0 < maxX ? x0 + 1 : x0;
          const y1 = y0 < maxY ? y0 + 1 : y0;
          const fx = x - x0;
          const fy = y - y0;
          const i00 = (y0 * W + x0) * 3;
          const i01 = (y0 * W + x1) * 3;
          const i10 = (y1 * W + x0) * 3;
          const i11 = (y1 * W + x1) * 3;
          const w00 = (1 - fx) * (1 - fy);
          const w01 = fx * (1 - fy);
          const w10 = (1 - fx) * fy;
          const w11 = fx * fy;
          c0 += data[i00 + s0] * w00 + data[i01 + s0] * w01 + data[i10 + s0] * w10 + data[i11 + s0] * w11;
          c1 += data[i00 + s1] * w00 + data[i01 + s1] * w01 + data[i10 + s1] * w10 + data[i11 + s1] * w11;
          c2 += data[i00 + s2] * w00 + data[i01 + s2] * w01 + data[i10 + s2] * w10 + data[i11 + s2] * w11;
        }
      }
      // Rounded to 8 bits like the uint8 image PaddleOCR normalises.
      out[row + u] = l0[(c0 * inv + 0.5) | 0];
      out[row + plane + u] = l1[(c1 * inv + 0.5) | 0];
      out[row + 2 * plane + u] = l2[(c2 * inv + 0.5) | 0];
    }
  }
}
