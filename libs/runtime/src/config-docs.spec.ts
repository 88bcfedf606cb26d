import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { STREAMS } from '@framewire/contracts';

/**
 * docs/configuration.md is the reference of every variable the apps, libs and
 * scripts read: a new FW_* variable in the code fails here until it is
 * documented, and a documented one that nothing reads any more fails too.
 */
const ROOT = join(__dirname, '..', '..', '..');
const SCANNED = ['apps', 'libs', 'scripts'];
const DOC = join(ROOT, 'docs', 'configuration.md');

/** FW_* names in the code that are not variables: the JetStream stream names. */
const NOT_VARIABLES = new Set<string>(Object.values(STREAMS));
/** Variables only tests read; the reference mentions them but the check leaves them alone. */
const TEST_ONLY = /^FW_TEST_/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'generated' ? [] : sourceFiles(path);
    return /\.(ts|mjs|js)$/.test(entry.name) && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name) ? [path] : [];
  });
}

function variablesInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of SCANNED.flatMap((d) => sourceFiles(join(ROOT, d)))) {
    for (const [name] of readFileSync(file, 'utf8').matchAll(/\bFW_[A-Z0-9_]+\b/g)) {
      if (NOT_VARIABLES.has(name) || TEST_ONLY.test(name)) continue;
      found.set(name, [...(found.get(name) ?? []), relative(ROOT, file)]);
    }
  }
  return found;
}

function variablesInDoc(): Set<string> {
  return new Set([...readFileSync(DOC, 'utf8').matchAll(/`(FW_[A-Z0-9_]+)`/g)].map((m) => m[1]));
}

describe('docs/configuration.md', () => {
  const inCode = variablesInCode();
  const inDoc = variablesInDoc();

  it('finds the variables the code reads', () => {
    // A scan that finds nothing would pass whatever the doc says.
    expect(inCode.size).toBeGreaterThan(40);
    expect([...inCode.keys()]).toEqual(
      expect.arrayContaining(['FW_NATS_URL', 'FW_DATABASE_URL', 'FW_S3_BUCKET', 'FW_HTTP_PORT', 'FW_GRPC_ADDR']),
    );
  });

  it('documents every FW_* variable read in apps/, libs/ and scripts/', () => {
    const missing = [...inCode].filter(([name]) => !inDoc.has(name)).map(([name, files]) => `${name} (${[...new Set(files)].join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('documents no FW_* variable that nothing reads', () => {
    const stale = [...inDoc].filter((name) => !inCode.has(name) && !NOT_VARIABLES.has(name) && !TEST_ONLY.test(name));
    expect(stale).toEqual([]);
  });

  it('documents the worker registry and ops port variables', () => {
    for (const name of ['FW_OPS_PORT', 'FW_HEARTBEAT_INTERVAL_MS', 'FW_WORKER_TTL_MS']) expect(inDoc.has(name)).toBe(true);
  });
});
