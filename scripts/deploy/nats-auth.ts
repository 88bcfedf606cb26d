import { natsAuthFromEnv } from '@framewire/runtime';
import type { Problem } from './problems';

/** What a nats-server config file says about who may connect. */
export interface NatsConf {
  /** An `authorization` or `accounts` block: clients need credentials. */
  requiresAuth: boolean;
  /** The users with a password (literal, or `$VARIABLE` from the server's environment). */
  users: Array<{ user: string; password: string | undefined }>;
  /** `$VARIABLES` the file takes from the environment (nats-server refuses to start when one is unset). */
  variables: string[];
}

/** Comments and quoted strings removed (a `$JS.API…` subject in quotes is no variable). */
function code(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/("[^"]*"|'[^']*')/g, '""').replace(/(#|\/\/).*$/, ''))
    .join('\n');
}

export function parseNatsConf(text: string): NatsConf {
  const src = code(text);
  const users: NatsConf['users'] = [];
  // Each user entry names its user before its password.
  const re = /\buser\s*[:=]\s*([\w.@-]+)|\bpassword\s*[:=]\s*(\$?[\w.@-]+)/g;
  for (const m of src.matchAll(re)) {
    if (m[1] !== undefined) users.push({ user: m[1], password: undefined });
    else if (users.length > 0 && users[users.length - 1].password === undefined) users[users.length - 1].password = m[2];
  }
  return {
    requiresAuth: /^\s*(authorization|accounts|operator)\s*[:={]/m.test(src),
    users,
    variables: [...new Set([...src.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))],
  };
}

/** The same configuration, whatever the comments and blank lines around it. */
export function sameNatsConf(a: string, b: string): boolean {
  const norm = (t: string) =>
    t
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter((l) => l !== '')
      .join('\n');
  return norm(a) === norm(b);
}

export interface NatsServerSide {
  conf: NatsConf;
  /** Where the file is, for messages. */
  confName: string;
  /** The server's environment (what is known offline). */
  env: Record<string, string>;
  /** Names set in the server's environment, values known or not. */
  envNames: Set<string>;
  where: { file: string; object: string; path: string };
}

export interface NatsClientSide {
  app: string;
  values: Record<string, string>;
  where: { file: string; object: string; path: string };
}

/**
 * A server that requires credentials and the apps that connect to it: the
 * server's environment sets every variable its config references, and every
 * app logs in as a user of that config with that user's password (when both
 * values are known offline). Messages never quote a password.
 */
export function checkNatsCredentials(server: NatsServerSide, apps: NatsClientSide[]): Problem[] {
  const problems: Problem[] = [];
  for (const v of server.conf.variables) {
    if (!server.envNames.has(v)) {
      problems.push({ ...server.where, message: `${server.confName} references $${v}, which the NATS server's environment does not set` });
    }
  }
  if (!server.conf.requiresAuth) return problems;
  for (const a of apps) {
    let auth;
    try {
      auth = natsAuthFromEnv(a.values);
    } catch {
      continue; // the app's own config check reports it
    }
    if (auth.user === undefined && auth.token === undefined && auth.nkeySeedFile === undefined && auth.credsFile === undefined) {
      problems.push({
        ...a.where,
        message: `NATS requires credentials (${server.confName}): set FW_NATS_USER and FW_NATS_PASSWORD of a user there`,
      });
      continue;
    }
    if (auth.user === undefined) continue;
    const user = server.conf.users.find((u) => u.user === auth.user);
    if (!user) {
      problems.push({
        ...a.where,
        message: `FW_NATS_USER ${auth.user} is no user of ${server.confName} (${server.conf.users.map((u) => u.user).join(', ') || 'none'})`,
      });
      continue;
    }
    const expected = user.password?.startsWith('$') ? server.env[user.password.slice(1)] : user.password;
    if (expected !== undefined && auth.password !== undefined && expected !== auth.password) {
      problems.push({
        ...a.where,
        message: `FW_NATS_PASSWORD is not the password of user ${auth.user} (${user.password?.startsWith('$') ? `${user.password} of the NATS server` : server.confName})`,
      });
    }
  }
  return problems;
}
