import { COMMON_CONFIG, configPart, env, loadConfig, type ConfigOf, opsPortConfig, REPLICA_CORES_CONFIG } from '@framewire/runtime';
import { PIPELINE_CONFIG } from '@framewire/pipelines';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';

export const INFERENCE_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  ...PIPELINE_CONFIG,
  ...REPLICA_CORES_CONFIG,
  opsPort: opsPortConfig(9102),
  concurrency: {
    env: 'FW_INFER_CONCURRENCY',
    schema: env.intOrComputed(1, 64),
    doc: 'frames run at once by one replica (default: the cores of this replica); above 1, each in its own worker thread with its own ONNX sessions',
  },
};
export type InferenceConfig = Omit<ConfigOf<typeof INFERENCE_CONFIG_SPEC>, 'concurrency'> & { concurrency: number; storage: StorageConfig };

/** Unset FW_INFER_CONCURRENCY: one frame at once per core of this replica (the fastest layout measured: README, Performance). */
export function loadInferenceConfig(env: NodeJS.ProcessEnv = process.env): InferenceConfig {
  const c = loadConfig(INFERENCE_CONFIG_SPEC, env);
  return { ...c, concurrency: c.concurrency ?? Math.min(64, c.replicaCores), storage: configPart(() => storageConfigFromEnv(env)) };
}
