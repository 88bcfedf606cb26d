import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsAuthSettings } from '@framewire/runtime';

/** The servers of a comma-separated FW_NATS_URL. */
export function natsServers(servers: string | string[]): string[] {
  return (Array.isArray(servers) ? servers : servers.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * The connection options that carry these credentials and TLS settings. An
 * NKey seed or creds file is read here, so a missing or unreadable file fails
 * at start naming its variable (never its content). A `tls://` URL requires
 * TLS even without any TLS file (the client would otherwise only use TLS when
 * the server offers it).
 */
export function natsConnectOptions(servers: string | string[], auth: NatsAuthSettings = {}): Partial<NodeConnectionOptions> {
  const list = natsServers(servers);
  const out: Partial<NodeConnectionOptions> = { servers: list };
  if (auth.user !== undefined) Object.assign(out, { user: auth.user, pass: auth.password });
  if (auth.token !== undefined) out.token = auth.token;
  if (auth.nkeySeedFile !== undefined) {
    const seed = readSecretFile('FW_NATS_NKEY_SEED_FILE', auth.nkeySeedFile).trim();
    if (!/^SU[A-Z2-7]{56}$/.test(seed)) throw new Error(`FW_NATS_NKEY_SEED_FILE: ${auth.nkeySeedFile} holds no user NKey seed (SU…)`);
    out.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (auth.credsFile !== undefined) {
    const creds = readSecretFile('FW_NATS_CREDS_FILE', auth.credsFile);
    if (!creds.includes('-----BEGIN NATS USER JWT-----') || !creds.includes('-----BEGIN USER NKEY SEED-----')) {
      throw new Error(`FW_NATS_CREDS_FILE: ${auth.credsFile} is not a NATS creds file (a user JWT and its seed)`);
    }
    out.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
  }
  const wantsTls = list.some((s) => s.startsWith('tls://'));
  if (auth.tls !== undefined || wantsTls) {
    out.tls = {
      ...(auth.tls?.caFile !== undefined ? { caFile: checkReadable('FW_NATS_TLS_CA_FILE', auth.tls.caFile) } : {}),
      ...(auth.tls?.certFile !== undefined ? { certFile: checkReadable('FW_NATS_TLS_CERT_FILE', auth.tls.certFile) } : {}),
      ...(auth.tls?.keyFile !== undefined ? { keyFile: checkReadable('FW_NATS_TLS_KEY_FILE', auth.tls.keyFile) } : {}),
    };
  }
  return out;
}

function readSecretFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${variable}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function checkReadable(variable: string, path: string): string {
  readSecretFile(variable, path);
  return path;
}

const AUTH_ERROR = /authorization violation|authentication|user authentication expired|auth/i;
const TLS_ERROR = /tls|certificate|ssl|altname|self[- ]signed|unable to verify|handshake/i;

/** A refused login or a failed TLS handshake: retrying the same settings cannot help. */
export function isPermanentConnectError(err: unknown): boolean {
  const message = `${messageOf(err)} ${codeOf(err)}`;
  return AUTH_ERROR.test(message) || TLS_ERROR.test(message);
}

/** An error's message (its first line), also for errors of another realm (no instanceof). */
function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  return (typeof m === 'string' ? m : String(err)).split('\n')[0].trim();
}

function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}

/**
 * Says what went wrong in words an operator can act on: a refused login
 * names the credentials variables, never their values.
 */
export function describeConnectError(err: unknown, auth: NatsAuthSettings, servers: string[]): Error {
  const message = messageOf(err);
  const where = servers.map(withoutUserInfo).join(',');
  if (AUTH_ERROR.test(message)) {
    const hint =
      auth.user !== undefined
        ? 'check FW_NATS_USER and FW_NATS_PASSWORD'
        : auth.token !== undefined
          ? 'check FW_NATS_TOKEN'
          : auth.nkeySeedFile !== undefined
            ? 'check FW_NATS_NKEY_SEED_FILE'
            : auth.credsFile !== undefined
              ? 'check FW_NATS_CREDS_FILE'
              : 'the server requires credentials: set FW_NATS_USER and FW_NATS_PASSWORD, FW_NATS_TOKEN, FW_NATS_NKEY_SEED_FILE or FW_NATS_CREDS_FILE';
    return new Error(`NATS at ${where} refused the connection (${message}): ${hint}`, { cause: err });
  }
  if (TLS_ERROR.test(message) || /TLS|CERT/.test(codeOf(err))) {
    return new Error(
      `TLS to NATS at ${where} failed (${message}): check FW_NATS_URL, FW_NATS_TLS_CA_FILE, FW_NATS_TLS_CERT_FILE and FW_NATS_TLS_KEY_FILE`,
      { cause: err },
    );
  }
  return new Error(`cannot connect to NATS at ${where}: ${message}`, { cause: err });
}

/** A server URL without any `user:password@` part. */
export function withoutUserInfo(server: string): string {
  return server.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');
}
