import { Kvm, type KV } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { KvWatchEntry } from '@nats-io/kv';
import { DomainError, describeError, UUID } from '@framewire/contracts';
import type { Logger } from '@framewire/runtime';
import type { Broker } from './broker';

export const CANCEL_BUCKET = 'fw_cancelled';
const DAY_MS = 24 * 3600 * 1000;

/** Why a job stopped: the value of its key in the bucket says which. */
export type StoppedState = 'cancelled' | 'failed';

/**
 * Which jobs are stopped (cancelled or failed), known to every replica of
 * every stage: a NATS KV bucket (`fw_cancelled`, named for its first use; a
 * key's value says `cancelled` or `failed`, an entry without `state` is a
 * cancellation) each process watches into memory, so checking a message costs
 * a Set lookup and a stop reaches running work within milliseconds. Intake
 * records cancellations, the status projection records failures; the worker
 * drops the work messages of a stopped job before any handler sees them.
 */
export class CancellationRegistry {
  private readonly stopped = new Set<string>();
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
    if (this.stopped.has(jobId)) return;
    this.stopped.add(jobId);
    for (const c of this.controllers.get(jobId) ?? []) c.abort(new DomainError('CONFLICT', `job ${jobId} was stopped`));
    this.controllers.delete(jobId);
  }

  /** Whether the job was cancelled or has failed: its remaining work is dropped. */
  isStopped(jobId: string): boolean {
    return this.stopped.has(jobId);
  }

  /** A signal that aborts when the job is cancelled; call the returned release when the work ends. */
  track(jobId: string): { signal: AbortSignal; release(): void } {
    const c = new AbortController();
    if (this.stopped.has(jobId)) c.abort(new DomainError('CONFLICT', `job ${jobId} was stopped`));
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
    await this.record(jobId, 'cancelled', reason);
  }

  /** Record that a job failed (idempotent): every stage drops its remaining work. */
  async markFailed(jobId: string, reason: string | null): Promise<void> {
    if (this.stopped.has(jobId)) return;
    await this.record(jobId, 'failed', reason);
  }

  private async record(jobId: string, state: StoppedState, reason: string | null): Promise<void> {
    if (!UUID.test(jobId)) throw new DomainError('INVALID_ARGUMENT', 'job id must be a uuid');
    try {
      await this.kv.put(jobId, JSON.stringify({ state, reason, at: new Date().toISOString() }));
    } catch (err) {
      throw new DomainError('BROKER_UNAVAILABLE', `could not record job ${jobId} as ${state}: ${describeError(err)}`, { cause: err });
    }
    this.mark(jobId);
  }

  close(): void {
    this.watcher?.stop();
  }
}
