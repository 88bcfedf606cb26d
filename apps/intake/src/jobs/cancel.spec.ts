import { untilProjected } from './cancel.service';

type Row = { status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' };

/** Rows a reader returns in turn, the last one repeated: how the projection moves the job while the cancel waits. */
function rows(...seq: Row[]): { read: () => Promise<Row>; reads: () => number } {
  let i = 0;
  return { read: async () => seq[Math.min(i++, seq.length - 1)]!, reads: () => i };
}

describe('untilProjected (what a cancel answers)', () => {
  it('answers the row once the projection has made it cancelled, not before', async () => {
    const r = rows({ status: 'running' }, { status: 'running' }, { status: 'cancelled' });
    expect(await untilProjected<Row>({ status: 'running' }, r.read, 2000, 1)).toEqual({ status: 'cancelled' });
    expect(r.reads()).toBe(3);
  });

  it('answers how the job ended when it ended before the cancel was projected', async () => {
    const r = rows({ status: 'completed' });
    expect(await untilProjected<Row>({ status: 'running' }, r.read, 2000, 1)).toEqual({ status: 'completed' });
  });

  it('answers the job as it still stands when the projection does not get there in time', async () => {
    const r = rows({ status: 'running' });
    const t0 = Date.now();
    expect(await untilProjected<Row>({ status: 'pending' }, r.read, 60, 5)).toEqual({ status: 'running' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('stops waiting with the last row read when a read fails', async () => {
    let n = 0;
    const read = async (): Promise<Row> => {
      if (++n === 2) throw new Error('database unavailable');
      return { status: 'running' };
    };
    expect(await untilProjected<Row>({ status: 'pending' }, read, 2000, 1)).toEqual({ status: 'running' });
    expect(n).toBe(2);
  });
});
