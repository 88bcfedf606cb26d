import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cgroupCpuQuota, coresForReplica, processCores, REPLICA_CORES_CONFIG } from './cores';

/** A fake /sys/fs/cgroup and /proc/self/cgroup in a temporary directory. */
function fakeHost(files: Record<string, string>, membership: string) {
  const dir = mkdtempSync(join(tmpdir(), 'fw-cgroup-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'cg', path)), { recursive: true });
    writeFileSync(join(dir, 'cg', path), text);
  }
  writeFileSync(join(dir, 'self-cgroup'), membership);
  return { cgroupRoot: join(dir, 'cg'), procSelfCgroup: join(dir, 'self-cgroup'), cleanup: () => rmSync(dir, { recursive: true }) };
}

describe('cores for a replica', () => {
  const hosts: Array<{ cleanup: () => void }> = [];
  const host = (files: Record<string, string>, membership: string) => {
    const h = fakeHost(files, membership);
    hosts.push(h);
    return h;
  };
  afterAll(() => hosts.forEach((h) => h.cleanup()));

  it('cgroup v2: the quota of cpu.max caps availableParallelism, rounded up', () => {
    const h = host({ 'cpu.max': '250000 100000\n' }, '0::/\n');
    expect(cgroupCpuQuota(h)).toBe(2.5);
    expect(processCores({ ...h, parallelism: 64 })).toBe(3);
    expect(processCores({ ...h, parallelism: 2 })).toBe(2);
  });

  it('cgroup v2: "max" is no quota', () => {
    const h = host({ 'cpu.max': 'max 100000\n' }, '0::/\n');
    expect(cgroupCpuQuota(h)).toBeNull();
    expect(processCores({ ...h, parallelism: 8 })).toBe(8);
  });

  it("cgroup v2: the smallest quota of the process's cgroup and its ancestors counts", () => {
    const h = host(
      { 'cpu.max': 'max 100000', 'kubepods/cpu.max': '400000 100000', 'kubepods/pod1/app/cpu.max': '200000 100000' },
      '0::/kubepods/pod1/app\n',
    );
    expect(cgroupCpuQuota(h)).toBe(2);
    expect(processCores({ ...h, parallelism: 16 })).toBe(2);
  });

  it('cgroup v1: cfs_quota_us / cfs_period_us of the cpu hierarchy; -1 is unlimited', () => {
    const limited = host(
      { 'cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '150000\n', 'cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n' },
      '4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n',
    );
    expect(cgroupCpuQuota(limited)).toBe(1.5);
    expect(processCores({ ...limited, parallelism: 32 })).toBe(2);
    const unlimited = host({ 'cpu/cpu.cfs_quota_us': '-1\n', 'cpu/cpu.cfs_period_us': '100000\n' }, '1:cpu:/\n');
    expect(cgroupCpuQuota(unlimited)).toBeNull();
  });

  it('no cgroup files at all: availableParallelism as it is', () => {
    const h = host({}, '');
    expect(cgroupCpuQuota(h)).toBeNull();
    expect(processCores({ ...h, parallelism: 6 })).toBe(6);
  });

  it('a quota under one core still gives one', () => {
    const h = host({ 'cpu.max': '50000 100000' }, '0::/\n');
    expect(processCores({ ...h, parallelism: 4 })).toBe(1);
  });

  it('shares the cores out between the replicas a supervisor starts on the host', () => {
    const h = host({ 'cpu.max': '400000 100000' }, '0::/\n');
    expect(coresForReplica(1, { ...h, parallelism: 8 })).toBe(4);
    expect(coresForReplica(2, { ...h, parallelism: 8 })).toBe(2);
    expect(coresForReplica(3, { ...h, parallelism: 8 })).toBe(1);
    expect(coresForReplica(8, { ...h, parallelism: 8 })).toBe(1);
  });

  it('FW_REPLICAS_PER_HOST is validated, naming the variable', () => {
    const read = REPLICA_CORES_CONFIG.replicaCores.read;
    expect(read({ FW_REPLICAS_PER_HOST: '1' })).toBeGreaterThanOrEqual(1);
    expect(read({ FW_REPLICAS_PER_HOST: '1' })).toBeGreaterThanOrEqual(read({ FW_REPLICAS_PER_HOST: '2' }));
    expect(() => read({ FW_REPLICAS_PER_HOST: '0' })).toThrow(/FW_REPLICAS_PER_HOST: must be >= 1/);
    expect(() => read({ FW_REPLICAS_PER_HOST: 'two' })).toThrow(/FW_REPLICAS_PER_HOST/);
  });
});
