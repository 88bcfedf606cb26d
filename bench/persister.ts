/**
 * Persister throughput on its own: a backlog of frame results published while
 * no persister runs, drained by a fresh replica, for one or more builds (e.g.
 * main's `dist` copied aside and this branch's) and persister settings, in
 * rounds that alternate them, so the figures of one sitting compare under the
 * same load.
 *
 * Each drain gets its own jobs (`jobs` × `rows / jobs` results, published job
 * after job, frames_total = that count, so every job completes), and reports:
 * - rows/s from the first row seen in frame_results to the last (polled every
 *   25 ms; the replica's start-up is not in it);
 * - the persister's CPU ms per 1000 rows (from its start log to the last row);
 * - Postgres CPU ms per 1000 rows: of the backends the replica opened (its own
 *   connections: the statements' work, not the WAL writer's or checkpointer's),
 *   and of every `postgres` process on the machine (other engineers' load
 *   included: an upper bound).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { startSystem, waitForLog, type RunningApp, type TestSystem } from '../test/support/system';
import { cpuTotalMs, postgresCpuMs, readCpu, round, ROOT, publishPersistBacklog, sleep } from './support';

export interface PersisterVariant {
  /** A label for the tables (`before`, `after`, `in-flight 1`). */
  name: string;
  /** The build to run: a directory holding apps/persister/src/main.js (default: this checkout's dist). */
  dist?: string;
  /** Extra environment of the replica (FW_PERSIST_BATCH_SIZE, FW_PERSIST_BATCHES_IN_FLIGHT, ...). */
  env?: Record<string, string>;
}

export interface PersisterDrain {
  variant: string;
  round: number;
  rows: number;
  seconds: number;
  rowsPerS: number;
  persisterCpuMsPer1000Rows: number;
  /** The replica's own backends. */
  postgresCpuMsPer1000Rows: number;
  /** Every postgres process on the machine (an upper bound under others' load). */
  postgresAllCpuMsPer1000Rows: number;
}

export interface PersisterBenchResult {
  rows: number;
  jobs: number;
  rounds: number;
  drains: PersisterDrain[];
  /** Per variant: the median of its rounds. */
  summary: Array<Omit<PersisterDrain, 'round'>>;
}

export async function persisterBench(opts: {
  rows: number;
  jobs: number;
  rounds: number;
  variants: PersisterVariant[];
  log: (line: string) => void;
  /** Node arguments of the draining replicas, space-separated (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof: Node 20 refuses --cpu-prof in NODE_OPTIONS). */
  nodeOptions?: string;
}): Promise<PersisterBenchResult> {
  const perJob = Math.max(1, Math.ceil(opts.rows / opts.jobs));
  // Status projects the progress events (and completes the jobs) as in production; no other stage runs.
  const system = await startSystem({ replicas: { intake: 0, extractor: 0, inference: 0, persister: 0, status: 1 } });
  const pg = new Client({ connectionString: system.db.url });
  await pg.connect();
  const nc = await connect({ servers: system.nats.url });
  const drains: PersisterDrain[] = [];
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const variant of opts.variants) {
        const jobIds = await createJobs(pg, opts.jobs, perJob);
        await publishPersistBacklog(nc, jobIds, perJob);
        const drain = await drainWith(system, pg, variant, jobIds.length * perJob, opts.nodeOptions);
        drains.push({ variant: variant.name, round, ...drain });
        opts.log(`  persister [${variant.name}] round ${round}: ${JSON.stringify(drain)}`);
      }
    }
  } finally {
    await nc.close();
    await pg.end();
    await system.stop();
  }
  const summary = opts.variants.map((v) => {
    const mine = drains.filter((d) => d.variant === v.name);
    const med = (f: (d: PersisterDrain) => number) => median(mine.map(f));
    return {
      variant: v.name,
      rows: mine[0]?.rows ?? 0,
      seconds: med((d) => d.seconds),
      rowsPerS: med((d) => d.rowsPerS),
      persisterCpuMsPer1000Rows: med((d) => d.persisterCpuMsPer1000Rows),
      postgresCpuMsPer1000Rows: med((d) => d.postgresCpuMsPer1000Rows),
      postgresAllCpuMsPer1000Rows: med((d) => d.postgresAllCpuMsPer1000Rows),
    };
  });
  return { rows: opts.jobs * perJob, jobs: opts.jobs, rounds: opts.rounds, drains, summary };
}

/**
 * `name[=dir][+ENV=value...]` a variant, comma-separated
 * (`before=/tmp/main-dist,after,after-serial+FW_PERSIST_BATCHES_IN_FLIGHT=1`):
 * no dir is this checkout's dist; `env` (--persist-env) goes to every variant.
 */
export function parsePersisterVariants(spec: string | undefined, env: Record<string, string>): PersisterVariant[] {
  if (!spec) return [{ name: 'this build', env }];
  return spec.split(',').map((item) => {
    const [head, ...extra] = item.split('+');
    const [name, dist] = head.split('=');
    const own = Object.fromEntries(extra.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    return { name, dist: dist || undefined, env: { ...env, ...own } };
  });
}

async function createJobs(pg: Client, jobs: number, perJob: number): Promise<string[]> {
  const ids = Array.from({ length: jobs }, () => randomUUID());
  await pg.query(
    `INSERT INTO "jobs" ("id", "status", "pipeline_id", "input_key", "input_size", "input_sha256", "frame_stride", "frames_total", "started_at")
     SELECT id, 'running', 'frame_stats', 'bench/' || id, 1, 'x', 1, $2, now() FROM unnest($1::uuid[]) AS id`,
    [ids, perJob],
  );
  return ids;
}

async function drainWith(
  system: TestSystem,
  pg: Client,
  variant: PersisterVariant,
  rows: number,
  nodeOptions: string | undefined,
): Promise<Omit<PersisterDrain, 'variant' | 'round'>> {
  const count = async () => (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM frame_results')).rows[0].n;
  const base = await count();
  const want = base + rows;
  // The database's clock: the replica's backends are those it opened after this.
  const since = (await pg.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0].now;
  const app = await startPersister(system, variant, nodeOptions);
  try {
    const pgAll0 = postgresCpuMs();
    const cpu0 = cpuTotalMs(readCpu(app.proc.pid ?? 0));
    let have = base;
    let first: { at: number; rows: number } | null = null;
    const t0 = performance.now();
    while (have < want) {
      await sleep(25);
      have = await count();
      if (first === null && have > base) first = { at: performance.now(), rows: have };
      if (performance.now() - t0 > 10 * 60_000) throw new Error(`persister stuck at ${have - base} of ${rows} rows`);
    }
    const end = performance.now();
    const persisterMs = cpuTotalMs(readCpu(app.proc.pid ?? 0)) - cpu0;
    const pgAllMs = postgresCpuMs() - pgAll0;
    const { rows: backends } = await pg.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'persister%' AND backend_start >= $1`,
      [since],
    );
    const pgOwnMs = backends.reduce((s, b) => s + cpuTotalMs(readCpu(b.pid)), 0);
    const timed = first && first.rows < want ? { rows: want - first.rows, s: (end - first.at) / 1000 } : { rows, s: (end - t0) / 1000 };
    return {
      rows,
      seconds: round((end - t0) / 1000, 2),
      rowsPerS: round(timed.rows / timed.s, 0),
      persisterCpuMsPer1000Rows: round((persisterMs * 1000) / rows),
      postgresCpuMsPer1000Rows: round((pgOwnMs * 1000) / rows),
      postgresAllCpuMsPer1000Rows: round((pgAllMs * 1000) / rows),
    };
  } finally {
    app.proc.kill('SIGTERM');
    await app.exited;
  }
}

/** A persister replica of the variant's build, with the system's environment (its backends are the only ones it opens after its start). */
async function startPersister(system: TestSystem, variant: PersisterVariant, nodeOptions: string | undefined): Promise<RunningApp> {
  const entry = join(variant.dist ?? join(ROOT, 'dist'), 'apps', 'persister', 'src', 'main.js');
  const nodeArgs = (nodeOptions ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: system.dataDir,
    env: {
      ...process.env,
      ...system.env,
      ...variant.env,
      ONNXRUNTIME_NODE_INSTALL: 'skip',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const keep = (d: Buffer) => {
    logs.push(d.toString());
    if (logs.length > 500) logs.splice(0, logs.length - 500);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  const app: RunningApp = { app: 'persister', proc, logs, exited, opsUrl: '', started: false };
  await waitForLog(app, /"msg":"[a-z]+ started"/, 60_000);
  app.started = true;
  return app;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : round((s[m - 1] + s[m]) / 2, 1);
}
