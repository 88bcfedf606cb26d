import type { FrameResult } from '@framewire/grpc';
import type { FrameOutcome } from './analyze';
import { bold, dim, red, truncate, type Tty } from './output';

/** A row of results as HTTP and `analyze` show it. */
export function resultRow(r: FrameResult): FrameOutcome {
  const { analysed, source } = r.geometry ?? {};
  return {
    frame_index: r.frameIndex,
    pts_ms: r.ptsMs,
    result: r.result ?? null,
    error: r.error ?? null,
    timings_ms: r.timingsMs,
    geometry: analysed && source ? { analysed, source } : null,
    ...(r.reusedFrom === undefined ? {} : { reused_from: r.reusedFrom }),
  };
}

/** Object keys of `result` in one order (Postgres jsonb reorders them), so a job's results and `analyze` diff cleanly. */
export function canonicalOutcome(r: FrameOutcome): FrameOutcome {
  return { ...r, result: r.result === null ? null : (canonical(r.result) as Record<string, unknown>) };
}

export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Writes results as they come, never holding them all: a JSON array, or a
 * table with fixed-width columns. Nothing is written until the first result
 * (or a successful end), so a command that fails early prints only its error.
 */
export class ResultsWriter {
  private count = 0;

  constructor(
    private readonly format: 'json' | 'table',
    private readonly stdout: Tty,
  ) {}

  add(outcome: FrameOutcome): void {
    const r = canonicalOutcome(outcome);
    if (this.format === 'json') {
      this.stdout.write(`${this.count === 0 ? '[\n' : ',\n'}${JSON.stringify(r)}`);
    } else {
      if (this.count === 0) this.stdout.write(`${bold(this.stdout, `${'frame'.padStart(7)}  ${'pts (ms)'.padStart(10)}  result`)}\n`);
      const reused = r.reused_from === undefined ? '' : dim(this.stdout, ` (reused from frame ${r.reused_from})`);
      const cell = (r.error ? red(this.stdout, truncate(r.error, 100)) : summarize(r.result)) + reused;
      this.stdout.write(`${String(r.frame_index).padStart(7)}  ${r.pts_ms.toFixed(0).padStart(10)}  ${cell}\n`);
    }
    this.count++;
  }

  /** Close the output; `complete` false (a failure) leaves an empty output empty. Returns the number of results. */
  end(complete: boolean): number {
    if (this.format === 'json' && (this.count > 0 || complete)) this.stdout.write(this.count === 0 ? '[]\n' : '\n]\n');
    if (this.format === 'table' && this.count === 0 && complete) this.stdout.write('no results\n');
    return this.count;
  }
}

/** One cell for a frame's result: counts of what each output node found, and any text read. */
export function summarize(result: Record<string, unknown> | null): string {
  if (!result) return '-';
  const parts: string[] = [];
  for (const [node, value] of Object.entries(result)) {
    const v = value as { regions?: unknown[]; lines?: Array<{ text?: string }> } | null;
    if (v && Array.isArray(v.lines)) {
      const texts = v.lines.map((l) => l.text ?? '').filter(Boolean);
      parts.push(
        `${node}: ${v.lines.length} line${v.lines.length === 1 ? '' : 's'}${texts.length ? ` ${JSON.stringify(texts.join(' | '))}` : ''}`,
      );
    } else if (v && Array.isArray(v.regions)) {
      parts.push(`${node}: ${v.regions.length} region${v.regions.length === 1 ? '' : 's'}`);
    } else {
      parts.push(`${node}: ${truncate(JSON.stringify(value), 60)}`);
    }
  }
  return truncate(parts.join('; '), 120);
}
