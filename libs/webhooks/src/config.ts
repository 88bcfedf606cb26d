import { z } from 'zod';
import { env } from '@framewire/runtime';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `90s`, `30m`, `24h`, `3d`, or a bare number of milliseconds. */
export function parseDurationMs(raw: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] ?? 'ms'] : null;
}

const duration = (def: string, minMs: number, maxMs: number) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const ms = parseDurationMs(v);
      if (ms === null || ms < minMs || ms > maxMs) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration (500ms, 90s, 30m, 24h, 3d) from ${minMs} ms to ${maxMs / 86_400_000} d`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** Read by intake (checks at submit) and status (checks again at delivery). */
export const WEBHOOK_ALLOW_PRIVATE_CONFIG = {
  webhookAllowPrivate: {
    env: 'FW_WEBHOOK_ALLOW_PRIVATE',
    schema: env.bool(false),
    doc: 'let callback_url name private, loopback and link-local addresses (tests, closed networks); off: refused at submit (422 CALLBACK_URL_REFUSED) and again at delivery',
  },
};

/** The minimum length of FW_WEBHOOK_SECRET: an HMAC key a guess does not find. */
export const MIN_SECRET_LENGTH = 16;

/** The status service's webhook delivery. */
export const WEBHOOK_DELIVERY_CONFIG = {
  ...WEBHOOK_ALLOW_PRIVATE_CONFIG,
  webhookSecret: {
    envs: ['FW_WEBHOOK_SECRET'],
    // A group, not a field: a refused value is never echoed (it is a secret).
    read: (e: NodeJS.ProcessEnv): string | null => {
      const v = e.FW_WEBHOOK_SECRET;
      if (v === undefined || v === '') return null;
      if (v.length < MIN_SECRET_LENGTH) throw new Error(`FW_WEBHOOK_SECRET: must be at least ${MIN_SECRET_LENGTH} characters`);
      return v;
    },
    doc: 'HMAC-SHA256 key of the Framewire-Signature header',
  },
  webhookMaxAgeMs: {
    env: 'FW_WEBHOOK_MAX_AGE',
    schema: duration('24h', 1000, 30 * 86_400_000),
    doc: 'how long a webhook is retried after its job reached the state, before it is given up',
  },
  webhookTimeoutMs: {
    env: 'FW_WEBHOOK_TIMEOUT_MS',
    schema: env.int(10_000, 100, 120_000),
    doc: 'how long one POST may take (connect to the end of the response) before it counts as failed',
  },
  webhookRetryBaseMs: {
    env: 'FW_WEBHOOK_RETRY_BASE_MS',
    schema: env.int(5000, 10, 3_600_000),
    doc: 'wait before the second attempt; it doubles each attempt up to FW_WEBHOOK_RETRY_MAX_MS',
  },
  webhookRetryMaxMs: {
    env: 'FW_WEBHOOK_RETRY_MAX_MS',
    schema: env.int(15 * 60_000, 10, 86_400_000),
    doc: 'longest wait between two attempts',
  },
  webhookConcurrency: {
    env: 'FW_WEBHOOK_CONCURRENCY',
    schema: env.int(16, 1, 256),
    doc: 'webhooks one status replica POSTs at once',
  },
};
