import { ConfigError } from '@framewire/runtime';
import { APPS, type AppInfo } from './apps';
import { closest, isObject, joinPath, type Problem } from './problems';

/** What every environment check needs to know. */
export interface EnvContext {
  /** Variables documented in docs/configuration.md. */
  documented: Set<string>;
  /** The checked repository (to compare a NATS config in a ConfigMap with deploy/nats/nats.conf). */
  root?: string;
}

export interface Where {
  file: string;
  object: string;
}

/**
 * An app's environment as a deployment gives it: every name documented, APP
 * naming the app, and the values accepted by the app's own config loader (what
 * it would refuse at start fails here). `values` holds what is known offline;
 * `names` every variable set, values or not (e.g. valueFrom: fieldRef).
 */
export function checkAppEnv(
  ctx: EnvContext,
  where: Where,
  app: string,
  envPath: string,
  values: Record<string, string>,
  names: Iterable<string>,
): { info: AppInfo | undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  for (const name of names) {
    if (ctx.documented.has(name)) continue;
    const hint = closest(name, ctx.documented);
    problems.push({
      ...where,
      path: joinPath(envPath, name),
      message: `${name} is not a documented variable (docs/configuration.md)${hint ? `; did you mean ${hint}?` : ''}`,
    });
  }
  if (values.APP !== app) {
    problems.push({
      ...where,
      path: joinPath(envPath, 'APP'),
      message: `APP must be ${app} (the image runs dist/apps/$APP), got ${JSON.stringify(values.APP)}`,
    });
  }
  const info = APPS[app];
  if (!info) {
    problems.push({ ...where, message: `the deploy check knows no config of app ${app}: add it to scripts/deploy/apps.ts` });
    return { info, problems };
  }
  try {
    const config = info.load(values);
    if (isObject(config) && isObject(config.storage) && config.storage.driver === 'fs') {
      problems.push({
        ...where,
        path: joinPath(envPath, 'FW_STORAGE_DRIVER'),
        message: 'the fs object store is local to one container; set FW_STORAGE_DRIVER=s3 so every app sees the same objects',
      });
    }
  } catch (err) {
    const lines = err instanceof ConfigError ? err.problems : [(err as Error).message];
    for (const line of lines) problems.push({ ...where, path: envPath, message: `${app} would refuse to start: ${line}` });
  }
  return { info, problems };
}

/** Hostnames in the URLs of FW_NATS_URL (comma-separated), FW_DATABASE_URL and FW_S3_ENDPOINT. */
export function urlHosts(values: Record<string, string>): Array<{ variable: string; host: string; port: number | undefined }> {
  const out: Array<{ variable: string; host: string; port: number | undefined }> = [];
  const defaults: Record<string, number> = { nats: 4222, tls: 4222, postgres: 5432, postgresql: 5432, http: 80, https: 443 };
  for (const variable of ['FW_NATS_URL', 'FW_DATABASE_URL', 'FW_S3_ENDPOINT']) {
    const raw = values[variable];
    if (!raw) continue;
    for (const part of raw.split(',')) {
      try {
        const url = new URL(part.trim());
        const scheme = url.protocol.replace(/:$/, '');
        out.push({ variable, host: url.hostname, port: url.port ? Number(url.port) : defaults[scheme] });
      } catch {
        // the app's own config check reports a malformed URL
      }
    }
  }
  return out;
}
