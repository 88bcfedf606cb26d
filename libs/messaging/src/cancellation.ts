import { Kvm, type KV } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { KvWatchEntry } from '@nats-io/kv';
import { DomainError, UUID } from '@framewire/contracts';
import type { Logger } from '@framewire/runtime';
import type { Broker } from './broker';

export const CANCEL_BUCKET = 'fw_cancelled';
const DAY_MS = 24 * 3600 * 1000;

/**
 * Which jobs were cancelled, known to every replica of every stage: a NATS KV
 * bucket each process watches into memory, so checking a frame costs a Set
 * lookup and a cancel reaches running work within milliseconds.
 */
export class CancellationRegistry {
  private readonly cancelled = new Set<string>();
  private readonly controllers = new Map<string, Set<AbortController>>();
  private watcher: QueuedIterator<KvWatchEntry> | null = null;

  private constructor(
    private readonly kv: KV,
    private readonly logger: Logger,
  ) {}

  static async open(broker: Broker, logger: Logger, ttlMs = 7 * DAY_MS): Promise<CancellationRegistry> {
    const kv = await new Kvm(broker.js).create(CANCEL_BUCKET, { ttl: ttlMs, history: 1 });
    const registry = new CancellationRegistry(kv, logger);
    await registry.watch();
    return registry;
  }

  /** Start watching (live updates), then read what is already there, so nothing falls between the two. */
  private async watch(): Promise<void> {
    const watcher = await this.kv.watch({ key: '>', ignoreDeletes: true });
    this.watcher = watcher;
    void (async () => {
      for await (const e of watcher) {
        if (e.operation === 'PUT') this.mark(e.key);
      }
    })().catch((err: unknown) => this.logger.error({ err }, 'cancellation watch stopped'));
    for await (const key of await this.kv.keys()) this.mark(key);
  }

  private mark(jobId: string): void {
    if (this.cancelled.has(jobId)) return;
    this.cancelled.add(jobId);
    for (const c of this.controllers.get(jobId) ?? []) c.abort(new DomainError('CONFLICT', `job ${jobId} was cancelled`));
    this.controllers.delete(jobId);
  }

  isCancelled(jobId: string): boolean {
    return this.cancelled.has(jobId);
  }

  /** A signal that aborts when the job is cancelled; call the returned release when the work ends. */
  track(jobId: string): { signal: AbortSignal; release(): void } {
    const c = new AbortController();
    if (this.cancelled.has(jobId)) c.abort(new DomainError('CONFLICT', `job ${jobId} was cancelled`));
    else {
      const set = this.controllers.get(jobId) ?? new Set<AbortController>();
      set.add(c);
      this.controllers.set(jobId, set);
    }
    return {
      signal: c.signal,
      release: () => {
        const set = this.controllers.get(jobId);
        set?.delete(c);
        if (set?.size === 0) this.controllers.delete(jobId);
      },
    };
  }

  /** Record a cancellation; every replica sees it through its watch. */
  async cancel(jobId: string, reason: string | null): Promise<void> {
    if (!UUID.test(jobId)) throw new DomainError('INVALID_ARGUMENT', 'job id must be a uuid');
    await this.kv.put(jobId, JSON.stringify({ reason, at: new Date().toISOString() }));
    this.mark(jobId);
  }

  close(): void {
    this.watcher?.stop();
  }
}
