import { COMMON_CONFIG, DATABASE_CONFIG, env, type ConfigOf } from '@framewire/runtime';

export const PERSISTER_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  ...DATABASE_CONFIG,
  batchSize: { env: 'FW_PERSIST_BATCH_SIZE', schema: env.int(500, 1, 10_000), doc: 'frame results written in one statement at most' },
  batchWaitMs: { env: 'FW_PERSIST_BATCH_WAIT_MS', schema: env.int(25, 0, 10_000), doc: 'how long a partial batch waits for more results' },
};
export type PersisterConfig = ConfigOf<typeof PERSISTER_CONFIG_SPEC>;
