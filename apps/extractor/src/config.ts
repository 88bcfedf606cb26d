import { z } from 'zod';
import { COMMON_CONFIG, configPart, env, loadConfig, type ConfigOf, opsPortConfig, REPLICA_CORES_CONFIG } from '@framewire/runtime';
import { DECODER_CONFIG, DEFAULT_DECODE_THREADS, SIX_HOURS_MS, VIDEO_LIMITS_CONFIG } from '@framewire/media';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';

export const EXTRACTOR_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  ...VIDEO_LIMITS_CONFIG,
  ...DECODER_CONFIG,
  ...REPLICA_CORES_CONFIG,
  opsPort: opsPortConfig(9101),
  concurrency: {
    env: 'FW_EXTRACT_CONCURRENCY',
    schema: env.intOrComputed(1, 64),
    doc: 'videos decoded at once by one replica (default: the cores of this replica, at least 2, so a small job passes a huge one)',
  },
  jpegQuality: { env: 'FW_JPEG_QUALITY', schema: env.int(85, 1, 100), doc: 'quality of the JPEG each sampled frame travels as' },
  maxFrameWidth: {
    env: 'FW_MAX_FRAME_WIDTH',
    schema: env.int(1920, 16, 16384),
    doc: 'wider frames are scaled down (aspect kept) before they travel',
  },
  inlineFrameMaxBytes: {
    env: 'FW_INLINE_FRAME_MAX_BYTES',
    schema: env.int(512 * 1024, 1024, 64 * 1024 * 1024),
    doc: 'frames up to this size travel inside the message; larger ones go to the object store (keep it well under the NATS max_payload)',
  },
  keepFrames: {
    env: 'FW_KEEP_FRAMES',
    schema: env.bool(true),
    doc: "store every sampled frame's JPEG in the object store for the job's lifetime (GET /v1/jobs/{id}/frames/{index}); false: only frames too big to travel inline are stored",
  },
  jobFramesInFlight: {
    env: 'FW_JOB_FRAMES_IN_FLIGHT',
    schema: env.int(64, 1, 1_000_000),
    doc: 'frames of one job published but not yet persisted, at most: frames of concurrent jobs interleave',
  },
  globalFramesInFlight: {
    env: 'FW_MAX_FRAMES_IN_FLIGHT',
    schema: env.int(2048, 1, 10_000_000),
    doc: 'frames queued for or in inference across all jobs, at most; extraction waits beyond it',
  },
  maxFramesPerJob: {
    env: 'FW_MAX_FRAMES_PER_JOB',
    schema: env.int(100_000, 1, 10_000_000),
    doc: 'the most frames one job may sample: a job without max_frames that has more fails with TOO_MANY_FRAMES',
  },
  decodeThreads: {
    env: 'FW_DECODE_THREADS',
    schema: env.int(DEFAULT_DECODE_THREADS, 0, 64),
    doc: "threads of ffmpeg's decoder for one video (`-threads`); 0: ffmpeg's own choice (one per core and more)",
  },
  decodeTimeoutMs: {
    env: 'FW_DECODE_TIMEOUT_MS',
    schema: env.int(SIX_HOURS_MS, 1, 2_147_483_647),
    doc: 'time one job may spend waiting on ffmpeg to decode; past it ffmpeg is killed and the job fails with DECODE_TIMEOUT',
  },
  reuseThreshold: {
    env: 'FW_REUSE_THRESHOLD',
    schema: z.coerce
      .number({ message: 'must be a number' })
      .refine(Number.isFinite, 'must be a number')
      .min(0, 'must be >= 0')
      .max(255, 'must be <= 255')
      .default(2),
    doc:
      'temporal reuse: a sampled frame whose grayscale thumbnail differs from the last computed frame by at most this much ' +
      "(the largest 8x8 cell mean absolute difference, grey levels 0-255) gets that frame's result without running the models; 0 turns reuse off (jobs can also ask reuse=false)",
  },
  reuseMaxRun: {
    env: 'FW_REUSE_MAX_RUN',
    schema: env.int(300, 1, 1_000_000),
    doc: 'temporal reuse: frames reused in a row at most; the next one is computed (and becomes the anchor) even if it looks the same',
  },
  publishWindow: {
    env: 'FW_EXTRACT_PUBLISH_WINDOW',
    schema: env.int(16, 1, 1024),
    doc: 'frame publishes awaiting their stream acknowledgement at once',
  },
};
export type ExtractorConfig = Omit<ConfigOf<typeof EXTRACTOR_CONFIG_SPEC>, 'concurrency'> & { concurrency: number; storage: StorageConfig };

export function loadExtractorConfig(env: NodeJS.ProcessEnv = process.env): ExtractorConfig {
  const c = loadConfig(EXTRACTOR_CONFIG_SPEC, env);
  return {
    ...c,
    concurrency: c.concurrency ?? Math.min(64, Math.max(2, c.replicaCores)),
    storage: configPart(() => storageConfigFromEnv(env)),
  };
}
