import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { natsAuthFromEnv, NATS_AUTH_VARIABLES } from './nats-config';

/**
 * One typed config object per app, read once from environment variables at
 * start. Each field names its variable; a bad value stops the app with a
 * message naming that variable.
 */
export interface ConfigField {
  env: string;
  schema: z.ZodType;
  doc: string;
}
/**
 * A part of the config read from several variables at once, whose values
 * depend on each other (e.g. a password needs a user). `read` throws an Error
 * naming the variables; it never echoes values (they may be secrets).
 */
export interface ConfigGroup<T> {
  envs: readonly string[];
  read: (env: NodeJS.ProcessEnv) => T;
  doc: string;
}
export type ConfigSpec = Record<string, ConfigField | ConfigGroup<unknown>>;
export type ConfigOf<S extends ConfigSpec> = {
  [K in keyof S]: S[K] extends ConfigGroup<infer T> ? T : S[K] extends ConfigField ? z.output<S[K]['schema']> : never;
};

export function isConfigGroup(entry: ConfigField | ConfigGroup<unknown>): entry is ConfigGroup<unknown> {
  return 'read' in entry;
}

/** The single-variable fields of a spec (what has one variable, one schema). */
export function configFields(spec: ConfigSpec): ConfigField[] {
  return Object.values(spec).filter((e): e is ConfigField => !isConfigGroup(e));
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends ConfigSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [field, entry] of Object.entries(spec)) {
    if (isConfigGroup(entry)) {
      try {
        out[field] = entry.read(env);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
      continue;
    }
    const { env: name, schema } = entry;
    const raw = env[name];
    const parsed = schema.safeParse(raw === '' ? undefined : raw);
    if (parsed.success) out[field] = parsed.data;
    else
      problems.push(
        `${name}: ${parsed.error.issues.map((i) => i.message).join('; ')} (got ${raw === undefined ? 'nothing' : JSON.stringify(raw)})`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Field builders for the common shapes of environment values. */
export const env = {
  string: (def?: string) => (def === undefined ? z.string().min(1) : z.string().min(1).default(def)),
  int: (def: number, min: number, max: number) =>
    z.coerce
      .number({ message: 'must be an integer' })
      .int('must be an integer')
      .min(min, `must be >= ${min}`)
      .max(max, `must be <= ${max}`)
      .default(def),
  /** An integer whose default is computed at load (e.g. from the cores): undefined when unset. */
  intOrComputed: (min: number, max: number) =>
    z.coerce
      .number({ message: 'must be an integer' })
      .int('must be an integer')
      .min(min, `must be >= ${min}`)
      .max(max, `must be <= ${max}`)
      .optional(),
  port: (def: number) => env.int(def, 1, 65535),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(def),
  enumOf: <T extends readonly [string, ...string[]]>(values: T, def: T[number]) =>
    z.enum(values, { message: `must be one of ${values.join(', ')}` }).default(def as never),
  url: (def: string, protocols: string[]) =>
    z
      .string()
      .default(def)
      .refine((v) => v.split(',').every((u) => protocols.some((p) => u.trim().startsWith(`${p}://`))), {
        message: `must be a ${protocols.join(' or ')} URL`,
      }),
};

/** Variables every app reads. */
export const COMMON_CONFIG = {
  natsUrl: { env: 'FW_NATS_URL', schema: env.url('nats://127.0.0.1:4222', ['nats', 'tls']), doc: 'NATS server URL(s), comma-separated' },
  nats: {
    envs: NATS_AUTH_VARIABLES,
    read: (e: NodeJS.ProcessEnv) => natsAuthFromEnv(e),
    doc: 'NATS credentials (user and password, token, NKey seed file or creds file) and TLS files',
  },
  logLevel: {
    env: 'FW_LOG_LEVEL',
    schema: env.enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    doc: 'log level',
  },
  logFormat: {
    env: 'FW_LOG_FORMAT',
    schema: env.enumOf(['json', 'pretty', 'auto'] as const, 'auto'),
    doc: 'json, pretty, or auto (pretty on a terminal)',
  },
  workerId: {
    env: 'FW_WORKER_ID',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of [A-Za-z0-9._-]')
      .optional(),
    doc: 'replica id (default: <stage>-<host>-<random>)',
  },
  ackWaitMs: {
    env: 'FW_ACK_WAIT_MS',
    schema: env.int(30_000, 1000, 3_600_000),
    doc: 'how long a work message may go unacknowledged before another replica gets it (live workers heartbeat well within it)',
  },
  maxDeliver: {
    env: 'FW_MAX_DELIVER',
    schema: env.int(4, 1, 100),
    doc: 'deliveries of a message with a transient failure before it is dead-lettered and its job fails',
  },
  retryBaseMs: {
    env: 'FW_RETRY_BASE_MS',
    schema: env.int(1000, 10, 600_000),
    doc: 'first retry delay; each next retry waits twice as long',
  },
  outageToleranceMs: {
    env: 'FW_OUTAGE_TOLERANCE_MS',
    schema: env.int(30 * 60_000, 1000, 7 * 24 * 3_600_000),
    doc: 'how long work is held and retried through a database, object-store or broker outage (spending no delivery) before it is given up',
  },
  outageRetryMaxMs: {
    env: 'FW_OUTAGE_RETRY_MAX_MS',
    schema: env.int(30_000, 100, 600_000),
    doc: 'longest wait between two in-process retries of work held through an outage (they start at FW_RETRY_BASE_MS and double)',
  },
  dlqMaxBytes: {
    env: 'FW_DLQ_MAX_BYTES',
    schema: env.int(256 * 1024 * 1024, 1024 * 1024, 1024 ** 4),
    doc: 'byte cap of the dead-letter stream FW_DLQ; past it the oldest dead letters are dropped (set it alike on every app: each provisions the stream)',
  },
  shutdownTimeoutMs: {
    env: 'FW_SHUTDOWN_TIMEOUT_MS',
    schema: env.int(20_000, 100, 600_000),
    doc: 'how long a graceful shutdown may take before the process exits anyway',
  },
  heartbeatIntervalMs: {
    env: 'FW_HEARTBEAT_INTERVAL_MS',
    schema: env.int(5000, 100, 300_000),
    doc: 'how often a replica refreshes its worker registry entry',
  },
  workerTtlMs: {
    env: 'FW_WORKER_TTL_MS',
    schema: env.int(15_000, 300, 3_600_000),
    doc: 'a replica that has not heart-beaten for this long drops off the worker registry',
  },
} satisfies ConfigSpec;

/**
 * FW_OPS_PORT of a worker app: where it serves /healthz, /readyz and
 * /metrics. `0` takes any free port (it is logged); `off` serves none.
 */
export function opsPortConfig(defaultPort: number) {
  return {
    env: 'FW_OPS_PORT',
    schema: z
      .string()
      .default(String(defaultPort))
      .refine((v) => v === 'off' || (/^\d+$/.test(v) && Number(v) <= 65535), {
        message: 'must be a port (0-65535; 0: any free port) or off',
      })
      .transform((v) => (v === 'off' ? null : Number(v))),
    doc: `port of /healthz, /readyz and /metrics (default ${defaultPort}; 0: any free port; off: none)`,
  };
}

export const DATABASE_CONFIG = {
  databaseUrl: {
    env: 'FW_DATABASE_URL',
    schema: env.url('postgres://postgres@127.0.0.1:5432/framewire', ['postgres', 'postgresql']),
    doc: 'Postgres connection URL',
  },
  databasePoolSize: { env: 'FW_DATABASE_POOL_SIZE', schema: env.int(10, 1, 200), doc: 'connections in the pool' },
} satisfies ConfigSpec;

export function defaultWorkerId(stage: string): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9.-]/g, '-')
    .slice(0, 32);
  return `${stage}-${host}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

/** Read a part of the config with a reader of its own (it throws an Error naming the variable). */
export function configPart<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([err instanceof Error ? err.message : String(err)]);
  }
}
