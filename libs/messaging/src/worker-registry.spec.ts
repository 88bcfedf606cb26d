import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivitySnapshot, Metrics } from '@framewire/observability';
import type { Logger } from '@framewire/runtime';
import {
  liveWorkers,
  packageVersion,
  registrySettings,
  workerEntry,
  workerEntrySchema,
  workerKey,
  WorkerHeartbeat,
  type WorkerEntry,
  type WorkerRegistry,
} from './worker-registry';
import type { Stage } from '@framewire/contracts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

const ACTIVITY: ActivitySnapshot = {
  started_at: new Date(T0 - 60_000).toISOString(),
  uptime_s: 60,
  jobs_processed: 3,
  jobs_failed: 1,
  frames_processed: 40,
  frames_failed: 2,
  messages_handled: 45,
  redeliveries: 1,
  in_flight: 2,
};

function entry(stage: Stage, id: string, heartbeatAt: number): WorkerEntry {
  return workerEntry({ workerId: id, stage, host: 'h', pid: 1, version: '0.1.0' }, ACTIVITY, new Date(heartbeatAt));
}

describe('worker registry entries', () => {
  it('carry the identity, the activity figures and the heartbeat time, and validate', () => {
    const e = entry('inference', 'inference-a', T0);
    expect(e).toEqual({
      v: 1,
      worker_id: 'inference-a',
      stage: 'inference',
      host: 'h',
      pid: 1,
      version: '0.1.0',
      last_heartbeat: '2026-01-01T00:00:00.000Z',
      ...ACTIVITY,
    });
    expect(workerEntrySchema.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
    expect(workerEntrySchema.safeParse({ ...e, stage: 'mystery' }).success).toBe(false);
    expect(workerEntrySchema.safeParse({ ...e, v: 2 }).success).toBe(false);
    expect(workerKey('inference', 'inference-a')).toBe('inference.inference-a');
  });
});

describe('liveWorkers', () => {
  it('drops entries whose last heartbeat is older than the TTL, keeping the boundary', () => {
    const entries = [entry('inference', 'fresh', T0 - 100), entry('inference', 'edge', T0 - 2000), entry('inference', 'dead', T0 - 2001)];
    const live = liveWorkers(entries, T0, 2000);
    expect(live.map((w) => [w.worker_id, w.age_ms])).toEqual([
      ['edge', 2000],
      ['fresh', 100],
    ]);
    expect(live[0]).not.toHaveProperty('v');
  });

  it('counts a heartbeat from a clock slightly ahead as age 0, and ignores an unreadable time', () => {
    const live = liveWorkers(
      [entry('status', 'ahead', T0 + 300), { ...entry('status', 'bad', T0), last_heartbeat: 'yesterday' }],
      T0,
      1000,
    );
    expect(live.map((w) => [w.worker_id, w.age_ms])).toEqual([['ahead', 0]]);
  });

  it('lists a replica once even when its entry comes twice (a heartbeat during the listing), with the newest heartbeat', () => {
    const live = liveWorkers(
      [entry('inference', 'twice', T0 - 900), entry('inference', 'other', T0), entry('inference', 'twice', T0 - 100)],
      T0,
      1000,
    );
    expect(live.map((w) => [w.worker_id, w.age_ms])).toEqual([
      ['other', 0],
      ['twice', 100],
    ]);
  });

  it('sorts by stage in pipeline order, then by worker id', () => {
    const stages: Stage[] = ['status', 'persister', 'inference', 'extractor', 'intake'];
    const entries = [...stages.map((s) => entry(s, `${s}-1`, T0)), entry('inference', 'inference-0', T0)];
    expect(liveWorkers(entries, T0, 1000).map((w) => w.worker_id)).toEqual([
      'intake-1',
      'extractor-1',
      'inference-0',
      'inference-1',
      'persister-1',
      'status-1',
    ]);
  });
});

describe('registrySettings', () => {
  it('come from the app config (COMMON_CONFIG), an explicit override, or the defaults', () => {
    expect(registrySettings({ heartbeatIntervalMs: 500, workerTtlMs: 2000 })).toEqual({ heartbeatIntervalMs: 500, ttlMs: 2000 });
    expect(registrySettings({ heartbeatIntervalMs: 500, workerTtlMs: 2000 }, { ttlMs: 9000 })).toEqual({
      heartbeatIntervalMs: 500,
      ttlMs: 9000,
    });
    expect(registrySettings(undefined)).toEqual({ heartbeatIntervalMs: 5000, ttlMs: 15_000 });
  });
});

describe('packageVersion', () => {
  it('reads the nearest package.json with a version above the given directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'fw-pkg-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'x', version: '9.8.7' }));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'package.json'), '{ not json');
    expect(packageVersion(join(root, 'a', 'b'))).toBe('9.8.7');
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

/** A registry whose writes can be made to fail, recording what it was asked. */
function fakeRegistry(settings = { heartbeatIntervalMs: 50, ttlMs: 200 }) {
  const puts: WorkerEntry[] = [];
  const removed: string[] = [];
  let failing = false;
  const registry = {
    settings,
    put: jest.fn((e: WorkerEntry) => {
      if (failing) return Promise.reject(new Error('TIMEOUT'));
      puts.push(e);
      return Promise.resolve();
    }),
    remove: jest.fn((stage: Stage, id: string) => {
      removed.push(workerKey(stage, id));
      return Promise.resolve();
    }),
  };
  return {
    registry: registry as unknown as WorkerRegistry,
    puts,
    removed,
    fail: (v: boolean) => {
      failing = v;
    },
  };
}

function fakeLogger() {
  const lines: Array<[string, string]> = [];
  const log = (level: string) => (a: unknown, b?: string) => lines.push([level, typeof a === 'string' ? a : (b ?? '')]);
  return { logger: { info: log('info'), warn: log('warn'), debug: log('debug'), error: log('error') } as unknown as Logger, lines };
}

describe('WorkerHeartbeat', () => {
  const identity = (logger: Logger) => ({ workerId: 'inference-x', stage: 'inference' as const, logger });
  const metrics = { activity: () => ACTIVITY } as unknown as Metrics;

  it('announces itself at start with its metrics, beats on an interval, and leaves on shutdown', async () => {
    const { registry, puts, removed } = fakeRegistry();
    const { logger } = fakeLogger();
    const hb = new WorkerHeartbeat(identity(logger), registry, metrics);
    await hb.onApplicationBootstrap();
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ worker_id: 'inference-x', stage: 'inference', pid: process.pid, jobs_processed: 3, in_flight: 2 });
    await new Promise((r) => setTimeout(r, 180));
    expect(puts.length).toBeGreaterThanOrEqual(3);
    await hb.beforeApplicationShutdown();
    await hb.onApplicationShutdown();
    expect(removed).toEqual(['inference.inference-x']);
    const n = puts.length;
    await new Promise((r) => setTimeout(r, 120));
    await hb.tick();
    expect(puts).toHaveLength(n);
  });

  it('survives a broker outage: logs once, keeps trying, says when it recovered', async () => {
    const { registry, puts, fail } = fakeRegistry();
    const { logger, lines } = fakeLogger();
    const hb = new WorkerHeartbeat(identity(logger), registry, null);
    fail(true);
    await expect(hb.onApplicationBootstrap()).resolves.toBeUndefined();
    await new Promise((r) => setTimeout(r, 160));
    expect(puts).toHaveLength(0);
    expect(lines.filter(([level]) => level === 'warn')).toHaveLength(1);
    fail(false);
    await new Promise((r) => setTimeout(r, 120));
    expect(puts.length).toBeGreaterThanOrEqual(1);
    // Without a metrics registry the entry still says the replica is alive.
    expect(puts[0]).toMatchObject({ jobs_processed: 0, frames_processed: 0, in_flight: 0 });
    expect(lines.some(([, msg]) => /recovered/.test(msg))).toBe(true);
    await hb.beforeApplicationShutdown();
  });

  it('never has two writes out at once', async () => {
    let release!: () => void;
    const registry = {
      settings: { heartbeatIntervalMs: 10, ttlMs: 100 },
      put: jest.fn(() => new Promise<void>((r) => (release = r))),
      remove: jest.fn(() => Promise.resolve()),
    } as unknown as WorkerRegistry & { put: jest.Mock };
    const hb = new WorkerHeartbeat(identity(fakeLogger().logger), registry, metrics);
    const first = hb.tick();
    void hb.tick();
    void hb.tick();
    expect(registry.put).toHaveBeenCalledTimes(1);
    release();
    await first;
    await hb.beforeApplicationShutdown();
  });
});
