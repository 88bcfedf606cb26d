import { OutageMonitor, type OutageSink } from './outage-monitor';

describe('OutageMonitor', () => {
  function monitor() {
    const log: string[] = [];
    const sink: OutageSink = {
      outagePaused: (d, paused) => log.push(`${d}:${paused ? 'paused' : 'resumed'}`),
      outageRetried: (d) => log.push(`${d}:retry`),
    };
    const m = new OutageMonitor(sink, () => new Date('2026-12-02T05:00:00.000Z'));
    return { m, log };
  }

  it('is ready while nothing is held', () => {
    expect(() => monitor().m.check()).not.toThrow();
  });

  it('reports an outage from its first holder to its last, with its start time', () => {
    const { m, log } = monitor();
    const a = {};
    const b = {};
    m.hold('database', a);
    m.hold('database', b);
    m.retried('database');
    expect(m.current()).toEqual([{ dependency: 'database', since: new Date('2026-12-02T05:00:00.000Z'), held: 2 }]);
    expect(() => m.check()).toThrow('paused: database unavailable since 2026-12-02T05:00:00.000Z');
    m.release(a);
    expect(() => m.check()).toThrow(/database/);
    m.release(b);
    m.release(b); // idempotent
    expect(() => m.check()).not.toThrow();
    expect(log).toEqual(['database:paused', 'database:retry', 'database:resumed']);
  });

  it('moves a holder whose failure changes dependency', () => {
    const { m, log } = monitor();
    const a = {};
    m.hold('storage', a);
    m.hold('broker', a);
    expect(m.current().map((o) => o.dependency)).toEqual(['broker']);
    expect(log).toEqual(['storage:paused', 'storage:resumed', 'broker:paused']);
  });
});
