import sharp from 'sharp';

/**
 * Temporal reuse: is a sampled frame visually the same as the job's last
 * computed frame (its anchor)? The measure runs in the extractor on every
 * sampled JPEG, so it must be cheap and it must see a small local change.
 *
 * - A thumbnail: the JPEG decoded straight to grayscale at THUMB_WIDTH pixels
 *   wide (libvips shrinks JPEGs on load, in the DCT, so a 1280x720 frame is
 *   never decoded at full size; ~1-2 ms a frame, see the bench).
 * - Block-wise comparison: the thumbnail is cut into BLOCK x BLOCK cells and the
 *   score is the largest cell's mean absolute pixel difference (grey levels,
 *   0..255). A global mean would let a changed digit in a clock or a new
 *   subtitle line vanish in a big frame; one cell is about 1/32 of the frame's
 *   width (40 px of a 1280-wide frame), the size of a word, so changing a word or
 *   one glyph of large text moves its cell by several grey levels while
 *   re-encoding noise (a static shot through a lossy codec) stays well under one.
 * - The extractor compares against the anchor (the last frame that went to the
 *   models), never only the previous frame: slow drift (a fade, a slow pan)
 *   accumulates against a fixed anchor until it crosses the threshold, instead
 *   of being reused frame after frame forever.
 */
export const THUMB_WIDTH = 256;
export const BLOCK = 8;

export interface Thumbnail {
  width: number;
  height: number;
  /** Grayscale, one byte a pixel, row-major. */
  pixels: Uint8Array;
}

/** The frame's grayscale thumbnail (THUMB_WIDTH wide, or narrower frames at their own width). */
export async function reuseThumbnail(jpeg: Uint8Array): Promise<Thumbnail> {
  const { data, info } = await sharp(jpeg, { sequentialRead: true })
    .resize({ width: THUMB_WIDTH, withoutEnlargement: true, kernel: 'linear', fastShrinkOnLoad: true })
    .grayscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  // grayscale() of a 3-channel input still reports 1 channel once raw; guard anyway.
  if (info.channels !== 1) throw new Error(`thumbnail has ${info.channels} channels, expected 1`);
  return { width: info.width, height: info.height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * The largest BLOCK x BLOCK cell's mean absolute difference between two
 * thumbnails (grey levels); Infinity when their sizes differ (never the same
 * picture). Edge cells smaller than BLOCK are averaged over what they hold.
 */
export function frameDifference(a: Thumbnail, b: Thumbnail): number {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  const { width, height } = a;
  let worst = 0;
  for (let by = 0; by < height; by += BLOCK) {
    const yEnd = Math.min(by + BLOCK, height);
    for (let bx = 0; bx < width; bx += BLOCK) {
      const xEnd = Math.min(bx + BLOCK, width);
      let sum = 0;
      for (let y = by; y < yEnd; y++) {
        const row = y * width;
        for (let x = bx; x < xEnd; x++) sum += Math.abs(a.pixels[row + x] - b.pixels[row + x]);
      }
      const mean = sum / ((yEnd - by) * (xEnd - bx));
      if (mean > worst) worst = mean;
    }
  }
  return worst;
}

export interface ReusePolicy {
  /** Largest cell difference (grey levels) still "the same frame"; 0 turns reuse off. */
  threshold: number;
  /** Reused frames in a row at most; the next one is computed and becomes the anchor. */
  maxRun: number;
}

export type ReuseDecision = { reuse: false; score: number | null } | { reuse: true; anchor: number; score: number };

/**
 * One job's reuse decisions, frame after frame, in sampling order. Pure apart
 * from the thumbnails it is handed: the extractor computes them, tests build
 * them. A computed frame becomes the anchor; a reused one leaves it in place.
 */
export class ReuseTracker {
  private anchor: { index: number; thumb: Thumbnail } | null = null;
  private run = 0;

  constructor(private readonly policy: ReusePolicy) {}

  get enabled(): boolean {
    return this.policy.threshold > 0;
  }

  decide(index: number, thumb: Thumbnail): ReuseDecision {
    const anchor = this.anchor;
    const score = anchor === null ? null : frameDifference(anchor.thumb, thumb);
    if (anchor !== null && score !== null && score <= this.policy.threshold && this.run < this.policy.maxRun) {
      this.run++;
      return { reuse: true, anchor: anchor.index, score };
    }
    this.anchor = { index, thumb };
    this.run = 0;
    return { reuse: false, score };
  }
}
