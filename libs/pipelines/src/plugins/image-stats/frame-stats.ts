/** Frame statistics as pure functions over interleaved RGB: luma brightness and contrast, dominant colours. */
import type { RgbImage } from '../../frame';

export interface DominantColour {
  /** '#rrggbb', the mean colour of the pixels in this colour bin. */
  hex: string;
  rgb: [number, number, number];
  /** Share of the frame's pixels in this bin (0..1). */
  share: number;
}

export interface LumaStats {
  /** Mean luma (Rec. 709 weights on the 8-bit sRGB values), 0 (black) .. 1 (white). */
  brightness: number;
  /** RMS contrast: standard deviation of luma, 0 .. 0.5. */
  contrast: number;
}

/** Colour bins: 16 levels per channel (4096 bins), like sharp's `dominant`. */
const LEVEL_BITS = 4;
const BINS = 1 << (3 * LEVEL_BITS);

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const hex2 = (v: number) => v.toString(16).padStart(2, '0');

/**
 * One pass over the pixels: mean and standard deviation of luma, and the
 * `count` most populated colour bins holding at least `minShare` of the
 * pixels, most populated first (ties: lower bin first), each as the mean
 * colour of its pixels.
 */
export function lumaAndColours(image: RgbImage, count: number, minShare: number): LumaStats & { dominant_colours: DominantColour[] } {
  const { data, width, height } = image;
  const n = width * height;
  if (n === 0) throw new Error('empty image');
  if (data.length < n * 3) throw new Error(`RGB buffer has ${data.length} bytes, expected ${n * 3}`);
  const binCount = new Uint32Array(BINS);
  // Per-bin channel sums fit in a float64 exactly (at most 255 x 2^32).
  const binSum = new Float64Array(BINS * 3);
  let sum = 0;
  let sumSq = 0;
  const shift = 8 - LEVEL_BITS;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const r = data[j];
    const g = data[j + 1];
    const b = data[j + 2];
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += y;
    sumSq += y * y;
    const bin = ((r >> shift) << (2 * LEVEL_BITS)) | ((g >> shift) << LEVEL_BITS) | (b >> shift);
    binCount[bin]++;
    binSum[bin * 3] += r;
    binSum[bin * 3 + 1] += g;
    binSum[bin * 3 + 2] += b;
  }
  const mean = sum / n;
  const variance = Math.max(0, sumSq / n - mean * mean);

  // The `count` largest bins, by a partial selection (count is small).
  const top: number[] = [];
  for (let bin = 0; bin < BINS; bin++) {
    const c = binCount[bin];
    if (c === 0 || c / n < minShare) continue;
    if (top.length < count) {
      top.push(bin);
      top.sort((a, b) => binCount[b] - binCount[a] || a - b);
    } else if (c > binCount[top[top.length - 1]]) {
      top[top.length - 1] = bin;
      top.sort((a, b) => binCount[b] - binCount[a] || a - b);
    }
  }
  const dominant_colours = top.map((bin): DominantColour => {
    const c = binCount[bin];
    const rgb: [number, number, number] = [
      Math.round(binSum[bin * 3] / c),
      Math.round(binSum[bin * 3 + 1] / c),
      Math.round(binSum[bin * 3 + 2] / c),
    ];
    return { hex: `#${rgb.map(hex2).join('')}`, rgb, share: round(c / n, 4) };
  });
  return { brightness: round(mean / 255, 4), contrast: round(Math.sqrt(variance) / 255, 4), dominant_colours };
}
