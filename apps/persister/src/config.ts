import { COMMON_CONFIG, DATABASE_CONFIG, env, type ConfigOf, opsPortConfig } from '@framewire/runtime';

export const PERSISTER_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  opsPort: opsPortConfig(9103),
  ...DATABASE_CONFIG,
  batchSize: { env: 'FW_PERSIST_BATCH_SIZE', schema: env.int(500, 1, 10_000), doc: 'frame results written in one statement at most' },
  batchWaitMs: { env: 'FW_PERSIST_BATCH_WAIT_MS', schema: env.int(25, 0, 10_000), doc: 'how long a partial batch waits for more results' },
  batchesInFlight: {
    env: 'FW_PERSIST_BATCHES_IN_FLIGHT',
    schema: env.int(2, 1, 16),
    doc: 'batches written at once: the next batch is written while the previous one commits (1: one after another)',
  },
  progressIntervalMs: {
    env: 'FW_PROGRESS_INTERVAL_MS',
    schema: env.int(150, 0, 60_000),
    doc: "at most one `frames` progress event per job per this many ms per replica (the last state and a job's completing batch always go out; 0: one per batch)",
  },
};
export type PersisterConfig = ConfigOf<typeof PERSISTER_CONFIG_SPEC>;
