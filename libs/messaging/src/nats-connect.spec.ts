import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { describeConnectError, isPermanentConnectError, natsConnectOptions, natsServers, withoutUserInfo } from './nats-connect';

const dir = mkdtempSync(join(tmpdir(), 'fw-nats-connect-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('natsConnectOptions', () => {
  it('splits the servers and adds nothing for an open server', () => {
    expect(natsServers(' nats://a:4222, nats://b:4222 ,')).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(natsConnectOptions('nats://a:4222')).toEqual({ servers: ['nats://a:4222'] });
  });

  it('passes a user and password, or a token', () => {
    expect(natsConnectOptions('nats://a', { user: 'u', password: 'p' })).toMatchObject({ user: 'u', pass: 'p' });
    expect(natsConnectOptions('nats://a', { token: 't' })).toMatchObject({ token: 't' });
  });

  it('reads an NKey seed file into an authenticator, and refuses a file that holds no user seed', () => {
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    const opts = natsConnectOptions('nats://a', { nkeySeedFile: file('user.nk', `${seed}\n`) });
    expect(typeof opts.authenticator).toBe('function');
    const bad = file('bad.nk', 'not a seed');
    expect(() => natsConnectOptions('nats://a', { nkeySeedFile: bad })).toThrow(`FW_NATS_NKEY_SEED_FILE: ${bad} holds no user NKey seed`);
    expect(() => natsConnectOptions('nats://a', { nkeySeedFile: join(dir, 'missing.nk') })).toThrow(
      /FW_NATS_NKEY_SEED_FILE: cannot read .*missing\.nk: ENOENT/,
    );
  });

  it('refuses a creds file that is not one, without printing its content', () => {
    const bad = file('bad.creds', 'hunter2');
    let message = '';
    try {
      natsConnectOptions('nats://a', { credsFile: bad });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/FW_NATS_CREDS_FILE: .* is not a NATS creds file/);
    expect(message).not.toContain('hunter2');
  });

  it('requires TLS for tls:// URLs and passes the TLS files (checked readable)', () => {
    expect(natsConnectOptions('tls://a:4222')).toMatchObject({ tls: {} });
    expect(natsConnectOptions('nats://a:4222').tls).toBeUndefined();
    const ca = file('ca.pem', 'x');
    expect(natsConnectOptions('nats://a', { tls: { caFile: ca } })).toMatchObject({ tls: { caFile: ca } });
    expect(() => natsConnectOptions('nats://a', { tls: { caFile: join(dir, 'nope.pem') } })).toThrow(/FW_NATS_TLS_CA_FILE: cannot read/);
  });
});

describe('describeConnectError', () => {
  const servers = ['nats://svc:hunter2@nats:4222'];

  it('turns a refused login into the variables to check, without the URL credentials', () => {
    const err = describeConnectError(new Error('Authorization Violation'), { user: 'u', password: 'p' }, servers);
    expect(err.message).toBe(
      'NATS at nats://nats:4222 refused the connection (Authorization Violation): check FW_NATS_USER and FW_NATS_PASSWORD',
    );
    expect(describeConnectError(new Error('Authorization Violation'), {}, servers).message).toMatch(/the server requires credentials: set/);
  });

  it('names TLS problems and anything else plainly', () => {
    expect(describeConnectError(new Error('self-signed certificate'), {}, servers).message).toMatch(/TLS to NATS .* FW_NATS_TLS_CA_FILE/);
    expect(describeConnectError(new Error('ECONNREFUSED'), {}, servers).message).toBe(
      'cannot connect to NATS at nats://nats:4222: ECONNREFUSED',
    );
  });

  it('strips user info from server URLs', () => {
    expect(withoutUserInfo('nats://a:b@host:4222')).toBe('nats://host:4222');
    expect(withoutUserInfo('tls://host:4222')).toBe('tls://host:4222');
  });
});

describe('isPermanentConnectError', () => {
  it('tells a refused login or a failed TLS handshake from an outage', () => {
    expect(isPermanentConnectError(new Error('Authorization Violation'))).toBe(true);
    expect(isPermanentConnectError(new Error('unable to verify the first certificate'))).toBe(true);
    expect(isPermanentConnectError(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))).toBe(true);
    expect(isPermanentConnectError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4222'), { code: 'ECONNREFUSED' }))).toBe(false);
  });
});
