import { z } from 'zod';
import { COMMON_CONFIG, configPart, DATABASE_CONFIG, env, loadConfig, type ConfigOf } from '@framewire/runtime';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';

export const INTAKE_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  ...DATABASE_CONFIG,
  httpPort: { env: 'FW_HTTP_PORT', schema: env.port(3000), doc: 'HTTP port of the API' },
  maxUploadBytes: { env: 'FW_MAX_UPLOAD_BYTES', schema: env.int(2 * 1024 ** 3, 1024, 1024 ** 4), doc: 'largest accepted video, in bytes' },
  uploadTmpDir: {
    env: 'FW_UPLOAD_TMP_DIR',
    schema: env.string('.data/uploads'),
    doc: 'where uploads are streamed before they are checked (same filesystem as FW_STORAGE_ROOT makes storing a rename)',
  },
  pipelineDirs: {
    env: 'FW_PIPELINE_DIRS',
    schema: z.string().optional(),
    doc: 'extra directories of pipeline definitions (JSON), comma-separated',
  },
  defaultPipeline: {
    env: 'FW_DEFAULT_PIPELINE',
    schema: env.string('text_regions'),
    doc: 'pipeline of the legacy /v1/video/submit route when none is given',
  },
};
export type IntakeConfig = ConfigOf<typeof INTAKE_CONFIG_SPEC> & { storage: StorageConfig };

export function loadIntakeConfig(env: NodeJS.ProcessEnv = process.env): IntakeConfig {
  return { ...loadConfig(INTAKE_CONFIG_SPEC, env), storage: configPart(() => storageConfigFromEnv(env)) };
}
