import { ConfigError } from '@framewire/runtime';
import { loadIntakeConfig } from './config';

describe('intake config: retention', () => {
  it('keeps jobs forever and sweeps every 10 minutes by default', () => {
    const c = loadIntakeConfig({});
    expect(c.retentionDays).toBeNull();
    expect(c.retentionSweepIntervalMs).toBe(600_000);
    expect(c.retentionSweepBatch).toBe(100);
  });

  it('reads days, off, and a replica that never sweeps', () => {
    const c = loadIntakeConfig({ FW_RETENTION_DAYS: '30', FW_RETENTION_SWEEP_INTERVAL_MS: 'off' });
    expect(c.retentionDays).toBe(30);
    expect(c.retentionSweepIntervalMs).toBeNull();
    expect(loadIntakeConfig({ FW_RETENTION_DAYS: 'off' }).retentionDays).toBeNull();
    expect(loadIntakeConfig({ FW_RETENTION_DAYS: '0' }).retentionDays).toBe(0);
  });

  it.each([
    ['FW_RETENTION_DAYS', 'forever'],
    ['FW_RETENTION_DAYS', '-1'],
    ['FW_RETENTION_DAYS', '1.5'],
    ['FW_RETENTION_SWEEP_INTERVAL_MS', '10'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadIntakeConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadIntakeConfig({ [name]: value })).toThrow(new RegExp(`${name}: must be off or an integer`));
  });
});
