/** Terminal output: colour only on a TTY without NO_COLOR, tables, sizes and durations, a progress line. */

export interface Tty {
  write(text: string): void;
  isTTY: boolean;
  columns: number;
}

export function ttyOf(stream: NodeJS.WriteStream): Tty {
  return {
    write: (t) => void stream.write(t),
    get isTTY() {
      return stream.isTTY === true;
    },
    get columns() {
      return stream.columns ?? 100;
    },
  };
}

const useColor = (t: Tty) => t.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
const paint = (code: number) => (t: Tty, s: string) => (useColor(t) ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint(1);
export const dim = paint(2);
export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);
export const cyan = paint(36);

export function statusColor(t: Tty, status: string): string {
  switch (status) {
    case 'completed':
      return green(t, status);
    case 'failed':
      return red(t, status);
    case 'cancelled':
      return yellow(t, status);
    default:
      return cyan(t, status);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

/** A plain-text table: columns sized to their content, right-aligned when numeric. */
export function table(headers: string[], rows: string[][], t: Tty): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? '').length)));
  const numeric = headers.map((_h, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+( ms| s)?$|^-$/.test(visible(r[i] ?? ''))));
  const cell = (v: string, i: number) => {
    const pad = ' '.repeat(Math.max(0, widths[i] - visible(v).length));
    return numeric[i] ? pad + v : v + pad;
  };
  const lines = [headers.map((h, i) => bold(t, cell(h, i))).join('  '), ...rows.map((r) => r.map(cell).join('  ').trimEnd())];
  return lines.join('\n') + '\n';
}

function visible(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * One progress line on stderr: redrawn in place on a TTY (at most 10 times a
 * second), or printed as a plain line when something changes and at most every
 * few seconds otherwise (logs, CI).
 */
export class ProgressLine {
  private lastDraw = 0;
  private lastText = '';
  private lastPhase = '';
  private lastPrintAt = 0;
  private drawn = false;

  constructor(private readonly out: Tty) {}

  /** `phase` (e.g. the job status): a plain-text log prints at once when it changes. */
  update(text: string, fraction: number | null, phase = '', force = false): void {
    const now = Date.now();
    if (this.out.isTTY) {
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const bar = fraction === null ? '' : `${renderBar(fraction, 24, this.out)} `;
      this.out.write(`\r\x1b[2K${truncate(bar + text, Math.max(20, this.out.columns - 1))}`);
      this.drawn = true;
      return;
    }
    const plain = `${fraction === null ? '' : `${Math.floor(fraction * 100)}% `}${text}`;
    const due = force || phase !== this.lastPhase || now - this.lastPrintAt >= 2000;
    if (!due || plain === this.lastText) return;
    this.lastText = plain;
    this.lastPhase = phase;
    this.lastPrintAt = now;
    this.out.write(`${plain}\n`);
  }

  /** Leave the line as it is and move on. */
  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

export function renderBar(fraction: number, width: number, t: Tty): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.floor(f * width);
  const partial = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][Math.floor((f * width - full) * 8)] ?? '';
  const rest = width - full - (partial ? 1 : 0);
  return `${cyan(t, '█'.repeat(full) + partial)}${dim(t, '░'.repeat(Math.max(0, rest)))} ${String(Math.floor(f * 100)).padStart(3)}%`;
}
