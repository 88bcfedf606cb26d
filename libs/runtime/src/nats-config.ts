/**
 * How a process authenticates to NATS and secures the connection, from
 * environment variables. At most one way to authenticate: a user and its
 * password, a token, an NKey seed file, or a creds file (a user JWT and its
 * seed, as `nsc` writes it); TLS with a CA, and a client certificate and key,
 * on top of any of them. Files are named here and read when connecting (the
 * deploy check validates an environment where they do not exist).
 *
 * Errors name the variable, never its value: these are secrets.
 */
export interface NatsAuthSettings {
  user?: string;
  password?: string;
  token?: string;
  nkeySeedFile?: string;
  credsFile?: string;
  tls?: NatsTlsSettings;
}

export interface NatsTlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** The variables natsAuthFromEnv reads. */
export const NATS_AUTH_VARIABLES = [
  'FW_NATS_USER',
  'FW_NATS_PASSWORD',
  'FW_NATS_TOKEN',
  'FW_NATS_NKEY_SEED_FILE',
  'FW_NATS_CREDS_FILE',
  'FW_NATS_TLS_CA_FILE',
  'FW_NATS_TLS_CERT_FILE',
  'FW_NATS_TLS_KEY_FILE',
] as const;

export type NatsAuthMethod = 'none' | 'user' | 'token' | 'nkey' | 'creds';

/** Reads the NATS credentials and TLS variables (NATS_AUTH_VARIABLES); throws an Error listing every problem, naming variables only. */
export function natsAuthFromEnv(env: Record<string, string | undefined> = process.env): NatsAuthSettings {
  const value = (name: (typeof NATS_AUTH_VARIABLES)[number]): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const user = value('FW_NATS_USER');
  const password = value('FW_NATS_PASSWORD');
  const token = value('FW_NATS_TOKEN');
  const nkeySeedFile = value('FW_NATS_NKEY_SEED_FILE');
  const credsFile = value('FW_NATS_CREDS_FILE');
  const caFile = value('FW_NATS_TLS_CA_FILE');
  const certFile = value('FW_NATS_TLS_CERT_FILE');
  const keyFile = value('FW_NATS_TLS_KEY_FILE');

  const problems: string[] = [];
  if (password !== undefined && user === undefined) problems.push('FW_NATS_PASSWORD is set without FW_NATS_USER');
  if (user !== undefined && password === undefined) problems.push('FW_NATS_USER is set without FW_NATS_PASSWORD');
  const methods = [
    user !== undefined || password !== undefined ? 'FW_NATS_USER/FW_NATS_PASSWORD' : null,
    token !== undefined ? 'FW_NATS_TOKEN' : null,
    nkeySeedFile !== undefined ? 'FW_NATS_NKEY_SEED_FILE' : null,
    credsFile !== undefined ? 'FW_NATS_CREDS_FILE' : null,
  ].filter((m): m is string => m !== null);
  if (methods.length > 1) problems.push(`set one way to authenticate to NATS, not ${methods.join(' and ')}`);
  if (certFile !== undefined && keyFile === undefined) problems.push('FW_NATS_TLS_CERT_FILE is set without FW_NATS_TLS_KEY_FILE');
  if (keyFile !== undefined && certFile === undefined) problems.push('FW_NATS_TLS_KEY_FILE is set without FW_NATS_TLS_CERT_FILE');
  if (user !== undefined && /\s/.test(user)) problems.push('FW_NATS_USER must not contain whitespace');
  if (problems.length > 0) throw new Error(`invalid NATS credentials: ${problems.join('; ')}`);

  const out: NatsAuthSettings = {};
  if (user !== undefined && password !== undefined) Object.assign(out, { user, password });
  if (token !== undefined) out.token = token;
  if (nkeySeedFile !== undefined) out.nkeySeedFile = nkeySeedFile;
  if (credsFile !== undefined) out.credsFile = credsFile;
  if (caFile !== undefined || certFile !== undefined) {
    out.tls = {
      ...(caFile !== undefined ? { caFile } : {}),
      ...(certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : {}),
    };
  }
  return out;
}

export function natsAuthMethod(s: NatsAuthSettings): NatsAuthMethod {
  if (s.user !== undefined) return 'user';
  if (s.token !== undefined) return 'token';
  if (s.nkeySeedFile !== undefined) return 'nkey';
  if (s.credsFile !== undefined) return 'creds';
  return 'none';
}

/** What a log line may say about the credentials: the method, the user name and file paths, never a secret. */
export function describeNatsAuth(s: NatsAuthSettings): Record<string, string | boolean> {
  const method = natsAuthMethod(s);
  return {
    nats_auth: method,
    ...(s.user !== undefined ? { nats_user: s.user } : {}),
    ...(s.credsFile !== undefined ? { nats_creds_file: s.credsFile } : {}),
    ...(s.nkeySeedFile !== undefined ? { nats_nkey_seed_file: s.nkeySeedFile } : {}),
    nats_tls_client_cert: s.tls?.certFile !== undefined,
  };
}
