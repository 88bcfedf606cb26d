import { stat } from 'node:fs/promises';
import { DomainError, submitParamsSchema, type FrameGeometry, type VideoMetadata } from '@framewire/contracts';
import {
  checkRange,
  decodeThreadsOption,
  DEFAULT_DECODE_THREADS,
  DEFAULT_JPEG_QUALITY,
  keyframesInRange,
  MediaToolkit,
  type DecodedFrame,
} from '@framewire/media';
import { createPipelineRuntime, frameGeometry, mapResultToSource, PIPELINE_CONFIG } from '@framewire/pipelines';
import { ConfigError, loadConfig, replicaCoresFromEnv } from '@framewire/runtime';

/** One frame's outcome, shaped like a row of GET /v1/jobs/{id}/results. */
export interface FrameOutcome {
  frame_index: number;
  pts_ms: number;
  result: Record<string, unknown> | null;
  error: string | null;
  timings_ms: Record<string, number>;
  /** The analysed and source sizes (null in results stored before it existed); `result` is in source pixels. */
  geometry: FrameGeometry | null;
  /** Temporal reuse (job results only): the earlier frame whose result this is; absent when the models ran on it. */
  reused_from?: number;
}

export interface AnalyzeOptions {
  pipeline: string;
  stride: number | string | undefined;
  maxFrames: number | string | undefined;
  /** Sampling by time and range, as a job's sample_fps, start_ms and end_ms. */
  sampleFps?: number | string | undefined;
  startMs?: number | string | undefined;
  endMs?: number | string | undefined;
  /** `keyframes`: only the keyframes, as a job's `sample`. */
  sample?: string | undefined;
  /** Same variables, same defaults as the extractor and inference stages. */
  env?: NodeJS.ProcessEnv;
  /** The probe's result; keyframeCount: the keyframes in range (keyframe sampling), else null. */
  onVideo?: (video: VideoMetadata, keyframeCount: number | null) => void;
  onModelsLoaded?: (ms: number) => void;
  signal?: AbortSignal;
  /**
   * Frames run at once, each in its own worker thread with its own ONNX
   * sessions (default: FW_ANALYZE_WORKERS, else one per core). 1 runs every
   * frame on this thread, as before. Results are the same either way.
   */
  workers?: number;
}

/**
 * The distributed pipeline in one process, with no broker and no database:
 * the extractor's probe and sampled decode (same stride, budget, JPEG quality
 * and maximum width), then the inference stage's pipeline run on each JPEG,
 * with a frame the pipeline fails on kept as a result with its error. The
 * per-frame results are the ones a job over the same video and pipeline
 * stores, which makes this the baseline the distributed run is measured against.
 */
export async function* analyzeVideo(path: string, opts: AnalyzeOptions): AsyncGenerator<FrameOutcome> {
  const env = opts.env ?? process.env;
  const params = submitParamsSchema.safeParse({
    pipeline_id: opts.pipeline,
    frame_stride: opts.stride,
    max_frames: opts.maxFrames,
    sample_fps: opts.sampleFps,
    start_ms: opts.startMs,
    end_ms: opts.endMs,
    sample: opts.sample,
  });
  if (!params.success) {
    throw new DomainError(
      'INVALID_ARGUMENT',
      `invalid parameters: ${params.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const {
    pipeline_id: pipelineId,
    frame_stride: stride,
    max_frames: maxFrames,
    sample_fps: sampleFps,
    start_ms: startMs,
    end_ms: endMs,
    sample,
  } = params.data;

  // The inference stage's pipeline runtime, from the same variables (FW_MODEL_DIR, FW_ONNX_THREADS, FW_PLUGIN_DIRS,
  // FW_PIPELINE_DIRS). One worker: frames on this thread. Several: one runner per worker thread, each session on
  // cores / workers intra-op threads (FW_ONNX_THREADS overrides), because a session runs on the thread that calls it.
  const workers = opts.workers ?? intEnv(env, 'FW_ANALYZE_WORKERS', replicaCoresFromEnv(env));
  if (!Number.isInteger(workers) || workers < 1) throw new DomainError('INVALID_ARGUMENT', 'FW_ANALYZE_WORKERS must be an integer >= 1');
  const { pipelines, runner } = createPipelineRuntime({ ...pipelineConfig(env), workers });
  pipelines.get(pipelineId); // UNKNOWN_PIPELINE, with the known ones, before any model loads
  const info = await stat(path);
  if (!info.isFile()) throw new DomainError('INVALID_ARGUMENT', `${path} is not a file`);
  if (info.size === 0) throw new DomainError('INVALID_VIDEO', 'file is empty');
  const media = new MediaToolkit();
  if ((await media.sniffFile(path)) === null) {
    throw new DomainError(
      'UNSUPPORTED_MEDIA',
      'file is not a video: its content matches no known video container (MP4, MOV, MKV, WebM, AVI, MPEG-TS, FLV, Ogg, ASF)',
    );
  }
  const video = await media.probeVideo(path);
  checkRange(video.duration_ms, { startMs, endMs });
  // Keyframe sampling: the packet list (no decoding) gives each keyframe's index in the whole video, as the extractor does.
  const keyframes = sample === 'keyframes' ? await media.probeKeyframes(path) : null;
  opts.onVideo?.(video, keyframes === null ? null : keyframesInRange(keyframes, { startMs, endMs }).length);

  try {
    const t0 = performance.now();
    await runner.init([pipelineId]);
    opts.onModelsLoaded?.(performance.now() - t0);

    const frames = media.decodeFrames(path, {
      stride,
      maxFrames,
      sampleFps,
      startMs,
      endMs,
      keyframes,
      decodeThreads: decodeThreadsOption(intEnv(env, 'FW_DECODE_THREADS', DEFAULT_DECODE_THREADS)),
      jpegQuality: intEnv(env, 'FW_JPEG_QUALITY', DEFAULT_JPEG_QUALITY),
      maxWidth: intEnv(env, 'FW_MAX_FRAME_WIDTH', 1920),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    // Up to two frames per worker in flight (so a worker never waits for the next frame while an earlier, slower
    // one holds up the in-order output), results yielded in frame order.
    const window = workers === 1 ? 1 : 2 * workers;
    const inFlight: Array<Promise<FrameOutcome | { fatal: unknown }>> = [];
    const runOne = async (f: DecodedFrame): Promise<FrameOutcome | { fatal: unknown }> => {
      const frame = { jpeg: f.jpeg, width: f.width, height: f.height, index: f.index, ptsMs: f.ptsMs };
      // The inference stage's mapping to source-video pixels, with the size the extractor would send.
      const geometry = frameGeometry(f, { width: f.sourceWidth, height: f.sourceHeight });
      try {
        const run = await runner.run(pipelineId, frame);
        const result = mapResultToSource(run.result, geometry);
        return { frame_index: f.index, pts_ms: f.ptsMs, result, error: null, timings_ms: run.timings_ms, geometry };
      } catch (err) {
        if (!(err instanceof DomainError) || err.code !== 'FRAME_FAILED') return { fatal: err };
        return { frame_index: f.index, pts_ms: f.ptsMs, result: null, error: err.message, timings_ms: {}, geometry };
      }
    };
    const next = async (): Promise<FrameOutcome> => {
      const out = await (inFlight.shift() as Promise<FrameOutcome | { fatal: unknown }>);
      if ('fatal' in out) throw out.fatal;
      return out;
    };
    try {
      for await (const f of frames) {
        inFlight.push(runOne(f));
        if (inFlight.length >= window) yield await next();
      }
      while (inFlight.length > 0) yield await next();
    } finally {
      await Promise.allSettled(inFlight); // a stopped iteration still waits for the frames it started
    }
  } finally {
    await runner.close();
  }
}

/** PIPELINE_CONFIG from `env`; a bad value is an INVALID_ARGUMENT naming the variable, like the CLI's other errors. */
function pipelineConfig(env: NodeJS.ProcessEnv) {
  try {
    return loadConfig(PIPELINE_CONFIG, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new DomainError('INVALID_ARGUMENT', err.problems.join('; '));
    throw err;
  }
}

function intEnv(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new DomainError('INVALID_ARGUMENT', `${name} must be an integer`);
  return n;
}
