import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeCodec } from '../test-support/fake-plugins';
import { FrameImage, type RgbImage } from './frame';
import type { InferenceModel, TensorMap } from './onnx';
import { type Pt, padQuad, quadShortSide, quadSize, sampleQuadToTensor, uprightQuad } from './plugins/paddleocr/crop';
import { ctcGreedyDecode, parseCharset } from './plugins/paddleocr/ctc';
import { PADDLEOCR_MODEL_FILES, defaultPaddleOcrModelDir } from './plugins/paddleocr/models';
import { PaddleOcrPlugin, classifyAngleParamsSchema, recognizeTextParamsSchema } from './plugins/paddleocr/paddleocr.plugin';
import { type NormalizeSpec, REC_NORMALIZE, batchBySimilarWidth, fitWidth } from './plugins/paddleocr/preprocess';

/** W x H image whose pixel (x, y) is [x, y, 7]. */
function coordImage(width: number, height: number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = x;
      data[i + 1] = y;
      data[i + 2] = 7;
    }
  return { data, width, height, channels: 3 };
}

/** Normalisation that keeps 8-bit values as they are, in R, G, B order: tensors read like the image. */
const IDENTITY: NormalizeSpec = { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], order: 'rgb' };

/** Pixel (u, v) of item `index` of an N x 3 x H x W tensor, as [c0, c1, c2] rounded. */
function at(t: Float32Array, index: number, u: number, v: number, h: number, w: number): number[] {
  const plane = h * w;
  return [0, 1, 2].map((c) => Math.round(t[index * 3 * plane + c * plane + v * w + u] * 1000) / 1000);
}

describe('sampling text quadrilaterals into tensors', () => {
  it('samples an axis-aligned box pixel for pixel when the sizes match', () => {
    const img = coordImage(40, 30);
    // Corners on pixel edges: 20 x 10 pixels, their centres at x = 10..29, y = 5..14.
    const quad: Pt[] = [
      [9.5, 4.5],
      [29.5, 4.5],
      [29.5, 14.5],
      [9.5, 14.5],
    ];
    expect(quadSize(quad)).toEqual({ width: 20, height: 10 });
    const out = new Float32Array(3 * 10 * 24);
    sampleQuadToTensor(img, quad, 20, IDENTITY, out, 0, 10, 24);
    expect(at(out, 0, 0, 0, 10, 24)).toEqual([10, 5, 7]);
    expect(at(out, 0, 19, 9, 10, 24)).toEqual([29, 14, 7]);
    // Right of the image: the padding keeps its zeros.
    expect(at(out, 0, 20, 0, 10, 24)).toEqual([0, 0, 0]);
  });

  it('resizes while it samples, and writes B, G, R planes normalised for the model', () => {
    const img = coordImage(40, 30);
    const quad: Pt[] = [
      [9.5, 4.5],
      [29.5, 4.5],
      [29.5, 14.5],
      [9.5, 14.5],
    ];
    const out = new Float32Array(2 * 3 * 5 * 10);
    sampleQuadToTensor(img, quad, 10, REC_NORMALIZE, out, 1, 5, 10);
    expect(Array.from(out.subarray(0, 150)).every((v) => v === 0)).toBe(true);
    // Half size: output (0, 0) samples the frame at (10.5, 5.5) → rgb [10.5, 5.5, 7] rounded to [11, 6, 7]; planes B, G, R.
    const norm = (v: number) => Math.round(((v / 255 - 0.5) / 0.5) * 1000) / 1000;
    expect(at(out, 1, 0, 0, 5, 10)).toEqual([norm(7), norm(6), norm(11)]);
  });

  it('averages the frame pixels an output pixel spans when it shrinks, so fine stripes do not alias', () => {
    // One-pixel black and white columns, squeezed 4 times: every output pixel is mid-grey.
    const stripes: RgbImage = { data: Buffer.alloc(64 * 8 * 3), width: 64, height: 8, channels: 3 };
    for (let i = 0; i < 64 * 8; i++) if (i % 2) stripes.data.fill(255, i * 3, i * 3 + 3);
    const out = new Float32Array(3 * 2 * 16);
    const quad: Pt[] = [
      [-0.5, -0.5],
      [63.5, -0.5],
      [63.5, 7.5],
      [-0.5, 7.5],
    ];
    sampleQuadToTensor(stripes, quad, 16, IDENTITY, out, 0, 2, 16);
    for (let u = 0; u < 16; u++) expect(at(out, 0, u, 1, 2, 16)).toEqual([128, 128, 128]);
  });

  it('follows a rotated box so that its first corner becomes the top-left', () => {
    const img = coordImage(60, 60);
    // A 20 x 10 box turned a quarter clockwise: its top edge runs downwards along x = 40.
    const quad: Pt[] = [
      [40.5, 9.5],
      [40.5, 29.5],
      [30.5, 29.5],
      [30.5, 9.5],
    ];
    const out = new Float32Array(3 * 10 * 20);
    sampleQuadToTensor(img, quad, 20, IDENTITY, out, 0, 10, 20);
    expect(at(out, 0, 0, 0, 10, 20)).toEqual([40, 10, 7]);
    expect(at(out, 0, 5, 0, 10, 20)).toEqual([40, 15, 7]);
    expect(at(out, 0, 0, 4, 10, 20)).toEqual([36, 10, 7]);
  });

  it('clamps samples to the frame border', () => {
    const out = new Float32Array(3 * 2 * 2);
    sampleQuadToTensor(
      coordImage(10, 10),
      [
        [-5, -5],
        [5, -5],
        [5, 5],
        [-5, 5],
      ],
      2,
      IDENTITY,
      out,
      0,
      2,
      2,
    );
    expect(at(out, 0, 0, 0, 2, 2)).toEqual([0, 0, 7]);
    expect(() =>
      sampleQuadToTensor(
        coordImage(10, 10),
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
        3,
        IDENTITY,
        out,
        0,
        2,
        2,
      ),
    ).toThrow(/does not fit/);
  });

  it('turns quadrilaterals upright by re-ordering their corners', () => {
    const wide: Pt[] = [
      [0, 0],
      [30, 0],
      [30, 10],
      [0, 10],
    ];
    expect(uprightQuad(wide)).toEqual(wide);
    // Upside down: the bottom-right corner becomes the top-left.
    expect(uprightQuad(wide, 180)).toEqual([wide[2], wide[3], wide[0], wide[1]]);
    // At least 1.5 times taller than wide: laid down, the right edge becoming the top (np.rot90).
    const tall: Pt[] = [
      [0, 0],
      [10, 0],
      [10, 30],
      [0, 30],
    ];
    expect(uprightQuad(tall)).toEqual([tall[1], tall[2], tall[3], tall[0]]);
    expect(uprightQuad(tall, 180)).toEqual([tall[3], tall[0], tall[1], tall[2]]);
  });

  it('pads a rotated rectangle along its own axes', () => {
    const c = Math.SQRT1_2;
    // A 20 x 10 rectangle turned 45°.
    const quad: Pt[] = [
      [0, 0],
      [20 * c, 20 * c],
      [20 * c - 10 * c, 20 * c + 10 * c],
      [-10 * c, 10 * c],
    ];
    expect(quadShortSide(quad)).toBeCloseTo(10, 9);
    const padded = padQuad(quad, 2);
    const side = (a: readonly number[], b: readonly number[]) => Math.hypot(b[0] - a[0], b[1] - a[1]);
    expect(side(padded[0], padded[1])).toBeCloseTo(24, 9);
    expect(side(padded[0], padded[3])).toBeCloseTo(14, 9);
    expect(padQuad(quad, 0)).toEqual(quad);
  });
});

describe('recognition batches', () => {
  it('groups crops of similar width, at most maxBatch each, narrowest first', () => {
    expect(batchBySimilarWidth([10, 2, 2.5, 11, 3.5, 2.2], 6)).toEqual([[1, 5, 2], [4], [0, 3]]);
    expect(batchBySimilarWidth([1, 1, 1, 1, 1], 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(batchBySimilarWidth([4, 1], 6, Infinity)).toEqual([[1, 0]]);
    expect(batchBySimilarWidth([], 6)).toEqual([]);
  });
});

describe('CTC decoding', () => {
  it('parses a dictionary with blank first and space last', () => {
    expect(parseCharset('a\nb\r\nc\n')).toEqual(['', 'a', 'b', 'c', ' ']);
    expect(parseCharset('a\nb', false)).toEqual(['', 'a', 'b']);
  });

  it('collapses repeats, drops blanks and averages kept probabilities', () => {
    const charset = ['', 'H', 'I', ' '];
    // steps: H H blank I I blank I  → "HII"
    const best = [1, 1, 0, 2, 2, 0, 2];
    const p = [0.9, 0.8, 0.99, 0.7, 0.6, 0.99, 0.5];
    const probs = new Float32Array(best.length * 4);
    best.forEach((c, t) => {
      probs.fill((1 - p[t]) / 3, t * 4, t * 4 + 4);
      probs[t * 4 + c] = p[t]!;
    });
    const d = ctcGreedyDecode(probs, best.length, 4, charset);
    expect(d.text).toBe('HII');
    expect(d.score).toBeCloseTo((0.9 + 0.7 + 0.5) / 3, 5);
    expect(
      ctcGreedyDecode(
        new Float32Array(8).fill(0).map((_, i) => (i % 4 === 0 ? 1 : 0)),
        2,
        4,
        charset,
      ),
    ).toEqual({
      text: '',
      score: 0,
    });
  });
});

describe('CTC decoding against the PP-OCRv4 dictionary (fixed tensor)', () => {
  const charset = parseCharset(readFileSync(join(defaultPaddleOcrModelDir(), PADDLEOCR_MODEL_FILES.keys), 'utf8'));
  const classOf = (ch: string) => {
    const i = charset.indexOf(ch);
    if (i <= 0) throw new Error(`'${ch}' is not in the dictionary`);
    return i;
  };

  /** A T x 6625 probability tensor whose best class at each step follows `steps` ('_' is the blank). */
  function tensor(steps: string[], p = 0.9): Float32Array {
    const classes = charset.length;
    const probs = new Float32Array(steps.length * classes).fill((1 - p) / (classes - 1));
    steps.forEach((s, t) => (probs[t * classes + (s === '_' ? 0 : classOf(s))] = p));
    return probs;
  }

  it('has the 6625 classes the model outputs: blank first, space last', () => {
    expect(charset).toHaveLength(6625);
    expect(charset[0]).toBe('');
    expect(charset[6624]).toBe(' ');
  });

  it('reads digits, a dash and a space, collapsing repeats and keeping those a blank separates', () => {
    const steps = '_ 5 5 _ 5 _ 5 5 - - 0 1 _ 9 9 _ 9 _   A A - 7 _'.split(' ').map((s) => s || ' ');
    // The space between "9" and "A" is class 6624; '_' steps are blanks.
    const d = ctcGreedyDecode(tensor(steps), steps.length, charset.length, charset);
    expect(d.text).toBe('555-0199 A-7');
    expect(d.score).toBeCloseTo(0.9, 5);
  });

  it('decodes each item of a batch at its offset', () => {
    const a = '2 0 _ 2 4 - 0 5 - 1 7'.split(' ');
    const b = 'F R A M E W I R E _ _'.split(' ');
    const classes = charset.length;
    const batch = new Float32Array(2 * a.length * classes);
    batch.set(tensor(a), 0);
    batch.set(tensor(b, 0.8), a.length * classes);
    expect(ctcGreedyDecode(batch, a.length, classes, charset, 0).text).toBe('2024-05-17');
    const second = ctcGreedyDecode(batch, b.length, classes, charset, a.length * classes);
    expect(second.text).toBe('FRAMEWIRE');
    expect(second.score).toBeCloseTo(0.8, 5);
  });
});

describe('recognition preprocessing', () => {
  it('fits widths to the input height, rounding up and capping', () => {
    expect(fitWidth(100, 20, 48, 320)).toBe(240);
    expect(fitWidth(101, 20, 48, 320)).toBe(243);
    expect(fitWidth(1000, 20, 48, 320)).toBe(320);
  });
});

describe('PaddleOcrPlugin recognition and angle classification (fake models)', () => {
  const charset = ['', 'A', 'B', ' '];
  const region = (x: number, width: number, score = 0.9) => ({
    polygon: [
      [x, 10],
      [x + width, 10],
      [x + width, 30],
      [x, 30],
    ] as [number, number][],
    score,
    bbox: { x, y: 10, width, height: 20 },
  });

  function setup(options: { recClasses?: number } = {}) {
    const feeds: Record<string, TensorMap[]> = { rec: [], cls: [] };
    const model = (kind: 'rec' | 'cls'): InferenceModel => ({
      name: `${kind}.onnx`,
      path: `/m/${kind}.onnx`,
      sha256: kind.repeat(32).slice(0, 64),
      inputNames: ['x'],
      outputNames: ['y'],
      run: async (f) => {
        feeds[kind].push(f);
        const [n, , , w] = f['x'].dims;
        if (kind === 'cls') {
          // Item i is upside down when i is odd; the second of each pair only weakly.
          const data = new Float32Array(n * 2);
          for (let i = 0; i < n; i++) data.set(i % 2 === 0 ? [0.99, 0.01] : [0.05, 0.95], i * 2);
          return { y: { type: 'float32', data, dims: [n, 2] } };
        }
        // Every item reads "AB" when the input is wide (>= 400) and "A" otherwise.
        const classes = options.recClasses ?? charset.length;
        const steps = w / 8;
        const data = new Float32Array(n * steps * classes);
        for (let i = 0; i < n; i++)
          for (let t = 0; t < steps; t++) {
            const c = t === 0 ? 1 : t === 2 && w >= 400 ? 2 : 0;
            data[(i * steps + t) * classes + c] = 0.8;
          }
        return { y: { type: 'float32', data, dims: [n, steps, classes] } };
      },
      close: async () => undefined,
    });
    const plugin = new PaddleOcrPlugin({
      modelDir: '/m',
      loadModel: async (path) => (path.includes('rec') ? model('rec') : model('cls')),
      modelFiles: { keys: '/dev/null' },
    });
    // The dictionary of the fake: A, B (the space comes from use_space_char).
    Object.assign(plugin, { charset: Promise.resolve(charset) });
    const frame = new FrameImage({ jpeg: Buffer.from([1]), width: 640, height: 48, index: 0, ptsMs: 0 }, new FakeCodec(640, 48));
    return { plugin, feeds, frame };
  }

  it('reads each region, batching by width and keeping region order', async () => {
    const { plugin, feeds, frame } = setup();
    const regions = [region(10, 300), region(320, 40), region(400, 60, 0.7)];
    const out = await plugin.tools.recognize_text.run(
      { frame, inputs: { detect: { regions } }, inputsByType: { text_regions: [{ regions }] } },
      { pipelineId: 'p', nodeId: 'read', params: recognizeTextParamsSchema.parse({ batch_size: 2, crop_pad: 0 }) },
    );
    // Sorted by aspect ratio: [40-wide, 60-wide] then [300-wide]; planes 320 and 720 (= 48 * 300/20) wide.
    expect(feeds['rec'].map((f) => f['x'].dims)).toEqual([
      [2, 3, 48, 320],
      [1, 3, 48, 720],
    ]);
    expect(out).toEqual({
      lines: [
        { text: 'AB', confidence: 0.8, polygon: regions[0].polygon, bbox: regions[0].bbox, det_score: 0.9 },
        { text: 'A', confidence: 0.8, polygon: regions[1].polygon, bbox: regions[1].bbox, det_score: 0.9 },
        { text: 'A', confidence: 0.8, polygon: regions[2].polygon, bbox: regions[2].bbox, det_score: 0.7 },
      ],
    });
    const strict = await plugin.tools.recognize_text.run(
      { frame, inputs: {}, inputsByType: { text_regions: [{ regions }] } },
      { pipelineId: 'p', nodeId: 'read', params: recognizeTextParamsSchema.parse({ min_score: 0.9 }) },
    );
    expect(strict).toEqual({ lines: [] });
  });

  it('reads each region with a margin of crop_pad line heights (0.3 by default), reporting the detected polygon', async () => {
    const { plugin, feeds, frame } = setup();
    const regions = [region(10, 300)];
    const out = (await plugin.tools.recognize_text.run(
      { frame, inputs: {}, inputsByType: { text_regions: [{ regions }] } },
      { pipelineId: 'p', nodeId: 'read', params: recognizeTextParamsSchema.parse({}) },
    )) as { lines: Array<{ polygon: unknown }> };
    // 300x20 grown by 0.3 x 20 = 6 px on every side: a 312x32 crop, 48 x 312/32 = 468 wide at height 48.
    expect(feeds['rec'].map((f) => f['x'].dims)).toEqual([[1, 3, 48, 468]]);
    expect(out.lines[0].polygon).toEqual(regions[0].polygon);
  });

  it('trims the spaces a padded crop may add around a line, and drops a line that is only spaces', async () => {
    const { plugin, frame } = setup();
    // A dictionary whose class 1 is a space: the fake reads " B" on a wide input and " " on a narrow one.
    Object.assign(plugin, { charset: Promise.resolve(['', ' ', 'B', ' ']) });
    const regions = [region(10, 300), region(320, 40)];
    const out = (await plugin.tools.recognize_text.run(
      { frame, inputs: {}, inputsByType: { text_regions: [{ regions }] } },
      { pipelineId: 'p', nodeId: 'read', params: recognizeTextParamsSchema.parse({ crop_pad: 0, batch_size: 1 }) },
    )) as { lines: Array<{ text: string }> };
    expect(out.lines.map((l) => l.text)).toEqual(['B']);
  });

  it('marks regions upside down only above the threshold', async () => {
    const { plugin, feeds, frame } = setup();
    const regions = [region(10, 100), region(200, 100), region(400, 100)];
    const run = (thresh: number) =>
      plugin.tools.classify_angle.run(
        { frame, inputs: {}, inputsByType: { text_regions: [{ regions }] } },
        { pipelineId: 'p', nodeId: 'angle', params: classifyAngleParamsSchema.parse({ thresh }) },
      ) as Promise<{ regions: Array<{ angle: number; angle_score: number }> }>;
    expect((await run(0.9)).regions.map((r) => [r.angle, r.angle_score])).toEqual([
      [0, 0.99],
      [180, 0.95],
      [0, 0.99],
    ]);
    expect((await run(0.96)).regions.map((r) => r.angle)).toEqual([0, 0, 0]);
    expect(feeds['cls'][0]['x'].dims).toEqual([3, 3, 48, 192]);
  });

  it('refuses a dictionary that does not match the model classes', async () => {
    const { plugin, frame } = setup({ recClasses: 6625 });
    const regions = [region(10, 100)];
    await expect(
      plugin.tools.recognize_text.run(
        { frame, inputs: {}, inputsByType: { text_regions: [{ regions }] } },
        { pipelineId: 'p', nodeId: 'read', params: recognizeTextParamsSchema.parse({}) },
      ),
    ).rejects.toThrow(/expected \[1xTx4\] for a 4-class dictionary/);
  });

  it('needs exactly one text_regions input', async () => {
    const { plugin, frame } = setup();
    const params = recognizeTextParamsSchema.parse({});
    await expect(
      plugin.tools.recognize_text.run({ frame, inputs: {}, inputsByType: {} }, { pipelineId: 'p', nodeId: 'r', params }),
    ).rejects.toThrow(/exactly one text_regions input, got 0/);
    await expect(
      plugin.tools.recognize_text.run(
        { frame, inputs: {}, inputsByType: { text_regions: [{}] } },
        { pipelineId: 'p', nodeId: 'r', params },
      ),
    ).rejects.toThrow(/no regions array/);
  });

  it('loads only the models of the tools asked for', async () => {
    const loaded: string[] = [];
    const plugin = new PaddleOcrPlugin({
      modelDir: '/m',
      loadModel: async (path) => {
        loaded.push(path);
        return {
          name: 'x',
          path,
          sha256: '0'.repeat(64),
          inputNames: ['x'],
          outputNames: ['y'],
          run: async () => ({}),
          close: async () => undefined,
        };
      },
      modelFiles: { keys: __filename },
    });
    await plugin.init({ tools: ['classify_angle'] });
    expect(loaded).toEqual([`/m/${PADDLEOCR_MODEL_FILES.cls}`]);
    expect(plugin.tools.detect_text.models!()).toEqual([]);
    expect(plugin.tools.classify_angle.models!()).toHaveLength(1);
  });
});
