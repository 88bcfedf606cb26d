import { COMMON_CONFIG, configPart, env, loadConfig, type ConfigOf } from '@framewire/runtime';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';

export const EXTRACTOR_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  concurrency: { env: 'FW_EXTRACT_CONCURRENCY', schema: env.int(1, 1, 64), doc: 'videos decoded at once by one replica' },
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
  publishWindow: {
    env: 'FW_EXTRACT_PUBLISH_WINDOW',
    schema: env.int(16, 1, 1024),
    doc: 'frame publishes awaiting their stream acknowledgement at once',
  },
};
export type ExtractorConfig = ConfigOf<typeof EXTRACTOR_CONFIG_SPEC> & { storage: StorageConfig };

export function loadExtractorConfig(env: NodeJS.ProcessEnv = process.env): ExtractorConfig {
  return { ...loadConfig(EXTRACTOR_CONFIG_SPEC, env), storage: configPart(() => storageConfigFromEnv(env)) };
}
