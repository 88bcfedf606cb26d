import { COMMON_CONFIG, DATABASE_CONFIG, env, type ConfigOf, opsPortConfig } from '@framewire/runtime';

export const STATUS_CONFIG_SPEC = {
  ...COMMON_CONFIG,
  opsPort: opsPortConfig(9104),
  ...DATABASE_CONFIG,
  concurrency: { env: 'FW_STATUS_CONCURRENCY', schema: env.int(8, 1, 256), doc: 'events projected at once by one replica' },
};
export type StatusConfig = ConfigOf<typeof STATUS_CONFIG_SPEC>;
