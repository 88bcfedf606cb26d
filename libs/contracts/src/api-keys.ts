import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys. A key is `fw_` + 32 random bytes (base64url): 256 bits, so a plain
 * SHA-256 is the right stored form (a slow password hash buys nothing against
 * a key nobody can guess, and would cost every request). The server is
 * configured with `<label>:<sha256 hex>` entries only and never sees a key at
 * rest; the label names the key in logs.
 */
export interface ApiKeyEntry {
  label: string;
  /** SHA-256 of the key, 32 bytes. */
  hash: Buffer;
}

const KEY_PREFIX = 'fw_';
const ENTRY = /^([A-Za-z0-9._-]{1,64}):([0-9a-f]{64})$/;

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The FW_API_KEYS entry for a key. */
export function apiKeyEntry(label: string, key: string): string {
  return `${label}:${hashApiKey(key)}`;
}

/**
 * Parses `label:sha256hex[,label:sha256hex...]`. Throws an Error naming what is
 * wrong (never echoing a value, which might be a key pasted by mistake).
 */
export function parseApiKeyEntries(value: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  const labels = new Set<string>();
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const [i, part] of parts.entries()) {
    const m = ENTRY.exec(part);
    if (!m) {
      throw new Error(
        `entry ${i + 1} is not <label>:<sha256 hex of the key> (64 lowercase hex digits); create one with \`framewire keygen --label <label>\``,
      );
    }
    if (labels.has(m[1])) throw new Error(`label '${m[1]}' is used twice`);
    labels.add(m[1]);
    entries.push({ label: m[1], hash: Buffer.from(m[2], 'hex') });
  }
  return entries;
}

/** Checks presented keys against the configured hashes in constant time per entry. */
export class ApiKeyVerifier {
  constructor(private readonly entries: readonly ApiKeyEntry[]) {}

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The label of the matching key, or null for a missing or wrong one. */
  verify(presented: string | null | undefined): string | null {
    if (!presented || presented.length > 512) return null;
    const hash = createHash('sha256').update(presented, 'utf8').digest();
    let match: string | null = null;
    // Compare with every entry (no early exit), so timing says nothing about which one matched.
    for (const e of this.entries) if (timingSafeEqual(hash, e.hash) && match === null) match = e.label;
    return match;
  }
}

/**
 * The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`
 * (HTTP headers and gRPC metadata alike).
 */
export function presentedApiKey(authorization: string | undefined, xApiKey: string | undefined): string | null {
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m ? m[1] : null;
  }
  return xApiKey?.trim() || null;
}
