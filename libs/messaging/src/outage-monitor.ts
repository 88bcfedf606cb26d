import type { OutageDependency } from './ack-policy';

export interface OutageState {
  dependency: OutageDependency;
  since: Date;
  /** Messages (or batches) held in-process waiting for the dependency. */
  held: number;
}

/** Where the outage gauge and retry counter go (Metrics implements it). */
export interface OutageSink {
  outagePaused(dependency: OutageDependency, paused: boolean): void;
  outageRetried(dependency: OutageDependency): void;
}

/**
 * Which dependencies this process is waiting for, since when: the workers
 * report the messages they hold through an outage, readiness reads it
 * ("paused: database unavailable since ..."), and a gauge shows it. One per
 * process, shared by every worker in it.
 */
export class OutageMonitor {
  private readonly holders = new Map<OutageDependency, { since: Date; held: Set<object> }>();

  constructor(
    private readonly sink: OutageSink | null = null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `holder` (a message or batch in hand) waits for `dependency`; the outage starts with the first holder. */
  hold(dependency: OutageDependency, holder: object): void {
    for (const [dep, state] of this.holders) if (dep !== dependency) this.drop(dep, state, holder);
    let state = this.holders.get(dependency);
    if (!state) {
      state = { since: this.now(), held: new Set() };
      this.holders.set(dependency, state);
      this.sink?.outagePaused(dependency, true);
    }
    state.held.add(holder);
  }

  /** One more in-process attempt at a held message. */
  retried(dependency: OutageDependency): void {
    this.sink?.outageRetried(dependency);
  }

  /** `holder` waits no more (it succeeded, failed otherwise, was handed back or given up); the outage ends with the last holder. */
  release(holder: object): void {
    for (const [dep, state] of this.holders) this.drop(dep, state, holder);
  }

  current(): OutageState[] {
    return [...this.holders].map(([dependency, s]) => ({ dependency, since: s.since, held: s.held.size }));
  }

  /** The readiness check: throws while any dependency is down. */
  check(): void {
    const down = this.current();
    if (down.length === 0) return;
    throw new Error(`paused: ${down.map((d) => `${d.dependency} unavailable since ${d.since.toISOString()}`).join('; ')}`);
  }

  private drop(dep: OutageDependency, state: { held: Set<object> }, holder: object): void {
    if (!state.held.delete(holder) || state.held.size > 0) return;
    this.holders.delete(dep);
    this.sink?.outagePaused(dep, false);
  }
}
