import { loadConfig } from '@framewire/runtime';
import { parseDurationMs, WEBHOOK_DELIVERY_CONFIG } from './config';

describe('webhook config', () => {
  it('reads durations with units, or milliseconds', () => {
    expect(parseDurationMs('24h')).toBe(86_400_000);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('30m')).toBe(1_800_000);
    expect(parseDurationMs('3d')).toBe(3 * 86_400_000);
    expect(parseDurationMs('1500')).toBe(1500);
    expect(parseDurationMs('1.5h')).toBeNull();
    expect(parseDurationMs('soon')).toBeNull();
  });

  it('has defaults, and no secret unless one is set', () => {
    const c = loadConfig(WEBHOOK_DELIVERY_CONFIG, {});
    expect(c).toEqual({
      webhookAllowPrivate: false,
      webhookSecret: null,
      webhookMaxAgeMs: 86_400_000,
      webhookTimeoutMs: 10_000,
      webhookRetryBaseMs: 5000,
      webhookRetryMaxMs: 900_000,
      webhookConcurrency: 16,
    });
  });

  it('refuses a short secret without echoing it, and a bad max age naming the variable', () => {
    expect(() => loadConfig(WEBHOOK_DELIVERY_CONFIG, { FW_WEBHOOK_SECRET: 'hunter2' })).toThrow(
      /FW_WEBHOOK_SECRET: must be at least 16 characters/,
    );
    expect(() => loadConfig(WEBHOOK_DELIVERY_CONFIG, { FW_WEBHOOK_SECRET: 'hunter2' })).not.toThrow(/hunter2/);
    expect(() => loadConfig(WEBHOOK_DELIVERY_CONFIG, { FW_WEBHOOK_MAX_AGE: 'forever' })).toThrow(/FW_WEBHOOK_MAX_AGE: must be a duration/);
    expect(loadConfig(WEBHOOK_DELIVERY_CONFIG, { FW_WEBHOOK_SECRET: 'x'.repeat(16), FW_WEBHOOK_ALLOW_PRIVATE: '1' })).toMatchObject({
      webhookSecret: 'x'.repeat(16),
      webhookAllowPrivate: true,
    });
  });
});
