import { COMMON_CONFIG, ConfigError, loadConfig } from './config';
import { describeNatsAuth, natsAuthFromEnv, natsAuthMethod } from './nats-config';

const SECRET = 's3cr3t-value-never-echoed';

function problemOf(env: Record<string, string>): string {
  try {
    natsAuthFromEnv(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected natsAuthFromEnv to throw');
}

describe('natsAuthFromEnv', () => {
  it('is empty (an open server) when nothing is set, or only blanks', () => {
    expect(natsAuthFromEnv({})).toEqual({});
    expect(natsAuthFromEnv({ FW_NATS_USER: '', FW_NATS_PASSWORD: '  ', FW_NATS_TOKEN: '' })).toEqual({});
  });

  it('reads each way to authenticate', () => {
    expect(natsAuthFromEnv({ FW_NATS_USER: 'framewire', FW_NATS_PASSWORD: SECRET })).toEqual({ user: 'framewire', password: SECRET });
    expect(natsAuthFromEnv({ FW_NATS_TOKEN: SECRET })).toEqual({ token: SECRET });
    expect(natsAuthFromEnv({ FW_NATS_NKEY_SEED_FILE: '/run/secrets/user.nk' })).toEqual({ nkeySeedFile: '/run/secrets/user.nk' });
    expect(natsAuthFromEnv({ FW_NATS_CREDS_FILE: '/run/secrets/fw.creds' })).toEqual({ credsFile: '/run/secrets/fw.creds' });
  });

  it('reads TLS files alone or with any credentials', () => {
    expect(natsAuthFromEnv({ FW_NATS_TLS_CA_FILE: '/ca.pem' })).toEqual({ tls: { caFile: '/ca.pem' } });
    expect(
      natsAuthFromEnv({
        FW_NATS_TOKEN: SECRET,
        FW_NATS_TLS_CERT_FILE: '/c.pem',
        FW_NATS_TLS_KEY_FILE: '/k.pem',
        FW_NATS_TLS_CA_FILE: '/ca.pem',
      }),
    ).toEqual({ token: SECRET, tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' } });
  });

  it('refuses a password without a user and a user without a password, naming the variable, not the value', () => {
    const alone = problemOf({ FW_NATS_PASSWORD: SECRET });
    expect(alone).toMatch(/FW_NATS_PASSWORD is set without FW_NATS_USER/);
    expect(alone).not.toContain(SECRET);
    expect(problemOf({ FW_NATS_USER: 'framewire' })).toMatch(/FW_NATS_USER is set without FW_NATS_PASSWORD/);
  });

  it('refuses two ways to authenticate at once', () => {
    const msg = problemOf({ FW_NATS_USER: 'u', FW_NATS_PASSWORD: SECRET, FW_NATS_TOKEN: SECRET, FW_NATS_CREDS_FILE: '/x.creds' });
    expect(msg).toMatch(/set one way to authenticate to NATS, not FW_NATS_USER\/FW_NATS_PASSWORD and FW_NATS_TOKEN and FW_NATS_CREDS_FILE/);
    expect(msg).not.toContain(SECRET);
    expect(problemOf({ FW_NATS_NKEY_SEED_FILE: '/a.nk', FW_NATS_CREDS_FILE: '/b.creds' })).toMatch(
      /FW_NATS_NKEY_SEED_FILE and FW_NATS_CREDS_FILE/,
    );
  });

  it('refuses a client certificate without its key, and a key without its certificate', () => {
    expect(problemOf({ FW_NATS_TLS_CERT_FILE: '/c.pem' })).toMatch(/FW_NATS_TLS_CERT_FILE is set without FW_NATS_TLS_KEY_FILE/);
    expect(problemOf({ FW_NATS_TLS_KEY_FILE: '/k.pem' })).toMatch(/FW_NATS_TLS_KEY_FILE is set without FW_NATS_TLS_CERT_FILE/);
  });

  it('lists every problem at once', () => {
    const msg = problemOf({ FW_NATS_PASSWORD: SECRET, FW_NATS_TLS_KEY_FILE: '/k.pem' });
    expect(msg).toMatch(/FW_NATS_PASSWORD.*; .*FW_NATS_TLS_KEY_FILE/);
  });
});

describe('the nats group of COMMON_CONFIG', () => {
  it('is part of every app config', () => {
    expect(loadConfig(COMMON_CONFIG, {}).nats).toEqual({});
    expect(loadConfig(COMMON_CONFIG, { FW_NATS_TOKEN: SECRET }).nats).toEqual({ token: SECRET });
  });

  it('reports its problems with the other variables, as a ConfigError that does not echo secrets', () => {
    let caught: unknown;
    try {
      loadConfig(COMMON_CONFIG, { FW_NATS_PASSWORD: SECRET, FW_LOG_LEVEL: 'loud' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toMatch(/FW_LOG_LEVEL: must be one of/);
    expect(problems).toMatch(/FW_NATS_PASSWORD is set without FW_NATS_USER/);
    expect(problems).not.toContain(SECRET);
  });
});

describe('describeNatsAuth', () => {
  it('names the method, the user and the files, never a password or token', () => {
    const described = JSON.stringify([
      describeNatsAuth({ user: 'framewire', password: SECRET }),
      describeNatsAuth({ token: SECRET }),
      describeNatsAuth({ credsFile: '/c.creds', tls: { certFile: '/c.pem', keyFile: '/k.pem' } }),
    ]);
    expect(described).not.toContain(SECRET);
    expect(describeNatsAuth({ user: 'framewire', password: SECRET })).toMatchObject({ nats_auth: 'user', nats_user: 'framewire' });
    expect(describeNatsAuth({ credsFile: '/c.creds', tls: { certFile: '/c.pem', keyFile: '/k.pem' } })).toMatchObject({
      nats_auth: 'creds',
      nats_creds_file: '/c.creds',
      nats_tls_client_cert: true,
    });
    expect(natsAuthMethod({})).toBe('none');
    expect(natsAuthMethod({ nkeySeedFile: '/u.nk' })).toBe('nkey');
  });
});
