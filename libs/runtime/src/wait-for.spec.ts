import { waitFor } from './wait-for';

class Down extends Error {}

describe('waitFor', () => {
  it('retries an outage until the dependency answers', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls++;
        if (calls < 3) throw new Down('refused');
        return 'up';
      },
      { what: 'x', isUnavailable: (e) => e instanceof Down, maxWaitMs: 10_000, baseDelayMs: 1 },
    );
    expect(value).toBe('up');
    expect(calls).toBe(3);
  });

  it('throws anything that is not an outage at once', async () => {
    let calls = 0;
    const wrong = new Error('password authentication failed');
    await expect(
      waitFor(
        async () => {
          calls++;
          throw wrong;
        },
        { what: 'x', isUnavailable: (e) => e instanceof Down, maxWaitMs: 10_000, baseDelayMs: 1 },
      ),
    ).rejects.toBe(wrong);
    expect(calls).toBe(1);
  });

  it('gives up with the last error after maxWaitMs', async () => {
    const t0 = Date.now();
    await expect(
      waitFor(
        async () => {
          throw new Down('still down');
        },
        { what: 'x', isUnavailable: (e) => e instanceof Down, maxWaitMs: 50, baseDelayMs: 5 },
      ),
    ).rejects.toThrow('still down');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
