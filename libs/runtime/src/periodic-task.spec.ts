import type { Logger } from './logger';
import { PeriodicTask, type PeriodicTaskOptions } from './periodic-task';

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log =
    (level: string) =>
    (a: unknown, b?: unknown): void => {
      lines.push(`${level}: ${typeof a === 'string' ? a : String(b)}`);
    };
  return { logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') } as unknown as Logger, lines };
}

function options(logger: Logger, over: Partial<PeriodicTaskOptions> = {}): PeriodicTaskOptions {
  return { intervalMs: 10, logger, failingMessage: 'failing', recoveredMessage: 'recovered', ...over };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PeriodicTask', () => {
  it('runs at start and again after each interval, never two runs at once', async () => {
    const { logger } = recordingLogger();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const task = new PeriodicTask(options(logger), async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(15);
      runs++;
      running--;
    });
    task.start();
    await Promise.all([task.runNow(), task.runNow()]);
    await sleep(120);
    await task.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxRunning).toBe(1);
  });

  it('joins the run in flight when asked for one', async () => {
    const { logger } = recordingLogger();
    let runs = 0;
    const task = new PeriodicTask(options(logger, { intervalMs: 60_000 }), async () => {
      runs++;
      await sleep(20);
    });
    const a = task.runNow();
    const b = task.runNow();
    expect(a).toBe(b);
    await a;
    expect(runs).toBe(1);
    await task.stop();
  });

  it('logs a failure once per streak and says when it recovered; runNow never rejects', async () => {
    const { logger, lines } = recordingLogger();
    let fail = true;
    const task = new PeriodicTask(options(logger), () => (fail ? Promise.reject(new Error('down')) : Promise.resolve()));
    await task.runNow();
    await task.runNow();
    await task.runNow();
    expect(task.isFailing).toBe(true);
    fail = false;
    await task.runNow();
    await task.runNow();
    expect(lines).toEqual(['warn: failing', 'info: recovered']);
    expect(task.isFailing).toBe(false);
  });

  it('abandons a run that outlasts its timeout and keeps the schedule going', async () => {
    const { logger, lines } = recordingLogger();
    let calls = 0;
    const task = new PeriodicTask(options(logger, { timeoutMs: 30 }), () => {
      calls++;
      return calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
    });
    task.start();
    await sleep(150);
    await task.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(lines).toEqual(['warn: failing', 'info: recovered']);
  });

  it('stop() waits for the run in flight, and nothing runs after it', async () => {
    const { logger } = recordingLogger();
    let finished = 0;
    let calls = 0;
    const task = new PeriodicTask(options(logger, { firstRunDelayMs: 0 }), async () => {
      calls++;
      await sleep(30);
      finished++;
    });
    task.start();
    await sleep(5);
    await task.stop();
    expect(finished).toBe(calls);
    const after = calls;
    await sleep(50);
    expect(calls).toBe(after);
    expect(task.isStopped).toBe(true);
    await task.runNow();
    expect(calls).toBe(after);
  });
});
