/**
 * The ONNX Runtime adapter: the only file that touches onnxruntime-node. A
 * model is read once, hashed (for pinning results to the exact weights) and
 * turned into one InferenceSession that every frame reuses.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { replicaCoresFromEnv } from '@framewire/runtime';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';

export interface OnnxSessionOptions {
  /** Threads inside one operator (convolutions). */
  readonly intraOpNumThreads: number;
  /** Threads across operators; only used by executionMode 'parallel'. */
  readonly interOpNumThreads: number;
  readonly graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  readonly executionMode: 'sequential' | 'parallel';
  readonly enableCpuMemArena: boolean;
  readonly enableMemPattern: boolean;
  /**
   * Whether idle intra-op threads spin waiting for work (session.intra_op.allow_spinning).
   * Spinning is faster on an idle machine and much slower when other processes compete for the cores.
   */
  readonly allowSpinning: boolean;
}

/**
 * Defaults measured on the 2-core reference machine with the three PaddleOCR
 * models on a 720p frame (libs/pipelines/bench/session-bench.ts, figures in
 * the README): one intra-op thread per core, sequential execution, all graph
 * optimisations (the layout transforms are worth ~25% over 'extended'), CPU
 * arena and memory pattern on, and no spinning: idle intra-op threads that
 * spin were no faster even at the quietest moments and up to twice as slow
 * whenever other processes (the other stages, a second replica) wanted the
 * cores, which on these machines is always. "Core" means the cores of this
 * replica: the cgroup CPU quota applied, shared out between the replicas a
 * supervisor starts on the host (FW_REPLICAS_PER_HOST; FW_ONNX_THREADS
 * overrides).
 */
export const DEFAULT_ONNX_SESSION_OPTIONS: OnnxSessionOptions = Object.freeze({
  intraOpNumThreads: replicaCoresFromEnv(),
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  enableCpuMemArena: true,
  enableMemPattern: true,
  allowSpinning: false,
});

/** A tensor as plain data; `ort.Tensor` satisfies it, and so does a test fake. */
export interface TensorData {
  readonly type: ort.Tensor.Type;
  readonly data: ort.Tensor.DataType;
  readonly dims: readonly number[];
}

export type TensorMap = Readonly<Record<string, TensorData>>;

/** What the plugins need from a loaded model; `OnnxModel` is the real one. */
export interface InferenceModel {
  /** File name of the model, e.g. ch_PP-OCRv4_det_infer.onnx. */
  readonly name: string;
  readonly path: string;
  /** sha256 of the model file, hex. */
  readonly sha256: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: TensorMap): Promise<TensorMap>;
  close(): Promise<void>;
}

export type ModelLoader = (path: string, options?: Partial<OnnxSessionOptions>) => Promise<InferenceModel>;

export function float32Tensor(data: Float32Array, dims: readonly number[]): TensorData {
  return { type: 'float32', data, dims };
}

export class OnnxModel implements InferenceModel {
  readonly name: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private closed = false;

  private constructor(
    readonly path: string,
    readonly sha256: string,
    readonly options: OnnxSessionOptions,
    private readonly session: ort.InferenceSession,
  ) {
    this.name = basename(path);
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  /** Read, hash and load a model. The file is read once: the session is built from the same bytes. */
  static async load(path: string, options: Partial<OnnxSessionOptions> = {}): Promise<OnnxModel> {
    const opts: OnnxSessionOptions = { ...DEFAULT_ONNX_SESSION_OPTIONS, ...options };
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new Error(`cannot read model ${path}: ${(err as Error).message}`, { cause: err });
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        executionProviders: ['cpu'],
        intraOpNumThreads: opts.intraOpNumThreads,
        interOpNumThreads: opts.interOpNumThreads,
        graphOptimizationLevel: opts.graphOptimizationLevel,
        executionMode: opts.executionMode,
        enableCpuMemArena: opts.enableCpuMemArena,
        enableMemPattern: opts.enableMemPattern,
        logSeverityLevel: 3,
        // The Node binding flattens `extra` into session config entries ("session.intra_op.allow_spinning").
        extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
      });
    } catch (err) {
      throw new Error(`cannot load model ${path}: ${(err as Error).message}`, { cause: err });
    }
    return new OnnxModel(path, sha256, opts, session);
  }

  async run(feeds: TensorMap): Promise<TensorMap> {
    if (this.closed) throw new Error(`model ${this.name} is closed`);
    const input: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      // Wraps the caller's typed array; no copy.
      input[name] = t instanceof ort.Tensor ? t : new ort.Tensor(t.type, t.data, t.dims);
    }
    return this.session.run(input);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}

export const loadOnnxModel: ModelLoader = (path, options) => OnnxModel.load(path, options);
