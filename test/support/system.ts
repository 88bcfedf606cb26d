import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import { freePort, startNatsServer, type TestNats, type TestNatsAuth } from './nats-server';

export const APPS = ['status', 'persister', 'inference', 'extractor', 'intake'] as const;
export type AppName = (typeof APPS)[number];

const ROOT = resolve(__dirname, '..', '..');

export interface RunningApp {
  app: AppName;
  proc: ChildProcess;
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Where this replica serves /healthz, /readyz and /metrics (intake: its API port; workers: FW_OPS_PORT, a free port here). */
  opsUrl: string;
  /** True once it logged that it started (a replica restarted inside an outage may wait a while). */
  started: boolean;
}

/**
 * The whole system as separate processes, each app started the way it runs in
 * production (`node dist/apps/<app>/src/main.js`), against a private NATS
 * server, a fresh database and a temporary object store.
 */
export interface TestSystem {
  baseUrl: string;
  /** host:port of intake's gRPC server. */
  grpcAddress: string;
  nats: TestNats;
  db: TestDatabase;
  dataDir: string;
  env: Record<string, string>;
  apps: RunningApp[];
  /** Start one more replica; it counts as started once it logs so (within `startTimeoutMs`, 60 s by default). */
  start(app: AppName, extraEnv?: Record<string, string>, startTimeoutMs?: number): Promise<RunningApp>;
  stop(): Promise<void>;
  logsOf(app: AppName): string;
}

export async function startSystem(
  opts: {
    replicas?: Partial<Record<AppName, number>>;
    env?: Record<string, string>;
    /** Run NATS with authentication; every app gets the FW_NATS_* variables that let it in (nats.appEnv). */
    natsAuth?: TestNatsAuth;
    /** Reach Postgres through this port (a TcpProxy to 127.0.0.1:5432) instead of directly, so a test can cut it. */
    databasePort?: number;
  } = {},
): Promise<TestSystem> {
  const nats = await startNatsServer(opts.natsAuth ? { auth: opts.natsAuth } : {});
  const db = await createTestDatabase({ migrate: false });
  const databaseUrl = opts.databasePort === undefined ? db.url : withPort(db.url, opts.databasePort);
  const dataDir = await mkdtemp(join(tmpdir(), 'fw-e2e-'));
  const port = await freePort();
  const grpcPort = await freePort();
  const env: Record<string, string> = {
    FW_NATS_URL: nats.url,
    ...nats.appEnv,
    FW_DATABASE_URL: databaseUrl,
    FW_STORAGE_DRIVER: 'fs',
    FW_STORAGE_ROOT: join(dataDir, 'objects'),
    FW_UPLOAD_TMP_DIR: join(dataDir, 'uploads'),
    FW_HTTP_PORT: String(port),
    FW_HTTP_HOST: '127.0.0.1',
    FW_GRPC_PORT: String(grpcPort),
    FW_GRPC_HOST: '127.0.0.1',
    FW_LOG_FORMAT: 'json',
    FW_LOG_LEVEL: process.env.FW_TEST_APP_LOG_LEVEL ?? 'info',
    FW_SHUTDOWN_TIMEOUT_MS: '5000',
    FW_OPS_PORT: '0',
    // Temporal reuse off: these systems count model runs, timings and worker ids per sampled frame on mostly static
    // fixture videos. The gRPC e2e turns it on (and checks it); test/integration/temporal-reuse checks its results.
    FW_REUSE_THRESHOLD: '0',
    ...opts.env,
  };
  const apps: RunningApp[] = [];

  const start = async (app: AppName, extraEnv: Record<string, string> = {}, startTimeoutMs = 60_000): Promise<RunningApp> => {
    const entry = join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
    const proc = spawn(process.execPath, [entry], {
      cwd: dataDir,
      env: { ...process.env, ...env, ...extraEnv, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    const keep = (d: Buffer) => {
      logs.push(d.toString());
      if (logs.length > 2000) logs.splice(0, logs.length - 2000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      proc.once('exit', (code, signal) => r({ code, signal })),
    );
    const running: RunningApp = { app, proc, logs, exited, opsUrl: `http://127.0.0.1:${port}`, started: false };
    apps.push(running);
    await waitForLog(running, /"msg":"[a-z]+ started"/, startTimeoutMs);
    running.started = true;
    const ops = /"ops_port":(\d+)/.exec(logs.join(''));
    if (ops) running.opsUrl = `http://127.0.0.1:${ops[1]}`;
    return running;
  };

  // Start in dependency order; migrations run under an advisory lock either way.
  // As the supervisor of `npm start` does (scripts/supervisor.ts), each replica of a stage takes its share of the cores.
  for (const app of APPS) {
    const n = opts.replicas?.[app] ?? 1;
    const share: Record<string, string> = env.FW_REPLICAS_PER_HOST === undefined ? { FW_REPLICAS_PER_HOST: String(n) } : {};
    await Promise.all(Array.from({ length: n }, () => start(app, share)));
  }

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    nats,
    db,
    dataDir,
    env,
    apps,
    start,
    logsOf: (app) =>
      apps
        .filter((a) => a.app === app)
        .map((a) => a.logs.join(''))
        .join('\n'),
    async stop() {
      await Promise.all(
        apps.map(async (a) => {
          if (a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill('SIGTERM');
          const t = setTimeout(() => a.proc.kill('SIGKILL'), 10_000);
          await a.exited;
          clearTimeout(t);
        }),
      );
      await nats.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitForLog(app: RunningApp, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pattern.test(app.logs.join(''))) return;
    if (app.proc.exitCode !== null || app.proc.signalCode !== null) {
      throw new Error(
        `${app.app} exited (${app.proc.exitCode ?? app.proc.signalCode}) before ${pattern}:\n${app.logs.join('').slice(-4000)}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`${app.app} did not log ${pattern} within ${timeoutMs} ms:\n${app.logs.join('').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Poll until `fn` returns a value, or fail after the timeout with the last value seen. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      // A call that never settles must not outlive the deadline: it reads as a timeout, with what was seen last.
      const v = await Promise.race([
        fn(),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()) + 100).unref()),
      ]);
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}
