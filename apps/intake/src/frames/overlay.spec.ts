import sharp from 'sharp';
import { FrameAnnotator } from './annotator';
import { escapeSvgText, MAX_LABEL_CHARS, overlayShapes, overlaySvg } from './overlay';

const square = (x: number, y: number, w: number, h: number): Array<[number, number]> => [
  [x, y],
  [x + w, y],
  [x + w, y + h],
  [x, y + h],
];

describe('overlayShapes: results in source pixels onto the stored (analysed) frame', () => {
  it('scales source pixels down to a frame the extractor scaled (4K source, 1920 frame)', () => {
    const geometry = { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } };
    const result = {
      read: { lines: [{ polygon: square(400, 200, 800, 100), bbox: { x: 400, y: 200, width: 800, height: 100 }, text: 'HI' }] },
    };
    expect(overlayShapes(result, geometry, { width: 1920, height: 1080 })).toEqual([{ points: square(200, 100, 400, 50), text: 'HI' }]);
  });

  it('scales each axis on its own: odd sizes and a rotated (portrait) video', () => {
    const odd = { analysed: { width: 641, height: 359 }, source: { width: 1918, height: 1078 } };
    const [shape] = overlayShapes(
      {
        detect: {
          regions: [
            {
              polygon: [
                [1918, 1078],
                [0, 0],
                [959, 539],
              ],
            },
          ],
        },
      },
      odd,
      { width: 641, height: 359 },
    );
    expect(shape!.points[0]).toEqual([641, 359]);
    expect(shape!.points[2]![0]).toBeCloseTo(320.5, 6);
    expect(shape!.points[2]![1]).toBeCloseTo(179.5, 6);
    // A phone video stored 1280×720 with rotate=90 is displayed (and decoded) 720×1280; scaled to a 360-wide frame.
    const portrait = { analysed: { width: 360, height: 640 }, source: { width: 720, height: 1280 } };
    expect(overlayShapes({ bbox: { x: 100, y: 1000, width: 200, height: 40 } }, portrait, { width: 360, height: 640 })).toEqual([
      { points: square(50, 500, 100, 20), text: null },
    ]);
  });

  it('uses the image actually stored when it differs from the recorded analysed size', () => {
    const geometry = { analysed: { width: 1920, height: 1080 }, source: { width: 1920, height: 1080 } };
    expect(overlayShapes({ bbox: { x: 960, y: 540, width: 10, height: 10 } }, geometry, { width: 960, height: 540 })[0]!.points[0]).toEqual(
      [480, 270],
    );
  });

  it('draws a result without geometry (stored before it existed) as it is, and _norm-only geometry by the image size', () => {
    expect(overlayShapes({ polygon: square(1, 2, 3, 4) }, null, { width: 100, height: 100 })[0]!.points).toEqual(square(1, 2, 3, 4));
    expect(
      overlayShapes({ bbox_norm: { x: 0.5, y: 0.25, width: 0.1, height: 0.5 } }, null, { width: 200, height: 100 })[0]!.points,
    ).toEqual(square(100, 25, 20, 50));
  });

  it('takes one shape per located object (its polygon over its bbox), walks nested outputs, skips what is not geometry', () => {
    const result = {
      detect: { regions: [{ polygon: square(0, 0, 10, 10), bbox: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9 }] },
      read: {
        lines: [
          { bbox: { x: 5, y: 5, width: 1, height: 1 }, text: '  ' },
          { polygon: 'nope', bbox: { x: 'a' } },
        ],
      },
      stats: { brightness: 0.5, colours: [[1, 2, 3]] },
    };
    const shapes = overlayShapes(result, null, { width: 50, height: 50 });
    expect(shapes).toEqual([
      { points: square(0, 0, 10, 10), text: null },
      { points: square(5, 5, 1, 1), text: null },
    ]);
    expect(overlayShapes(null, null, { width: 1, height: 1 })).toEqual([]);
  });
});

describe('escapeSvgText', () => {
  it('escapes markup and drops what XML cannot hold', () => {
    expect(escapeSvgText(`<script>alert("x" & 'y')</script>`)).toBe('&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;');
    expect(escapeSvgText('a\u0000b\u0007c\nd\te\ufffe')).toBe('abc d e');
    expect(escapeSvgText('lone \ud800 high, lone \udc00 low, pair 😀')).toBe('lone  high, lone  low, pair 😀');
    expect(escapeSvgText(']]><!--')).toBe(']]&gt;&lt;!--');
  });

  it('cuts long text by characters, never inside a surrogate pair', () => {
    const out = escapeSvgText('😀'.repeat(MAX_LABEL_CHARS + 10));
    expect([...out]).toHaveLength(MAX_LABEL_CHARS);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('overlaySvg and FrameAnnotator (real sharp)', () => {
  const annotator = new FrameAnnotator();
  const W = 640;
  const H = 360;
  let frame: Buffer;

  beforeAll(async () => {
    frame = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .jpeg({ quality: 90 })
      .toBuffer();
  });

  async function pixels(jpeg: Buffer) {
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    return (x: number, y: number) =>
      Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
  }
  const differs = (a: number[], b: number[]) => a.some((v, i) => Math.abs(v - b[i]!) > 12);

  it('is an SVG of exactly the image size', () => {
    const svg = overlaySvg([{ points: square(1, 1, 5, 5), text: 'a<b' }], { width: 321, height: 123 });
    expect(svg).toMatch(/^<svg [^>]*width="321" height="123" viewBox="0 0 321 123">/);
    expect(svg).toContain('>a&lt;b</text>');
  });

  it('draws the boxes where the result says, in the stored frame (source 1280×720, frame 640×360), and nothing elsewhere', async () => {
    const geometry = { analysed: { width: W, height: H }, source: { width: 1280, height: 720 } };
    const result = { read: { lines: [{ polygon: square(400, 300, 400, 120), text: 'HELLO 42', confidence: 0.9 }] } };
    const out = await annotator.annotate(frame, result, geometry);
    expect(out).toMatchObject({ width: W, height: H });
    expect(await annotator.size(out.jpeg)).toEqual({ width: W, height: H });
    const before = await pixels(frame);
    const after = await pixels(out.jpeg);
    // The box is x 200–400, y 150–210 in the frame: its edge and its inside change, far away does not.
    expect(differs(after(300, 150), before(300, 150))).toBe(true);
    expect(differs(after(300, 180), before(300, 180))).toBe(true);
    expect(after(300, 180)[1]! - after(300, 180)[0]!).toBeGreaterThan(15); // tinted green
    for (const [x, y] of [
      [20, 340],
      [600, 20],
      [500, 300],
    ] as const)
      expect(differs(after(x, y), before(x, y))).toBe(false);
    // The label sits above the box: white text somewhere in the band above it.
    let bright = 0;
    for (let x = 200; x < 330; x++) for (let y = 130; y < 150; y++) if (after(x, y)[0]! > 200) bright++;
    expect(bright).toBeGreaterThan(20);
  });

  it('renders hostile and broken text without failing, and a result with nothing located as the frame unchanged', async () => {
    const result = { lines: [{ bbox: { x: 10, y: 10, width: 50, height: 20 }, text: '</text><script>&\u0000\ud800 ]]>' }] };
    await expect(annotator.annotate(frame, result, null)).resolves.toMatchObject({ width: W, height: H });
    const plain = await annotator.annotate(frame, { error: 'x' }, null);
    const [a, b] = [await pixels(plain.jpeg), await pixels(frame)];
    expect(differs(a(320, 180), b(320, 180))).toBe(false);
  });

  it('refuses bytes that are not an image', async () => {
    await expect(annotator.size(Buffer.from('not a jpeg'))).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
