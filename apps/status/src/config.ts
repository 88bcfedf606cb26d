import { COMMON_CONFIG, configPart, DATABASE_CONFIG, env, loadConfig, type ConfigOf, opsPortConfig } from '@framewire/runtime';
import { storageConfigFromEnv, type StorageConfig } from '@framewire/storage';
import { WEBHOOK_DELIVERY_CONFIG } from '@framewire/webhooks';

export const STATUS_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  opsPort: opsPortConfig(9104),
  ...DATABASE_CONFIG,
  concurrency: { env: 'FW_STATUS_CONCURRENCY', schema: env.int(8, 1, 256), doc: 'events projected at once by one replica' },
  tracksIntervalMs: {
    env: 'FW_TRACKS_INTERVAL_MS',
    schema: env.int(5000, 0, 3_600_000),
    doc: "at most one build of a running job's text tracks (from its frames so far) per this many ms per replica; 0: only the final build at completion",
  },
  ...WEBHOOK_DELIVERY_CONFIG,
};
/** The object store is where the dead letters of the MAX_DELIVERIES advisories keep large bodies (an infer message's JPEG). */
export type StatusConfig = ConfigOf<typeof STATUS_CONFIG_SPEC> & { storage: StorageConfig };

export function loadStatusConfig(env: NodeJS.ProcessEnv = process.env): StatusConfig {
  return { ...loadConfig(STATUS_CONFIG_SPEC, env), storage: configPart(() => storageConfigFromEnv(env)) };
}
