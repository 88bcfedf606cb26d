/**
 * How many cores this process may use, and how many of them one replica
 * should count on: the default of every "how much at once" setting that is
 * bound by CPU (inference frames at once, ONNX threads, videos decoded at
 * once, `framewire analyze`'s workers).
 *
 * `os.availableParallelism()` counts the CPUs the process may run on (its
 * affinity mask) but ignores a cgroup CPU quota: a container limited to 2
 * CPUs on a 64-core node sees 64. The quota is read from the cgroup files
 * (v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`) of the
 * process's own cgroup and each of its ancestors, the smallest one counting.
 * A supervisor that starts several replicas of a stage on one host tells each
 * how many there are (FW_REPLICAS_PER_HOST), and each takes its share.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';
import { z } from 'zod';
import type { ConfigGroup } from './config';

export interface CoresOptions {
  /** Where the cgroup hierarchies are mounted (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** The process's cgroup membership file (default /proc/self/cgroup). */
  procSelfCgroup?: string;
  /** What the OS lets the process run on (default os.availableParallelism()). */
  parallelism?: number;
}

/** The CPU quota over the process's cgroups, in cores (fractional), or null when none is set or none can be read. */
export function cgroupCpuQuota(opts: CoresOptions = {}): number | null {
  const root = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const memberships = readText(opts.procSelfCgroup ?? '/proc/self/cgroup') ?? '';
  const quotas: number[] = [];
  for (const line of memberships.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, , controllers, path] = m;
    if (controllers === '') {
      // cgroup v2: one unified hierarchy at the root (or under unified/ on a hybrid host).
      for (const base of [root, join(root, 'unified')]) {
        for (const dir of ancestors(path)) {
          const q = parseCpuMax(readText(join(base, dir, 'cpu.max')));
          if (q !== null) quotas.push(q);
        }
      }
    } else if (controllers.split(',').includes('cpu')) {
      // cgroup v1: the cpu controller's hierarchy, mounted as cpu, cpu,cpuacct or cpuacct,cpu.
      for (const mount of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu', controllers]) {
        for (const dir of ancestors(path)) {
          const q = parseCfs(readText(join(root, mount, dir, 'cpu.cfs_quota_us')), readText(join(root, mount, dir, 'cpu.cfs_period_us')));
          if (q !== null) quotas.push(q);
        }
      }
    }
  }
  if (quotas.length === 0) {
    // No membership file (or a namespaced one that names nothing we found): the root's own files.
    const v2 = parseCpuMax(readText(join(root, 'cpu.max')));
    const v1 = parseCfs(readText(join(root, 'cpu', 'cpu.cfs_quota_us')), readText(join(root, 'cpu', 'cpu.cfs_period_us')));
    for (const q of [v2, v1]) if (q !== null) quotas.push(q);
  }
  return quotas.length === 0 ? null : Math.min(...quotas);
}

/** The cores this process may use: availableParallelism() capped by the cgroup CPU quota (rounded up: 1.5 CPUs → 2). */
export function processCores(opts: CoresOptions = {}): number {
  const parallelism = opts.parallelism ?? availableParallelism();
  const quota = cgroupCpuQuota(opts);
  return Math.max(1, quota === null ? parallelism : Math.min(parallelism, Math.ceil(quota - 1e-9)));
}

/** The cores one replica counts on: processCores() shared out between the replicas of its stage on this host. */
export function coresForReplica(replicasPerHost = 1, opts: CoresOptions = {}): number {
  return Math.max(1, Math.floor(processCores(opts) / Math.max(1, replicasPerHost)));
}

const replicasSchema = z.coerce
  .number({ message: 'must be an integer' })
  .int('must be an integer')
  .min(1, 'must be >= 1')
  .max(4096, 'must be <= 4096')
  .default(1);

/**
 * FW_REPLICAS_PER_HOST, read into the cores this replica counts on: the
 * ConfigGroup an app spreads into its spec when a default depends on it.
 */
export const REPLICA_CORES_CONFIG = {
  replicaCores: {
    envs: ['FW_REPLICAS_PER_HOST'],
    read: (env: NodeJS.ProcessEnv): number => {
      const raw = env.FW_REPLICAS_PER_HOST;
      const parsed = replicasSchema.safeParse(raw === '' ? undefined : raw);
      if (!parsed.success) throw new Error(`FW_REPLICAS_PER_HOST: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      return coresForReplica(parsed.data);
    },
    doc: 'replicas of this stage the supervisor runs on this host; each counts on (cores it may use, cgroup quota applied) / this many',
  } satisfies ConfigGroup<number>,
};

/** The cores this process counts on, from FW_REPLICAS_PER_HOST in `env` (1 when unset or invalid). */
export function replicaCoresFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = replicasSchema.safeParse(env.FW_REPLICAS_PER_HOST || undefined);
  return coresForReplica(parsed.success ? parsed.data : 1);
}

/** "/a/b" → ["/a/b", "/a", "/"]. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  let p = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  for (;;) {
    out.push(p);
    if (p === '/') return out;
    p = posix.dirname(p);
  }
}

/** cgroup v2 cpu.max: "<quota> <period>" or "max <period>". */
function parseCpuMax(text: string | null): number | null {
  if (text === null) return null;
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return null;
  return ratio(quota, period ?? '100000');
}

/** cgroup v1: cfs_quota_us is -1 when unlimited. */
function parseCfs(quota: string | null, period: string | null): number | null {
  if (quota === null || period === null) return null;
  return ratio(quota.trim(), period.trim());
}

function ratio(quota: string, period: string): number | null {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
