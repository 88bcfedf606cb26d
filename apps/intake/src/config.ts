import { z } from 'zod';
import { COMMON_CONFIG, configPart, DATABASE_CONFIG, env, loadConfig, type ConfigOf } from '@framewire/runtime';
import { parseApiKeyEntries, type ApiKeyEntry } from '@framewire/contracts';
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
  pluginDirs: {
    env: 'FW_PLUGIN_DIRS',
    schema: z.string().optional(),
    doc: 'directories whose subdirectories each hold a plugin module (JS), comma-separated; set it like the inference stage',
  },
  modelDir: {
    env: 'FW_MODEL_DIR',
    schema: z.string().min(1).optional(),
    doc: 'directory of the PaddleOCR models, hashed (never loaded) to pin jobs; set it like the inference stage',
  },
  grpcPort: { env: 'FW_GRPC_PORT', schema: env.port(50051), doc: 'gRPC port of the API (JobService, health, reflection)' },
  grpcHost: { env: 'FW_GRPC_HOST', schema: env.string('0.0.0.0'), doc: 'address the gRPC server binds' },
  maxFramesPerJob: {
    env: 'FW_MAX_FRAMES_PER_JOB',
    schema: env.int(100_000, 1, 10_000_000),
    doc: 'the most frames one job may sample (max_frames above it is refused)',
  },
  maxBacklogS: {
    env: 'FW_MAX_BACKLOG_S',
    schema: env.int(900, 0, 86_400),
    doc: 'refuse new jobs (429 OVERLOADED, with Retry-After) while the queued frames would take longer than this at the measured inference rate; 0 turns it off',
  },
  maxConcurrentProbes: {
    env: 'FW_MAX_CONCURRENT_PROBES',
    schema: env.int(4, 1, 256),
    doc: 'ffprobe runs at once in this intake replica; a submission past it waits in a short line, then gets 429 OVERLOADED',
  },
  maxEventStreams: {
    env: 'FW_MAX_EVENT_STREAMS',
    schema: env.int(500, 1, 100_000),
    doc: 'open event streams (SSE and gRPC WatchJob together) in this intake replica; past it, 429 OVERLOADED / RESOURCE_EXHAUSTED',
  },
  defaultPipeline: {
    env: 'FW_DEFAULT_PIPELINE',
    schema: env.string('text_regions'),
    doc: 'pipeline of the legacy /v1/video/submit route when none is given',
  },
};
export type IntakeConfig = ConfigOf<typeof INTAKE_CONFIG_SPEC> & {
  storage: StorageConfig;
  /** FW_API_KEYS: `<label>:<sha256 hex>` entries; empty means API keys are off. */
  apiKeys: ApiKeyEntry[];
};

export function loadIntakeConfig(env: NodeJS.ProcessEnv = process.env): IntakeConfig {
  return {
    ...loadConfig(INTAKE_CONFIG_SPEC, env),
    storage: configPart(() => storageConfigFromEnv(env)),
    apiKeys: configPart(() => apiKeysFromEnv(env)),
  };
}

/** Read apart from the other variables: a bad value is never echoed (it might be a key pasted by mistake). */
function apiKeysFromEnv(env: NodeJS.ProcessEnv): ApiKeyEntry[] {
  try {
    return parseApiKeyEntries(env.FW_API_KEYS ?? '');
  } catch (err) {
    throw new Error(`FW_API_KEYS: ${(err as Error).message}`);
  }
}
