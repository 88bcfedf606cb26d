import { z } from 'zod';
import { COMMON_CONFIG, configPart, DATABASE_CONFIG, env, loadConfig, type ConfigOf } from '@framewire/runtime';
import { parseApiKeyEntries, SUBMIT_LIMITS, type ApiKeyEntry } from '@framewire/contracts';
import { DECODER_CONFIG, VIDEO_LIMITS_CONFIG } from '@framewire/media';
import { PIPELINE_CONFIG } from '@framewire/pipelines';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';
import { WEBHOOK_ALLOW_PRIVATE_CONFIG } from '@framewire/webhooks';

export const INTAKE_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  ...DATABASE_CONFIG,
  ...VIDEO_LIMITS_CONFIG,
  ...DECODER_CONFIG,
  // The inference stage's pipelines and plugins, described and pinned here, never run: set them like inference.
  ...PIPELINE_CONFIG,
  ...WEBHOOK_ALLOW_PRIVATE_CONFIG,
  httpPort: { env: 'FW_HTTP_PORT', schema: env.port(3000), doc: 'HTTP port of the API' },
  maxUploadBytes: { env: 'FW_MAX_UPLOAD_BYTES', schema: env.int(2 * 1024 ** 3, 1024, 1024 ** 4), doc: 'largest accepted video, in bytes' },
  uploadTmpDir: {
    env: 'FW_UPLOAD_TMP_DIR',
    schema: env.string('.data/uploads'),
    doc: 'where uploads are streamed before they are checked (same filesystem as FW_STORAGE_ROOT makes storing a rename)',
  },
  grpcPort: { env: 'FW_GRPC_PORT', schema: env.port(50051), doc: 'gRPC port of the API (JobService, health, reflection)' },
  grpcHost: { env: 'FW_GRPC_HOST', schema: env.string('0.0.0.0'), doc: 'address the gRPC server binds' },
  maxFramesPerJob: {
    env: 'FW_MAX_FRAMES_PER_JOB',
    schema: env.int(100_000, 1, 10_000_000),
    doc: 'the most frames one job may sample (max_frames above it, or a video with more sampled frames and no max_frames, is refused)',
  },
  outboxRelayIntervalMs: {
    env: 'FW_OUTBOX_RELAY_INTERVAL_MS',
    schema: env.int(2000, 100, 600_000),
    doc: 'how often each intake replica publishes the outbox messages a crash or an outage left behind',
  },
  outboxRelayMinAgeMs: {
    env: 'FW_OUTBOX_RELAY_MIN_AGE_MS',
    schema: env.int(5000, 0, 3_600_000),
    doc: 'the relay only takes outbox messages at least this old (younger ones are still being published by their request)',
  },
  testCrashAfterOutboxCommit: {
    env: 'FW_TEST_CRASH_AFTER_OUTBOX_COMMIT',
    schema: env.bool(false),
    doc: 'tests only: SIGKILL the process after a submit commits and before it publishes',
  },
  retentionDays: {
    env: 'FW_RETENTION_DAYS',
    schema: offOrInt('off', 0, 36_500),
    doc: 'days a finished job (input, frames, results, events) is kept before the retention sweep deletes it, unless the job sets its own retention_days; off (the default): kept until deleted',
  },
  retentionSweepIntervalMs: {
    env: 'FW_RETENTION_SWEEP_INTERVAL_MS',
    schema: offOrInt('600000', 1000, 86_400_000),
    doc: 'how often the retention sweep looks for expired jobs (one replica at a time); off: this replica never sweeps',
  },
  retentionSweepBatch: {
    env: 'FW_RETENTION_SWEEP_BATCH',
    schema: env.int(100, 1, 10_000),
    doc: 'expired jobs the retention sweep reads at a time',
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
  defaultSampleFps: {
    env: 'FW_DEFAULT_SAMPLE_FPS',
    schema: offOrFps('off'),
    doc: 'sample_fps of the legacy /v1/video/submit route when neither sample_fps nor frame_stride is given; off: every frame',
  },
};
/** `off` (null) or a sample_fps (SUBMIT_LIMITS' range). */
function offOrFps(def: string) {
  const { minSampleFps: min, maxSampleFps: max } = SUBMIT_LIMITS;
  return z
    .string()
    .default(def)
    .refine((v) => v === 'off' || (/^\d+(\.\d+)?$/.test(v) && Number(v) >= min && Number(v) <= max), {
      message: `must be off or a number of frames per second in ${min}..${max}`,
    })
    .transform((v) => (v === 'off' ? null : Number(v)));
}

/** `off` (null) or an integer in min..max. */
function offOrInt(def: string, min: number, max: number) {
  return z
    .string()
    .default(def)
    .refine((v) => v === 'off' || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max), {
      message: `must be off or an integer in ${min}..${max}`,
    })
    .transform((v) => (v === 'off' ? null : Number(v)));
}

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
