import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkAppEnv, urlHosts, type EnvContext } from './app-env';
import { APPS, FORCED_EXIT_MARGIN_MS, probePort, shutdownTimeoutMs } from './apps';
import { healthcheckCommand, parseGoDuration, type ComposeService } from './compose';
import { natsFlags, tokens } from './nats-args';
import { checkNatsCredentials, parseNatsConf } from './nats-auth';
import { at, isObject, str, text, type Json, type Problem } from './problems';
import { readYamlDocs } from './yaml-files';

/** Compose's default stop_grace_period. */
const COMPOSE_STOP_GRACE_MS = 10_000;

/**
 * The conventions docker-compose.yml must keep: a service per app running the
 * one image, healthchecks on each app's readiness endpoint, worker services
 * that `--scale` can multiply, time to shut down gracefully, URLs that name
 * services of the file, NATS with JetStream and its monitoring port.
 */
export function checkComposeConventions(
  root: string,
  file: string,
  ctx: EnvContext,
  apps: string[],
  services: ComposeService[],
): Problem[] {
  const problems: Problem[] = [];
  const byName = new Map(services.map((s) => [s.name, s]));
  let image: string | undefined;

  for (const s of services) {
    const dependsOn = s.raw.depends_on;
    const targets = Array.isArray(dependsOn) ? dependsOn.map(String) : isObject(dependsOn) ? Object.keys(dependsOn) : [];
    for (const t of targets) {
      if (!byName.has(t))
        problems.push({ file, object: `service ${s.name}`, path: `services.${s.name}.depends_on`, message: `no service ${t}` });
    }
  }

  for (const app of apps) {
    const s = byName.get(app);
    const object = `service ${app}`;
    if (!s) {
      problems.push({ file, message: `no service ${app} for apps/${app}` });
      continue;
    }
    const base = `services.${app}`;
    const { info, problems: envProblems } = checkAppEnv(ctx, { file, object }, app, `${base}.environment`, s.env, Object.keys(s.env));
    problems.push(...envProblems);

    const thisImage = JSON.stringify({ image: s.raw.image ?? null, build: s.raw.build ?? null });
    if (image === undefined) image = thisImage;
    else if (thisImage !== image)
      problems.push({
        file,
        object,
        path: `${base}.image`,
        message: 'every app runs the one image of deploy/Dockerfile; this service differs',
      });
    const dockerfile = str(at(s.raw, 'build', 'dockerfile'));
    const context = str(at(s.raw, 'build', 'context')) ?? '.';
    if (dockerfile !== undefined && !existsSync(join(root, context, dockerfile))) {
      problems.push({ file, object, path: `${base}.build.dockerfile`, message: `${join(context, dockerfile)} does not exist` });
    }

    if (!info) continue;
    const port = probePort(info, s.env);
    const health = healthcheckCommand(s.raw);
    if ('error' in port) {
      problems.push({ file, object, path: `${base}.environment`, message: port.error });
    } else if (health === undefined) {
      problems.push({ file, object, path: `${base}.healthcheck`, message: `no healthcheck; call http://127.0.0.1:${port.port}/readyz` });
    } else {
      const url = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)(\/[^\s'"`)]*)/.exec(health);
      if (!url || Number(url[1]) !== port.port || url[2] !== '/readyz') {
        problems.push({
          file,
          object,
          path: `${base}.healthcheck.test`,
          message: `must call http://127.0.0.1:${port.port}/readyz (the app's ${info.probePortVar}), calls ${url ? url[0] : 'no local URL'}`,
        });
      }
      if (/\b(curl|wget)\b/.test(health)) {
        problems.push({
          file,
          object,
          path: `${base}.healthcheck.test`,
          message: 'the image (node:22-bookworm-slim) has no curl or wget; use node -e with fetch',
        });
      }
    }

    if (info.probePortVar === 'FW_OPS_PORT') {
      // Replicas of a worker come from `docker compose up --scale <app>=N`.
      if (s.raw.container_name !== undefined) {
        problems.push({
          file,
          object,
          path: `${base}.container_name`,
          message: 'a fixed container name stops `--scale` from adding replicas',
        });
      }
      const ports = Array.isArray(s.raw.ports) ? s.raw.ports : [];
      ports.forEach((p, i) => {
        if (publishesHostPort(p)) {
          problems.push({ file, object, path: `${base}.ports[${i}]`, message: 'a fixed host port stops `--scale` from adding replicas' });
        }
      });
    }

    const timeout = shutdownTimeoutMs(info, s.env);
    const graceRaw = str(s.raw.stop_grace_period);
    const grace = graceRaw === undefined ? COMPOSE_STOP_GRACE_MS : parseGoDuration(graceRaw);
    if (timeout !== undefined && grace !== undefined && grace < timeout + FORCED_EXIT_MARGIN_MS) {
      problems.push({
        file,
        object,
        path: `${base}.stop_grace_period`,
        message: `${graceRaw ?? '10s (the default)'} is shorter than FW_SHUTDOWN_TIMEOUT_MS (${timeout} ms) + ${FORCED_EXIT_MARGIN_MS} ms: a stop would kill in-flight work`,
      });
    }

    for (const { variable, host } of urlHosts(s.env)) {
      if (host === 'localhost' || host === '127.0.0.1' || host === '::1') {
        problems.push({
          file,
          object,
          path: `${base}.environment.${variable}`,
          message: `${host} is the container itself; name the service`,
        });
      } else if (!byName.has(host)) {
        problems.push({ file, object, path: `${base}.environment.${variable}`, message: `${host} is no service of this file` });
      }
    }
  }

  const nats = services.find((s) => str(s.raw.image)?.startsWith('nats') === true);
  if (!nats) {
    problems.push({ file, message: 'no NATS service (image nats:…)' });
  } else {
    const flags = natsFlags(tokens(nats.raw.command));
    const path = `services.${nats.name}.command`;
    if (!flags.jetstream) problems.push({ file, object: `service ${nats.name}`, path, message: 'JetStream is off: add --jetstream' });
    if (flags.monitorPort !== 8222) {
      problems.push({
        file,
        object: `service ${nats.name}`,
        path,
        message: 'the monitoring endpoint is off or not on 8222: add --http_port 8222',
      });
    }
    if (flags.config !== undefined) problems.push(...checkComposeNatsConfig(root, file, nats, flags.config, apps, byName));
  }

  problems.push(...checkPrometheusConfig(root, services, apps));
  return problems;
}

/** The config file NATS runs with, mounted from this repository: its users and the apps' credentials agree. */
function checkComposeNatsConfig(
  root: string,
  file: string,
  nats: ComposeService,
  configPath: string,
  apps: string[],
  byName: Map<string, ComposeService>,
): Problem[] {
  const object = `service ${nats.name}`;
  const volumes = Array.isArray(nats.raw.volumes) ? nats.raw.volumes : [];
  const source = volumes
    .map((v) => (typeof v === 'string' ? v.split(':') : [str(at(v, 'source')) ?? '', str(at(v, 'target')) ?? '']))
    .find(([src, target]) => target === configPath && /^\.{0,2}\//.test(src ?? ''))?.[0];
  if (source === undefined) {
    return [
      {
        file,
        object,
        path: `services.${nats.name}.volumes`,
        message: `--config ${configPath} is not a file of this repository mounted there`,
      },
    ];
  }
  const relative = source.replace(/^\.\//, '');
  if (!existsSync(join(root, relative))) {
    return [{ file, object, path: `services.${nats.name}.volumes`, message: `${relative} does not exist` }];
  }
  return checkNatsCredentials(
    {
      conf: parseNatsConf(readFileSync(join(root, relative), 'utf8')),
      confName: relative,
      env: nats.env,
      envNames: new Set(Object.keys(nats.env)),
      where: { file, object, path: `services.${nats.name}.environment` },
    },
    apps.flatMap((app) => {
      const s = byName.get(app);
      return s ? [{ app, values: s.env, where: { file, object: `service ${app}`, path: `services.${app}.environment` } }] : [];
    }),
  );
}

function publishesHostPort(p: Json): boolean {
  if (typeof p === 'number') return false;
  if (typeof p === 'string') return p.replace(/\/\w+$/, '').split(':').length > 1;
  return isObject(p) && p.published !== undefined;
}

/** deploy/prometheus.yml, when a service mounts it: a scrape job per app on the app's probe port. */
function checkPrometheusConfig(root: string, services: ComposeService[], apps: string[]): Problem[] {
  const problems: Problem[] = [];
  const mount = services
    .flatMap((s) => (Array.isArray(s.raw.volumes) ? s.raw.volumes : []))
    .map((v) => (typeof v === 'string' ? v.split(':')[0] : str(at(v, 'source'))))
    .find((src): src is string => src !== undefined && /prometheus\.ya?ml$/.test(src));
  if (mount === undefined) return problems;
  const absPath = join(root, mount);
  const [doc] = readYamlDocs(root, absPath, problems);
  if (!doc) return problems;
  const jobs = at(doc.value, 'scrape_configs');
  for (const app of apps) {
    const svc = services.find((s) => s.name === app);
    const info = APPS[app];
    if (!svc || !info) continue;
    const port = probePort(info, svc.env);
    if ('error' in port) continue;
    const job = Array.isArray(jobs) ? jobs.find((j) => at(j, 'job_name') === app) : undefined;
    if (!job) {
      problems.push({ file: doc.file, path: 'scrape_configs', message: `no job_name ${app}` });
      continue;
    }
    const metricsPath = str(at(job, 'metrics_path')) ?? '/metrics';
    const ports = [
      ...(Array.isArray(at(job, 'dns_sd_configs')) ? (at(job, 'dns_sd_configs') as Json[]).map((c) => at(c, 'port')) : []),
      ...(Array.isArray(at(job, 'static_configs')) ? (at(job, 'static_configs') as Json[]) : []).flatMap((c) => {
        const targets = at(c, 'targets');
        return Array.isArray(targets) ? targets.map((t) => Number(text(t).split(':').pop())) : [];
      }),
    ];
    if (metricsPath !== '/metrics' || !ports.includes(port.port)) {
      problems.push({
        file: doc.file,
        object: `job ${app}`,
        message: `must scrape /metrics on port ${port.port} (the app's ${info.probePortVar}), scrapes ${metricsPath} on ${ports.map(text).join(', ') || 'nothing'}`,
      });
    }
  }
  return problems;
}
