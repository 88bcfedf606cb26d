import { COMMON_CONFIG, configPart, env, loadConfig, type ConfigOf, opsPortConfig } from '@framewire/runtime';
import { PIPELINE_CONFIG } from '@framewire/pipelines';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';

export const INFERENCE_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  ...PIPELINE_CONFIG,
  opsPort: opsPortConfig(9102),
  concurrency: {
    env: 'FW_INFER_CONCURRENCY',
    schema: env.int(1, 1, 64),
    doc: 'frames run at once by one replica; above 1, each in its own worker thread with its own ONNX sessions',
  },
};
export type InferenceConfig = ConfigOf<typeof INFERENCE_CONFIG_SPEC> & { storage: StorageConfig };

export function loadInferenceConfig(env: NodeJS.ProcessEnv = process.env): InferenceConfig {
  return { ...loadConfig(INFERENCE_CONFIG_SPEC, env), storage: configPart(() => storageConfigFromEnv(env)) };
}
