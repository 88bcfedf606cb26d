/**
 * PaddleOCR input preparation as pure functions. PaddleOCR reads images with
 * OpenCV, so its models see channels in B, G, R order, and NormalizeImage
 * applies mean/std in that same channel order (no swap): mean[0] goes with B.
 */

/** Python's round(): halves go to the even neighbour (round(16.5) == 16). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export type LimitType = 'max' | 'min';

/**
 * DetResizeForTest (limit_side_len): scale so the long side is at most `limit`
 * ('max') or the short side at least `limit` ('min'), then snap each side to
 * the nearest multiple of 32 (at least 32). Sides are snapped independently,
 * so the aspect ratio moves slightly; post-processing scales each axis back.
 */
export function detInputSize(
  width: number,
  height: number,
  limitSideLen = 960,
  limitType: LimitType = 'max',
): { width: number; height: number } {
  let ratio = 1;
  if (limitType === 'max') {
    const long = Math.max(width, height);
    if (long > limitSideLen) ratio = limitSideLen / long;
  } else {
    const short = Math.min(width, height);
    if (short < limitSideLen) ratio = limitSideLen / short;
  }
  const snap = (side: number) => Math.max(roundHalfEven(Math.trunc(side * ratio) / 32) * 32, 32);
  return { width: snap(width), height: snap(height) };
}

export interface NormalizeSpec {
  /** Per model channel, in model channel order. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Channel order the model expects. */
  readonly order: 'bgr' | 'rgb';
}

export const DET_NORMALIZE: NormalizeSpec = Object.freeze({
  mean: [0.485, 0.456, 0.406] as const,
  std: [0.229, 0.224, 0.225] as const,
  order: 'bgr' as const,
});

/**
 * Interleaved RGB bytes → planar float32 (the C, H, W of NCHW), normalised as
 * (v / 255 - mean) / std, in one pass through three 256-entry lookup tables.
 */
export function rgbToNchw(
  rgb: { readonly data: Uint8Array; readonly width: number; readonly height: number },
  spec: NormalizeSpec = DET_NORMALIZE,
  out?: Float32Array,
): Float32Array {
  const plane = rgb.width * rgb.height;
  if (rgb.data.length < plane * 3) throw new Error(`RGB buffer has ${rgb.data.length} bytes, expected ${plane * 3}`);
  const tensor = out ?? new Float32Array(plane * 3);
  if (tensor.length < plane * 3) throw new Error(`output has ${tensor.length} floats, expected ${plane * 3}`);
  const lut = (c: number) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / 255 - spec.mean[c]) / spec.std[c];
    return t;
  };
  // Model plane k reads source channel src[k].
  const src = spec.order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const l0 = lut(0);
  const l1 = lut(1);
  const l2 = lut(2);
  const s0 = src[0];
  const s1 = src[1];
  const s2 = src[2];
  const d = rgb.data;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    tensor[i] = l0[d[j + s0]]!;
    tensor[plane + i] = l1[d[j + s1]]!;
    tensor[2 * plane + i] = l2[d[j + s2]]!;
  }
  return tensor;
}

/** Recognition and angle classification: (v / 255 - 0.5) / 0.5, B, G, R planes. */
export const REC_NORMALIZE: NormalizeSpec = Object.freeze({
  mean: [0.5, 0.5, 0.5] as const,
  std: [0.5, 0.5, 0.5] as const,
  order: 'bgr' as const,
});

/** Width a text crop is resized to for a model input `height` tall and at most `maxWidth` wide (aspect kept, rounded up). */
export function fitWidth(width: number, height: number, inputHeight: number, maxWidth: number): number {
  return Math.max(1, Math.min(Math.ceil((inputHeight * width) / height), maxWidth));
}

/**
 * Batches of text crops for recognition, given each crop's aspect ratio
 * (width / height): sorted by ratio (PaddleOCR sorts too), at most `maxBatch`
 * per batch, and a batch closes early when the next crop is more than
 * `maxSpread` times as wide as its narrowest, since every crop of a batch is
 * padded to the widest and a CPU pays for the padding. Returns indices.
 */
export function batchBySimilarWidth(ratios: readonly number[], maxBatch: number, maxSpread = 1.5): number[][] {
  const order = ratios.map((_, i) => i).sort((a, b) => ratios[a] - ratios[b] || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    if (current.length === maxBatch || (current.length > 0 && ratios[i] > ratios[current[0]] * maxSpread)) {
      batches.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length) batches.push(current);
  return batches;
}
