import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const APPS = ['status', 'persister', 'inference', 'extractor', 'intake'] as const;
export type App = (typeof APPS)[number];

export interface Supervisor {
  /** Resolves with the exit code once every app has exited. */
  done: Promise<number>;
  /** SIGTERM every app (graceful shutdown). */
  stop(code?: number): void;
}

/**
 * Runs each app as its own process, the way they run in production; when one
 * exits unexpectedly the rest are stopped too.
 */
export function superviseApps(
  counts: Record<App, number>,
  opts: { env?: NodeJS.ProcessEnv; stdio?: 'inherit' | 'ignore' } = {},
): Supervisor {
  const children = new Set<ChildProcess>();
  let stopping = false;
  let exitCode = 0;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const stop = (code = 0) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    for (const c of children) c.kill('SIGTERM');
    if (children.size === 0) resolveDone(exitCode);
  };

  for (const app of APPS) {
    for (let i = 0; i < counts[app]; i++) {
      const entry = join(__dirname, '..', 'apps', app, 'src', 'main.js');
      // One host: the first replica of a stage takes its ops port (FW_OPS_PORT), the others any free port (they log it).
      const ops = i > 0 && app !== 'intake' ? { FW_OPS_PORT: '0' } : {};
      // Each replica of a stage takes its share of the host's cores for its defaults (inference frames at once, ONNX
      // threads, videos decoded at once): FW_REPLICAS_PER_HOST, unless the caller set it (other replicas run here too).
      const share = { FW_REPLICAS_PER_HOST: opts.env?.FW_REPLICAS_PER_HOST ?? process.env.FW_REPLICAS_PER_HOST ?? String(counts[app]) };
      const child = spawn(process.execPath, [entry], {
        stdio: opts.stdio ?? 'inherit',
        env: { ...process.env, ...opts.env, ...ops, ...share },
      });
      children.add(child);
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (!stopping) {
          process.stderr.write(`${app} exited (${signal ?? code}); stopping the rest\n`);
          stop(1);
        }
        if (stopping && children.size === 0) resolveDone(exitCode);
      });
    }
  }
  return { done, stop };
}
