import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { BeforeApplicationShutdown, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kvm, type KV } from '@nats-io/kv';
import { z } from 'zod';
import type { ActivitySnapshot, Metrics } from '@framewire/observability';
import type { Logger } from '@framewire/runtime';
import { DomainError, STAGES, type Stage } from '@framewire/contracts';
import type { Broker } from './broker';

/** Longest a listing of the registry may take before it counts as a broker outage. */
const KEYS_TIMEOUT_MS = 5000;

export const WORKERS_BUCKET = 'fw_workers';

/** The stages, in pipeline order (the order listings are sorted in). */

export interface WorkerRegistrySettings {
  /** How often a replica rewrites its entry (FW_HEARTBEAT_INTERVAL_MS). */
  heartbeatIntervalMs: number;
  /**
   * How long an entry lives without a heartbeat (FW_WORKER_TTL_MS): the
   * bucket's max age, so the server drops a dead replica's entry, and the age
   * beyond which readers ignore an entry whatever the server still holds.
   */
  ttlMs: number;
}

export const DEFAULT_WORKER_REGISTRY: WorkerRegistrySettings = { heartbeatIntervalMs: 5000, ttlMs: 15_000 };

const count = z.number().int().nonnegative();

const workerDecoderSchema = z.object({
  /** `system` (a pair on PATH), `bundled` (the npm build) or `env` (FFMPEG_PATH / FFPROBE_PATH). */
  source: z.string(),
  path: z.string(),
  version: z.string(),
});

/** What a replica says about itself beyond its identity and activity, found once at start. */
export interface WorkerDetails {
  decoder?: z.output<typeof workerDecoderSchema>;
}

/** One replica's entry in the registry, as it writes it (version 1). */
export const workerEntrySchema = z.object({
  v: z.literal(1),
  worker_id: z.string().min(1),
  stage: z.enum(STAGES),
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  started_at: z.iso.datetime({ offset: true }),
  last_heartbeat: z.iso.datetime({ offset: true }),
  uptime_s: count,
  jobs_processed: count,
  jobs_failed: count,
  frames_processed: count,
  frames_failed: count,
  messages_handled: count,
  redeliveries: count,
  in_flight: count,
  /** The ffmpeg a replica that probes or decodes runs (intake, extractor). */
  decoder: workerDecoderSchema.optional(),
});
export type WorkerEntry = z.output<typeof workerEntrySchema>;

/** A live replica as readers see it: its entry and how long ago it last heart-beat. */
export type LiveWorker = Omit<WorkerEntry, 'v'> & { age_ms: number };

/** The registry key of a replica: `<stage>.<worker_id>` (worker ids are [A-Za-z0-9._-], valid in KV keys). */
export function workerKey(stage: Stage, workerId: string): string {
  return `${stage}.${workerId}`;
}

/** The entry a replica writes on each heartbeat. */
export function workerEntry(
  me: { workerId: string; stage: Stage; host: string; pid: number; version: string },
  activity: ActivitySnapshot,
  now: Date,
  details: WorkerDetails = {},
): WorkerEntry {
  return {
    ...(details.decoder ? { decoder: details.decoder } : {}),
    v: 1,
    worker_id: me.workerId,
    stage: me.stage,
    host: me.host,
    pid: me.pid,
    version: me.version,
    started_at: activity.started_at,
    last_heartbeat: now.toISOString(),
    uptime_s: activity.uptime_s,
    jobs_processed: activity.jobs_processed,
    jobs_failed: activity.jobs_failed,
    frames_processed: activity.frames_processed,
    frames_failed: activity.frames_failed,
    messages_handled: activity.messages_handled,
    redeliveries: activity.redeliveries,
    in_flight: activity.in_flight,
  };
}

/**
 * The replicas that are alive at `now`: entries whose last heartbeat is at
 * most `ttlMs` old (a clock a little ahead counts as age 0), one per replica
 * (the newest heartbeat wins), sorted by stage in pipeline order, then worker
 * id. The server expires entries by the bucket's max age too; this holds the
 * bound even when it has not yet, or when the bucket was created with another
 * TTL.
 */
export function liveWorkers(entries: readonly WorkerEntry[], now: number, ttlMs: number): LiveWorker[] {
  const byKey = new Map<string, LiveWorker>();
  for (const { v: _v, ...e } of entries) {
    const age = now - Date.parse(e.last_heartbeat);
    if (!Number.isFinite(age) || age > ttlMs) continue;
    const key = workerKey(e.stage, e.worker_id);
    const seen = byKey.get(key);
    if (!seen || Date.parse(seen.last_heartbeat) < Date.parse(e.last_heartbeat)) byKey.set(key, { ...e, age_ms: Math.max(0, age) });
  }
  const live = [...byKey.values()];
  const rank = (s: Stage) => STAGES.indexOf(s);
  return live.sort((a, b) => rank(a.stage) - rank(b.stage) || (a.worker_id < b.worker_id ? -1 : a.worker_id > b.worker_id ? 1 : 0));
}

/** The version of the package this process runs (package.json above this file, in source and in dist/). */
export function packageVersion(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
        if (typeof pkg.version === 'string') return pkg.version;
      } catch {
        // an unreadable package.json: keep looking above it
      }
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/**
 * Which replicas of which stage are alive, and what each has done: a NATS KV
 * bucket (`fw_workers`, one value per key) holding one entry per replica under
 * `<stage>.<worker_id>`, rewritten on every heartbeat. The bucket's max age is
 * the TTL, so a replica that dies without a word drops out on the server;
 * readers also ignore entries older than the TTL. (Per-message TTLs would need
 * NATS 2.11; a bucket's max age works on 2.9.) File storage, so a NATS restart
 * keeps the bucket (and the max age still bounds what it kept); a bucket that
 * has gone anyway is made again by the next heartbeat.
 */
export class WorkerRegistry {
  private constructor(
    private readonly broker: Broker,
    private kv: KV,
    readonly settings: WorkerRegistrySettings,
  ) {}

  static async open(broker: Broker, settings: WorkerRegistrySettings): Promise<WorkerRegistry> {
    return new WorkerRegistry(broker, await createBucket(broker, settings), settings);
  }

  /** Write a replica's entry; when the write fails, make sure the bucket exists and try once more. */
  async put(entry: WorkerEntry, timeoutMs: number): Promise<void> {
    const key = workerKey(entry.stage, entry.worker_id);
    const value = JSON.stringify(entry);
    try {
      await this.kv.put(key, value, { timeout: timeoutMs });
    } catch {
      this.kv = await createBucket(this.broker, this.settings);
      await this.kv.put(key, value, { timeout: timeoutMs });
    }
  }

  async remove(stage: Stage, workerId: string): Promise<void> {
    await this.kv.delete(workerKey(stage, workerId));
  }

  /** Every well-formed entry the bucket holds (live or not yet expired). */
  async entries(stage?: Stage): Promise<WorkerEntry[]> {
    // A key rewritten while the listing runs (a heartbeat) can be listed twice: keep each once.
    const keys = new Set<string>();
    // Listing keys runs an ordered consumer, which can wait forever on a server that restarts under it: bound it.
    const iter = await this.kv.keys(stage ? `${stage}.>` : '>');
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      iter.stop();
    }, KEYS_TIMEOUT_MS);
    try {
      for await (const key of iter) keys.add(key);
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) throw new DomainError('BROKER_UNAVAILABLE', `listing the worker registry took longer than ${KEYS_TIMEOUT_MS} ms`);
    const found = await Promise.all([...keys].map((k) => this.kv.get(k)));
    const out: WorkerEntry[] = [];
    for (const e of found) {
      if (!e || e.operation !== 'PUT') continue;
      let value: unknown;
      try {
        value = e.json();
      } catch {
        continue;
      }
      const parsed = workerEntrySchema.safeParse(value);
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  /** The live replicas, optionally of one stage, sorted by stage then worker id. */
  async live(stage?: Stage, now = Date.now()): Promise<LiveWorker[]> {
    return liveWorkers(await this.entries(stage), now, this.settings.ttlMs);
  }
}

/** Create the bucket, or bind to it. An existing bucket keeps the max age it was created with; readers still apply settings.ttlMs. */
function createBucket(broker: Broker, settings: WorkerRegistrySettings): Promise<KV> {
  return new Kvm(broker.js).create(WORKERS_BUCKET, { ttl: settings.ttlMs, history: 1, storage: 'file' });
}

/** The registry settings of an app: its config's FW_HEARTBEAT_INTERVAL_MS and FW_WORKER_TTL_MS (COMMON_CONFIG), else the defaults. */
export function registrySettings(config: unknown, override?: Partial<WorkerRegistrySettings>): WorkerRegistrySettings {
  const c = (config && typeof config === 'object' ? config : {}) as { heartbeatIntervalMs?: unknown; workerTtlMs?: unknown };
  return {
    heartbeatIntervalMs:
      override?.heartbeatIntervalMs ??
      (typeof c.heartbeatIntervalMs === 'number' ? c.heartbeatIntervalMs : DEFAULT_WORKER_REGISTRY.heartbeatIntervalMs),
    ttlMs: override?.ttlMs ?? (typeof c.workerTtlMs === 'number' ? c.workerTtlMs : DEFAULT_WORKER_REGISTRY.ttlMs),
  };
}

export interface WorkerIdentity {
  workerId: string;
  stage: Stage;
  logger: Logger;
  /** Found once before the first heartbeat; a failure leaves them out. */
  details?: () => Promise<WorkerDetails>;
}

/**
 * Announces this replica in the worker registry when the app has started,
 * rewrites its entry every heartbeat interval with the replica's activity
 * (Metrics.activity()), and deletes it on a graceful shutdown. A heartbeat
 * that fails (NATS briefly down) is logged and the next tick tries again; it
 * never stops the app.
 */
export class WorkerHeartbeat implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private failing = false;
  private stopped = false;
  private details: WorkerDetails = {};
  private readonly me: { workerId: string; stage: Stage; host: string; pid: number; version: string };
  private readonly startedAt = new Date(Date.now() - Math.round(process.uptime() * 1000));

  constructor(
    private readonly identity: WorkerIdentity,
    private readonly registry: WorkerRegistry,
    /** Absent in an app without ObservabilityModule: the entry then says alive, nothing counted. */
    private readonly metrics: Metrics | null = null,
  ) {
    this.me = { workerId: identity.workerId, stage: identity.stage, host: hostname(), pid: process.pid, version: packageVersion() };
  }

  private get logger(): Logger {
    return this.identity.logger;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { heartbeatIntervalMs, ttlMs } = this.registry.settings;
    if (ttlMs <= heartbeatIntervalMs)
      this.logger.warn(
        { heartbeat_interval_ms: heartbeatIntervalMs, worker_ttl_ms: ttlMs },
        'FW_WORKER_TTL_MS is not above FW_HEARTBEAT_INTERVAL_MS: this replica will blink in and out of the worker registry',
      );
    if (this.identity.details) {
      try {
        this.details = await this.identity.details();
      } catch (err) {
        this.logger.warn({ err }, 'could not tell the worker registry what this replica runs; announcing it without');
      }
    }
    await this.tick();
    this.timer = setInterval(() => void this.tick(), heartbeatIntervalMs);
    this.timer.unref();
    this.logger.info(
      {
        bucket: WORKERS_BUCKET,
        key: workerKey(this.me.stage, this.me.workerId),
        heartbeat_interval_ms: heartbeatIntervalMs,
        worker_ttl_ms: ttlMs,
      },
      'registered in the worker registry',
    );
  }

  /** One heartbeat, unless the previous one is still out (a slow server must not pile writes up). */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.inFlight ??= this.beat().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async beat(): Promise<void> {
    const now = new Date();
    const activity = this.metrics?.activity(now.getTime()) ?? idleActivity(this.startedAt, now.getTime());
    const timeoutMs = Math.max(1000, Math.min(this.registry.settings.heartbeatIntervalMs, 5000));
    try {
      await this.registry.put(workerEntry(this.me, activity, now, this.details), timeoutMs);
      if (this.failing) this.logger.info('worker registry heartbeat recovered');
      this.failing = false;
    } catch (err) {
      // Logged once per outage, not on every tick; the next tick retries.
      if (!this.failing) this.logger.warn({ err }, 'worker registry heartbeat failed; retrying on the next tick');
      this.failing = true;
    }
  }

  /** Stop beating and leave the registry before the connection drains (in-flight work may still finish). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.leave();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leave();
  }

  private async leave(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight?.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${LEAVE_TIMEOUT_MS} ms`)), LEAVE_TIMEOUT_MS);
      });
      await Promise.race([this.registry.remove(this.me.stage, this.me.workerId), timeout]);
      this.logger.info('left the worker registry');
    } catch (err) {
      this.logger.warn({ err }, 'could not leave the worker registry (the entry expires by itself)');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** How long a stopping replica waits to delete its entry (NATS down: it expires by itself). */
const LEAVE_TIMEOUT_MS = 2000;

/** The figures of a replica without a metrics registry: alive, nothing counted. */
function idleActivity(startedAt: Date, now: number): ActivitySnapshot {
  return {
    started_at: startedAt.toISOString(),
    uptime_s: Math.round((now - startedAt.getTime()) / 1000),
    jobs_processed: 0,
    jobs_failed: 0,
    frames_processed: 0,
    frames_failed: 0,
    messages_handled: 0,
    redeliveries: 0,
    in_flight: 0,
  };
}
