import { COMMON_CONFIG, ConfigError, DATABASE_CONFIG, env, loadConfig } from './config';

const SPEC = {
  ...COMMON_CONFIG,
  ...DATABASE_CONFIG,
  port: { env: 'FW_HTTP_PORT', schema: env.port(3000), doc: 'port' },
  flag: { env: 'FW_FLAG', schema: env.bool(false), doc: 'flag' },
};

describe('loadConfig', () => {
  it('fills defaults that run everything on one machine', () => {
    const c = loadConfig(SPEC, {});
    expect(c).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/framewire',
      port: 3000,
      flag: false,
      logLevel: 'info',
    });
  });

  it('parses values from the environment', () => {
    expect(loadConfig(SPEC, { FW_HTTP_PORT: '8080', FW_FLAG: 'yes', FW_NATS_URL: 'nats://a:4222,nats://b:4222' })).toMatchObject({
      port: 8080,
      flag: true,
      natsUrl: 'nats://a:4222,nats://b:4222',
    });
  });

  it('names every bad variable', () => {
    try {
      loadConfig(SPEC, { FW_HTTP_PORT: 'abc', FW_DATABASE_URL: 'mysql://x', FW_LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/FW_HTTP_PORT: must be an integer \(got "abc"\)/);
      expect(msg).toMatch(/FW_DATABASE_URL: must be a postgres or postgresql URL/);
      expect(msg).toMatch(/FW_LOG_LEVEL: must be one of/);
    }
  });
});
