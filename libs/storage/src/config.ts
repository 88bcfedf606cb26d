import { z } from 'zod';

export interface FsStorageConfig {
  driver: 'fs';
  /** Directory holding the objects (relative paths resolve against the working directory). */
  root: string;
}

export interface S3StorageConfig {
  driver: 's3';
  bucket: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
}

export type StorageConfig = FsStorageConfig | S3StorageConfig;

export const DEFAULT_STORAGE_ROOT = '.data/objects';
export const DEFAULT_S3_REGION = 'us-east-1';

/** An unset or blank variable is absent (compose files often pass `FOO=`). */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), schema.optional());

/** The storage variables as read from the environment, before they become a StorageConfig. */
export const storageEnvSchema = z
  .object({
    FW_STORAGE_DRIVER: optional(z.enum(['fs', 's3'], { error: 'must be "fs" or "s3"' })),
    FW_STORAGE_ROOT: optional(z.string()),
    FW_S3_BUCKET: optional(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name (3-63 of a-z 0-9 . -)')),
    FW_S3_REGION: optional(z.string().regex(/^[a-z0-9-]+$/, 'must be a region name such as us-east-1')),
    FW_S3_ENDPOINT: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
    FW_S3_ACCESS_KEY_ID: optional(z.string()),
    FW_S3_SECRET_ACCESS_KEY: optional(z.string()),
    FW_S3_FORCE_PATH_STYLE: optional(z.stringbool({ error: 'must be true or false' })),
  })
  .superRefine((env, ctx) => {
    if ((env.FW_STORAGE_DRIVER ?? 'fs') !== 's3') return;
    if (env.FW_S3_BUCKET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['FW_S3_BUCKET'], message: 'is required when FW_STORAGE_DRIVER=s3' });
    }
    if (env.FW_S3_ACCESS_KEY_ID !== undefined && env.FW_S3_SECRET_ACCESS_KEY === undefined) {
      ctx.addIssue({ code: 'custom', path: ['FW_S3_SECRET_ACCESS_KEY'], message: 'is required when FW_S3_ACCESS_KEY_ID is set' });
    }
    if (env.FW_S3_SECRET_ACCESS_KEY !== undefined && env.FW_S3_ACCESS_KEY_ID === undefined) {
      ctx.addIssue({ code: 'custom', path: ['FW_S3_ACCESS_KEY_ID'], message: 'is required when FW_S3_SECRET_ACCESS_KEY is set' });
    }
  });

export type StorageEnv = z.infer<typeof storageEnvSchema>;

/**
 * The storage config from environment variables. Throws an Error naming the
 * offending variable (values of secrets are never echoed). Path-style
 * addressing defaults to on when an endpoint is given (MinIO, s3rver), off for AWS.
 */
export function storageConfigFromEnv(env: Record<string, string | undefined> = process.env): StorageConfig {
  const parsed = storageEnvSchema.safeParse(pick(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'storage config')} ${issue.message}`);
    throw new Error(`invalid storage configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  if ((vars.FW_STORAGE_DRIVER ?? 'fs') === 'fs') {
    return { driver: 'fs', root: vars.FW_STORAGE_ROOT ?? DEFAULT_STORAGE_ROOT };
  }
  const config: S3StorageConfig = {
    driver: 's3',
    bucket: vars.FW_S3_BUCKET ?? '',
    region: vars.FW_S3_REGION ?? DEFAULT_S3_REGION,
    forcePathStyle: vars.FW_S3_FORCE_PATH_STYLE ?? vars.FW_S3_ENDPOINT !== undefined,
  };
  if (vars.FW_S3_ENDPOINT !== undefined) config.endpoint = vars.FW_S3_ENDPOINT;
  if (vars.FW_S3_ACCESS_KEY_ID !== undefined) config.accessKeyId = vars.FW_S3_ACCESS_KEY_ID;
  if (vars.FW_S3_SECRET_ACCESS_KEY !== undefined) config.secretAccessKey = vars.FW_S3_SECRET_ACCESS_KEY;
  return config;
}

function pick(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of Object.keys(storageEnvSchema.shape)) out[name] = env[name];
  return out;
}
