/** One dependency check: resolves when the dependency answers, throws (or resolves false) when it does not. */
export type HealthCheck = () => Promise<boolean | void> | boolean | void;

export interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface Readiness {
  status: 'ok' | 'unavailable';
  checks: Record<string, CheckResult>;
}

/**
 * Liveness and readiness of one replica. Liveness is the process answering;
 * readiness is every registered dependency answering within the timeout, and
 * the app having started and not begun shutting down.
 */
export class Health {
  private readonly checks = new Map<string, HealthCheck>();
  private phase: 'starting' | 'serving' | 'stopping' = 'starting';

  constructor(private readonly timeoutMs = 2000) {}

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  markServing(): void {
    if (this.phase === 'starting') this.phase = 'serving';
  }

  markStopping(): void {
    this.phase = 'stopping';
  }

  liveness(): { status: 'ok'; phase: string } {
    return { status: 'ok', phase: this.phase };
  }

  async readiness(): Promise<Readiness> {
    const entries = await Promise.all([...this.checks].map(async ([name, check]) => [name, await this.run(check)] as const));
    const checks: Record<string, CheckResult> = Object.fromEntries(entries);
    checks.lifecycle = { ok: this.phase === 'serving', ms: 0, ...(this.phase === 'serving' ? {} : { error: this.phase }) };
    return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'unavailable', checks };
  }

  private async run(check: HealthCheck): Promise<CheckResult> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      const answer = await Promise.race([Promise.resolve().then(check), timeout]);
      const ms = Math.round(performance.now() - t0);
      return answer === false ? { ok: false, ms, error: 'not ready' } : { ok: true, ms };
    } catch (err) {
      return { ok: false, ms: Math.round(performance.now() - t0), error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}
