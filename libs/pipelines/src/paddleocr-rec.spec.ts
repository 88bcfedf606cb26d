import { FakeCodec } from '../test-support/fake-plugins';
import { FrameImage, type RgbImage } from './frame';
import type { InferenceModel, TensorMap } from './onnx';
import { cropQuad, rotate180, rotate90ccw } from './plugins/paddleocr/crop';
import { ctcGreedyDecode, parseCharset } from './plugins/paddleocr/ctc';
import { PADDLEOCR_MODEL_FILES } from './plugins/paddleocr/models';
import { PaddleOcrPlugin, classifyAngleParamsSchema, recognizeTextParamsSchema } from './plugins/paddleocr/paddleocr.plugin';
import { REC_NORMALIZE, fitWidth, writeNchwPadded } from './plugins/paddleocr/preprocess';

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

const px = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('cropQuad and rotations', () => {
  it('cuts an axis-aligned box pixel for pixel', () => {
    const img = coordImage(40, 30);
    const crop = cropQuad(img, [
      [10, 5],
      [30, 5],
      [30, 15],
      [10, 15],
    ]);
    expect([crop.width, crop.height]).toEqual([20, 10]);
    expect(px(crop, 0, 0)).toEqual([10, 5, 7]);
    expect(px(crop, 19, 9)).toEqual([29, 14, 7]);
  });

  it('straightens a rotated box so its top edge becomes the first row', () => {
    const img = coordImage(60, 60);
    // A 20x10 box rotated by 90° clockwise: its top edge runs downwards at x = 40.
    const crop = cropQuad(img, [
      [40, 10],
      [40, 30],
      [30, 30],
      [30, 10],
    ]);
    expect([crop.width, crop.height]).toEqual([20, 10]);
    expect(px(crop, 0, 0)).toEqual([40, 10, 7]);
    expect(px(crop, 5, 0)).toEqual([40, 15, 7]);
    expect(px(crop, 0, 4)).toEqual([36, 10, 7]);
  });

  it('clamps samples to the frame', () => {
    const crop = cropQuad(coordImage(10, 10), [
      [-5, -5],
      [5, -5],
      [5, 5],
      [-5, 5],
    ]);
    expect(px(crop, 0, 0)).toEqual([0, 0, 7]);
  });

  it('turns images by a half and a quarter', () => {
    const img = coordImage(3, 2);
    const half = rotate180(img);
    expect(px(half, 0, 0)).toEqual([2, 1, 7]);
    expect(px(half, 2, 1)).toEqual([0, 0, 7]);
    const quarter = rotate90ccw(img);
    expect([quarter.width, quarter.height]).toEqual([2, 3]);
    // The right edge becomes the top row.
    expect(px(quarter, 0, 0)).toEqual([2, 0, 7]);
    expect(px(quarter, 1, 0)).toEqual([2, 1, 7]);
    expect(px(quarter, 0, 2)).toEqual([0, 0, 7]);
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

describe('recognition preprocessing', () => {
  it('fits widths to the input height, rounding up and capping', () => {
    expect(fitWidth(100, 20, 48, 320)).toBe(240);
    expect(fitWidth(101, 20, 48, 320)).toBe(243);
    expect(fitWidth(1000, 20, 48, 320)).toBe(320);
  });

  it('writes an item left-aligned into its batch slot, leaving the padding at zero', () => {
    const img = { data: Buffer.from([255, 0, 0, 0, 0, 255]), width: 2, height: 1 };
    const out = new Float32Array(2 * 3 * 1 * 3);
    writeNchwPadded(img, REC_NORMALIZE, out, 1, 1, 3);
    expect(Array.from(out.subarray(0, 9))).toEqual(new Array(9).fill(0));
    // Item 1: B plane [-1, 1, 0], G plane [-1, -1, 0], R plane [1, -1, 0].
    expect(Array.from(out.subarray(9))).toEqual([-1, 1, 0, -1, -1, 0, 1, -1, 0]);
    expect(() => writeNchwPadded({ ...img, width: 4, data: Buffer.alloc(12) }, REC_NORMALIZE, out, 0, 1, 3)).toThrow(/does not fit/);
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
      codec: new FakeCodec(1, 1),
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
      { pipelineId: 'p', nodeId: 'read', params: recognizeTextParamsSchema.parse({ batch_size: 2 }) },
    );
    // Sorted by aspect ratio: [40-wide, 60-wide] then [300-wide]; planes 320 and 720 (= 48 * 300/20) wide.
    expect(feeds['rec'].map((f) => f['x'].dims)).toEqual([
      [2, 3, 48, 320],
      [1, 3, 48, 720],
    ]);
    expect(out).toEqual({
      lines: [
        { text: 'AB', score: 0.8, polygon: regions[0].polygon, bbox: regions[0].bbox, det_score: 0.9 },
        { text: 'A', score: 0.8, polygon: regions[1].polygon, bbox: regions[1].bbox, det_score: 0.9 },
        { text: 'A', score: 0.8, polygon: regions[2].polygon, bbox: regions[2].bbox, det_score: 0.7 },
      ],
    });
    const strict = await plugin.tools.recognize_text.run(
      { frame, inputs: {}, inputsByType: { text_regions: [{ regions }] } },
      { pipelineId: 'p', nodeId: 'read', params: recognizeTextParamsSchema.parse({ min_score: 0.9 }) },
    );
    expect(strict).toEqual({ lines: [] });
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
