import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { makeEvent } from '@framewire/contracts';
import { JobEventsClient } from '@framewire/events';
import { Broker, DEFAULT_TOPOLOGY, provisionStreams } from '@framewire/messaging';
import { COMMON_CONFIG, ConfigError, loadConfig, natsAuthFromEnv, type NatsAuthSettings } from '@framewire/runtime';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { startNatsServer, type TestNats } from '../support/nats-server';

jest.setTimeout(30_000);

const logger = pino({ level: 'silent' });
const SECRET = 'pw-7c1e0b-do-not-log';

/** Connect as an app does: the FW_NATS_* variables through the validated config, then the broker. */
async function brokerFor(nats: TestNats, env: Record<string, string>): Promise<Broker> {
  const config = loadConfig(COMMON_CONFIG, { FW_NATS_URL: nats.url, ...env });
  return Broker.connect({ servers: config.natsUrl, auth: config.nats, name: 'auth-test', logger });
}

/** The broker's start-up failure, within a bound: a refused login is an error, never a hang. */
async function refusal(nats: TestNats, env: Record<string, string>): Promise<Error> {
  const started = Date.now();
  const err = await brokerFor(nats, env).then(
    async (b) => {
      await b.drain();
      return new Error('connected');
    },
    (e: unknown) => e as Error,
  );
  expect(err.message).not.toBe('connected');
  expect(Date.now() - started).toBeLessThan(10_000);
  return err;
}

describe('NATS credentials', () => {
  describe('user and password', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await startNatsServer({ auth: { user: 'framewire', password: SECRET } });
    });
    afterAll(async () => nats?.stop());

    it('connects with the right ones, provisions the streams and publishes', async () => {
      const broker = await brokerFor(nats, nats.appEnv);
      try {
        await provisionStreams(broker.jsm, DEFAULT_TOPOLOGY);
        const ack = await broker.publishEvent(makeEvent('cancelled', randomUUID(), { reason: 'test' }));
        expect(ack.seq).toBeGreaterThan(0);
      } finally {
        await broker.drain();
      }
    });

    it('is refused without credentials, naming the variables to set', async () => {
      const err = await refusal(nats, {});
      expect(err.message).toMatch(/refused the connection .*Authorization Violation.*set FW_NATS_USER and FW_NATS_PASSWORD/i);
    });

    it('is refused with a wrong password, naming the variables and never the value', async () => {
      const err = await refusal(nats, { FW_NATS_USER: 'framewire', FW_NATS_PASSWORD: 'wrong-secret-123' });
      expect(err.message).toMatch(/check FW_NATS_USER and FW_NATS_PASSWORD/);
      expect(err.message).not.toContain('wrong-secret-123');
    });

    it('the config refuses a password without a user, without echoing it', () => {
      let caught: unknown;
      try {
        loadConfig(COMMON_CONFIG, { FW_NATS_PASSWORD: SECRET });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as Error).message).toMatch(/FW_NATS_PASSWORD is set without FW_NATS_USER/);
      expect((caught as Error).message).not.toContain(SECRET);
    });
  });

  describe('token', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await startNatsServer({ auth: { token: SECRET } });
    });
    afterAll(async () => nats?.stop());

    it('connects with the token', async () => {
      const broker = await brokerFor(nats, nats.appEnv);
      expect(await broker.ping()).toBeGreaterThanOrEqual(0);
      await broker.drain();
    });

    it('is refused with a wrong token', async () => {
      const err = await refusal(nats, { FW_NATS_TOKEN: 'not-the-token-42' });
      expect(err.message).toMatch(/check FW_NATS_TOKEN/);
      expect(err.message).not.toContain('not-the-token-42');
    });
  });

  describe('NKey', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await startNatsServer({ auth: { nkey: true } });
    });
    afterAll(async () => nats?.stop());

    it('connects with the seed file', async () => {
      const broker = await brokerFor(nats, nats.appEnv);
      expect(await broker.ping()).toBeGreaterThanOrEqual(0);
      await broker.drain();
    });

    it('stops at start naming the variable when the seed file is missing', async () => {
      const err = await refusal(nats, { FW_NATS_NKEY_SEED_FILE: '/nonexistent/user.nk' });
      expect(err.message).toMatch(/FW_NATS_NKEY_SEED_FILE: cannot read \/nonexistent\/user\.nk: ENOENT/);
    });
  });

  describe('TLS', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await startNatsServer({ auth: { user: 'framewire', password: SECRET }, tls: { verifyClients: true } });
    });
    afterAll(async () => nats?.stop());
    const tlsUrl = () => nats.url.replace('nats://', 'tls://');

    it('connects over tls:// with the CA and a client certificate', async () => {
      const files = nats.tlsFiles!;
      const broker = await brokerFor(nats, {
        ...nats.appEnv,
        FW_NATS_URL: tlsUrl(),
        FW_NATS_TLS_CA_FILE: files.ca,
        FW_NATS_TLS_CERT_FILE: files.clientCert,
        FW_NATS_TLS_KEY_FILE: files.clientKey,
      });
      expect(await broker.ping()).toBeGreaterThanOrEqual(0);
      expect(broker.nc.info?.tls_required).toBe(true);
      await broker.drain();
    });

    it('is refused without the CA that signed the server, naming the TLS variables', async () => {
      const err = await refusal(nats, { ...nats.appEnv, FW_NATS_URL: tlsUrl() });
      expect(err.message).toMatch(/TLS to NATS at .* failed \(unable to verify the first certificate\): check .*FW_NATS_TLS_CA_FILE/);
    });

    it('is refused without a client certificate when the server verifies clients', async () => {
      const err = await refusal(nats, { ...nats.appEnv, FW_NATS_URL: tlsUrl(), FW_NATS_TLS_CA_FILE: nats.tlsFiles!.ca });
      expect(err.message).toMatch(/TLS to NATS at tls:\/\/127\.0\.0\.1:\d+ failed \(.*bad certificate.*\): check .*FW_NATS_TLS_CERT_FILE/);
    });
  });

  /** deploy/nats/nats.conf as compose and Kubernetes run it: a service user, and a read-only user for event subscribers. */
  describe('the deployed authorization (deploy/nats/nats.conf)', () => {
    let nats: TestNats;
    let broker: Broker;
    const readerPassword = 'reader-pw-93b1';
    beforeAll(async () => {
      nats = await startNatsServer({
        config: {
          file: join(__dirname, '..', '..', 'deploy', 'nats', 'nats.conf'),
          env: { NATS_SERVICE_PASSWORD: SECRET, NATS_EVENTS_PASSWORD: readerPassword, NATS_NACK_PASSWORD: 'nack-pw' },
        },
      });
      broker = await brokerFor(nats, { FW_NATS_USER: 'framewire', FW_NATS_PASSWORD: SECRET });
      await provisionStreams(broker.jsm, DEFAULT_TOPOLOGY);
    });
    afterAll(async () => {
      await broker?.drain();
      await nats?.stop();
    });

    it('lets the events user replay a job with an ordered consumer', async () => {
      const jobId = randomUUID();
      await broker.publishEvent(makeEvent('cancelled', jobId, { reason: 'replayed' }));
      const client = await JobEventsClient.connect({
        servers: nats.url,
        user: 'events',
        pass: readerPassword,
        inboxPrefix: '_INBOX_events',
      });
      try {
        const seen: string[] = [];
        for await (const { event } of client.job(jobId)) seen.push(event.type);
        expect(seen).toEqual(['cancelled']);
      } finally {
        await client.close();
      }
    });

    it('does not let the events user publish work or events', async () => {
      const nc = await connect({ servers: nats.url, user: 'events', pass: readerPassword, inboxPrefix: '_INBOX_events' });
      try {
        const js = jetstream(nc, { timeout: 2000 });
        await expect(js.publish('fw.work.extract', 'forged')).rejects.toThrow(/permission|timeout|no responders/i);
        await expect(js.publish(`fw.events.${randomUUID()}.completed`, '{}')).rejects.toThrow(/permission|timeout|no responders/i);
      } finally {
        await nc.close();
      }
      const info = await broker.jsm.streams.info('FW_WORK');
      expect(info.state.messages).toBe(0);
    });

    it('stops an app logged in as the events user at start: it cannot use the JetStream API', async () => {
      const err = await refusal(nats, { FW_NATS_USER: 'events', FW_NATS_PASSWORD: readerPassword });
      expect(err.message).toMatch(/has no usable JetStream for this user/);
    });
  });

  it('the parsed settings carry what the broker needs', () => {
    const s: NatsAuthSettings = natsAuthFromEnv({ FW_NATS_CREDS_FILE: '/run/secrets/fw.creds', FW_NATS_TLS_CA_FILE: '/ca.pem' });
    expect(s).toEqual({ credsFile: '/run/secrets/fw.creds', tls: { caFile: '/ca.pem' } });
  });
});
