import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeyAuthenticator, nkeys, type NodeConnectionOptions } from '@nats-io/transport-node';

/**
 * A private nats-server with JetStream for one test file: its own port and
 * store directory, so tests never touch (or depend on) the machine's server.
 */
export interface TestNats {
  url: string;
  port: number;
  /** What a test's own client passes to connect() to be let in (empty for an open server). */
  clientOptions: Partial<NodeConnectionOptions>;
  /** The FW_NATS_* variables that let an app in (empty for an open server). */
  appEnv: Record<string, string>;
  /** With `tls`: the test CA, and a client certificate it signed (PEM files). */
  tlsFiles?: TestTlsFiles;
  stop(): Promise<void>;
  /** Kill and start again on the same port and store (a broker outage). */
  restart(downMs?: number): Promise<void>;
}

/** The authentication a test server requires: a user and password, a token, or an NKey user (a fresh key pair). */
export type TestNatsAuth = { user: string; password: string } | { token: string } | { nkey: true };

export interface TestNatsOptions {
  auth?: TestNatsAuth;
  /** A whole nats-server config file instead (e.g. deploy/nats/nats.conf), and the environment its `$VARIABLES` come from. */
  config?: { file: string; env: Record<string, string> };
  /** Serve TLS only, with a certificate of a fresh test CA; `verifyClients`: require a client certificate it signed. */
  tls?: { verifyClients?: boolean };
}

export interface TestTlsFiles {
  ca: string;
  clientCert: string;
  clientKey: string;
}

export async function startNatsServer(opts: TestNatsOptions = {}): Promise<TestNats> {
  const bin = process.env.NATS_SERVER_BIN ?? 'nats-server';
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'fw-nats-'));
  const { args: authArgs, clientOptions, appEnv } = await authSetup(opts, storeDir);
  const tlsFiles = opts.tls ? makeTestCertificates(storeDir) : undefined;
  if (tlsFiles && opts.tls) {
    authArgs.push('--tls', '--tlscert', join(storeDir, 'server.pem'), '--tlskey', join(storeDir, 'server.key'), '--tlscacert', tlsFiles.ca);
    if (opts.tls.verifyClients) authArgs.push('--tlsverify');
  }
  let proc: ChildProcess | null = null;

  const launch = async () => {
    proc = spawn(bin, [...authArgs, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...opts.config?.env },
    });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await waitForPort(port, 10_000).catch((err: Error) => {
      throw new Error(`nats-server did not start: ${err.message}\n${stderr}`);
    });
  };
  const kill = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    clientOptions,
    appEnv,
    ...(tlsFiles ? { tlsFiles } : {}),
    async stop() {
      await kill();
      await rm(storeDir, { recursive: true, force: true });
    },
    async restart(downMs = 500) {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
  };
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, with openssl (P-256 keys: fast). */
function makeTestCertificates(dir: string): TestTlsFiles {
  const f = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...key, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=framewire-test-ca']);
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ]) {
    writeFileSync(f(`${name}.ext`), ext);
    run(['req', ...key, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=framewire-test-${name}`]);
    run(
      ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial'].concat([
        '-out',
        f(`${name}.pem`),
        '-days',
        '1',
        '-extfile',
        f(`${name}.ext`),
      ]),
    );
  }
  return { ca: f('ca.pem'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

async function authSetup(
  opts: TestNatsOptions,
  dir: string,
): Promise<{ args: string[]; clientOptions: Partial<NodeConnectionOptions>; appEnv: Record<string, string> }> {
  if (opts.config) return { args: ['-c', opts.config.file], clientOptions: {}, appEnv: {} };
  const auth = opts.auth;
  if (!auth) return { args: [], clientOptions: {}, appEnv: {} };
  if ('user' in auth) {
    return {
      args: ['--user', auth.user, '--pass', auth.password],
      clientOptions: { user: auth.user, pass: auth.password },
      appEnv: { FW_NATS_USER: auth.user, FW_NATS_PASSWORD: auth.password },
    };
  }
  if ('token' in auth) return { args: ['--auth', auth.token], clientOptions: { token: auth.token }, appEnv: { FW_NATS_TOKEN: auth.token } };
  const user = nkeys.createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const seedFile = join(dir, 'user.nk');
  await writeFile(seedFile, `${seed}\n`, { mode: 0o600 });
  const conf = join(dir, 'nkey.conf');
  await writeFile(conf, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
  return {
    args: ['-c', conf],
    clientOptions: { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) },
    appEnv: { FW_NATS_NKEY_SEED_FILE: seedFile },
  };
}

/**
 * A port nothing listens on, for a server a test starts later. Picked below
 * the kernel's ephemeral range (32768–60999 on Linux): a port the kernel
 * handed out and took back could be handed out again, as the local port of an
 * outgoing connection or to a server bound to port 0, before the test's
 * server binds it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = FREE_PORT_LOW + Math.floor(Math.random() * (FREE_PORT_HIGH - FREE_PORT_LOW));
    if (await canListen(port)) return port;
    if (attempt === 100) throw new Error(`no free port in ${FREE_PORT_LOW}–${FREE_PORT_HIGH}`);
  }
}

const FREE_PORT_LOW = 20_000;
const FREE_PORT_HIGH = 32_000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
