import sharp from 'sharp';
import { frameDifference, ReuseTracker, reuseThumbnail, type Thumbnail } from './reuse';

const W = 1280;
const H = 720;

/** A white frame with black rectangles on light grey ("glyphs"), as raw RGB, plus deterministic noise of +-`noise` grey levels. */
function frame(rects: Array<[number, number, number, number]>, noise = 0, seed = 1): Buffer {
  const px = Buffer.alloc(W * H * 3, 230); // light grey: noise is not clipped one-sided
  for (const [x0, y0, w, h] of rects) {
    for (let y = y0; y < y0 + h; y++) px.fill(0, (y * W + x0) * 3, (y * W + x0 + w) * 3);
  }
  let s = seed;
  if (noise > 0)
    for (let i = 0; i < px.length; i++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      px[i] = Math.max(0, Math.min(255, px[i]! + ((s % (2 * noise + 1)) - noise)));
    }
  return px;
}

function jpeg(raw: Buffer, quality = 85): Promise<Buffer> {
  return sharp(raw, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** A line of "text": glyph-sized boxes, 14x20 px, 4 px apart, like a 24 px font. */
function textLine(x: number, y: number, glyphs: number): Array<[number, number, number, number]> {
  return Array.from({ length: glyphs }, (_, i) => [x + i * 18, y, 14, 20] as [number, number, number, number]);
}

const SUBTITLE = textLine(200, 600, 30);
const CLOCK = textLine(1100, 30, 5);

async function thumb(rects: Array<[number, number, number, number]>, opts: { noise?: number; seed?: number; quality?: number } = {}) {
  return reuseThumbnail(await jpeg(frame(rects, opts.noise ?? 0, opts.seed ?? 1), opts.quality));
}

describe('reuse measure', () => {
  it('makes a small grayscale thumbnail', async () => {
    const t = await thumb(SUBTITLE);
    expect([t.width, t.height, t.pixels.length]).toEqual([256, 144, 256 * 144]);
  });

  it('scores identical frames 0, and pixel noise (+-6 levels) and re-encoding under the default threshold (2)', async () => {
    const a = await thumb([...SUBTITLE, ...CLOCK]);
    expect(frameDifference(a, await thumb([...SUBTITLE, ...CLOCK]))).toBe(0);
    const noisy = await thumb([...SUBTITLE, ...CLOCK], { noise: 6, seed: 7, quality: 70 });
    expect(frameDifference(a, noisy)).toBeLessThan(1.5);
  });

  it('sees one changed glyph in a clock (a small local change a global mean would miss)', async () => {
    const a = await thumb([...SUBTITLE, ...CLOCK]);
    // The last "digit" of the clock changes shape: half of it disappears.
    const changed = [...SUBTITLE, ...CLOCK.slice(0, 4), [1100 + 4 * 18, 30, 14, 10] as [number, number, number, number]];
    const b = await thumb(changed);
    expect(frameDifference(a, b)).toBeGreaterThan(2);
    const globalMean = Math.abs(mean(a) - mean(b));
    expect(globalMean).toBeLessThan(0.1);
  });

  it('scores a cut to other text far over it; frames of another size never match', async () => {
    const a = await thumb(SUBTITLE);
    expect(frameDifference(a, await thumb(textLine(100, 200, 20)))).toBeGreaterThan(50);
    const small: Thumbnail = { width: 128, height: 72, pixels: new Uint8Array(128 * 72) };
    expect(frameDifference(a, small)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('ReuseTracker', () => {
  const flat = (v: number): Thumbnail => ({ width: 16, height: 16, pixels: new Uint8Array(256).fill(v) });

  it('compares with the anchor (the last computed frame), so slow drift cannot chain reuse', () => {
    const t = new ReuseTracker({ threshold: 2, maxRun: 100 });
    // Each frame is 1 grey level from the previous: within the threshold of its neighbour, not of the anchor.
    const decisions = [0, 1, 2, 3, 4, 5, 6].map((v, i) => t.decide(i, flat(100 + v)));
    expect(decisions.map((d) => (d.reuse ? d.anchor : 'computed'))).toEqual(['computed', 0, 0, 'computed', 3, 3, 'computed']);
  });

  it('computes a frame after maxRun reused ones in a row', () => {
    const t = new ReuseTracker({ threshold: 2, maxRun: 2 });
    const decisions = [0, 1, 2, 3, 4, 5].map((i) => t.decide(i, flat(50)));
    expect(decisions.map((d) => d.reuse)).toEqual([false, true, true, false, true, true]);
  });

  it('is off with threshold 0', () => {
    expect(new ReuseTracker({ threshold: 0, maxRun: 10 }).enabled).toBe(false);
  });
});

function mean(t: Thumbnail): number {
  let s = 0;
  for (const v of t.pixels) s += v;
  return s / t.pixels.length;
}
