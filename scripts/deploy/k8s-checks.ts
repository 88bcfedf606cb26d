import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { STREAMS, WORK_CONSUMERS } from '@framewire/contracts';
import { checkAppEnv, urlHosts, type EnvContext } from './app-env';
import { APPS, FORCED_EXIT_MARGIN_MS, probePort, shutdownTimeoutMs } from './apps';
import { objectName, podContainers, type K8sObject, type Rendering } from './kustomize';
import { natsFlags, tokens } from './nats-args';
import { checkNatsCredentials, parseNatsConf, sameNatsConf, type NatsClientSide } from './nats-auth';
import { at, isObject, joinPath, str, text, type Json, type JsonObject, type Problem } from './problems';

/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_S = 30;
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

interface Env {
  values: Record<string, string>;
  names: Map<string, string>;
}

/**
 * The conventions a rendered kustomization must keep, across objects: a
 * Deployment and Service per app with probes on the app's endpoints, scrape
 * annotations, resources, a grace period that covers the graceful shutdown,
 * references (Secret and ConfigMap keys, selectors, named ports, host names)
 * that resolve, and the inference autoscaler reading the right consumer.
 */
export function checkK8sConventions(ctx: EnvContext, apps: string[], r: Rendering, streamNames: string[]): Problem[] {
  const problems: Problem[] = [];
  const find = (kind: string, name: string) => r.objects.find((o) => o.value.kind === kind && at(o.value, 'metadata', 'name') === name);
  const workloads = r.objects.filter((o) => WORKLOADS.has(text(o.value.kind)));
  const services = r.objects.filter((o) => o.value.kind === 'Service');
  const images = new Map<string, string>();
  const natsClients: NatsClientSide[] = [];

  for (const w of workloads) {
    const selector = at(w.value, 'spec', 'selector', 'matchLabels');
    if (isObject(selector) && !subset(selector, at(w.value, 'spec', 'template', 'metadata', 'labels'))) {
      problems.push({
        file: w.file,
        object: objectName(w.value),
        path: 'spec.selector.matchLabels',
        message: "does not match the pod template's labels",
      });
    }
  }

  for (const app of apps) {
    const w = find('Deployment', app) ?? find('StatefulSet', app);
    if (!w) {
      problems.push({ file: `${r.dir}/kustomization.yaml`, message: `no Deployment ${app} for apps/${app}` });
      continue;
    }
    const object = objectName(w.value);
    const where = { file: w.file, object };
    const containers = podContainers(w.value).filter((c) => !c.path.includes('initContainers'));
    const main = containers.find((c) => c.container.name === app) ?? (containers.length === 1 ? containers[0] : undefined);
    if (!main) {
      problems.push({ ...where, path: 'spec.template.spec.containers', message: `no container named ${app}` });
      continue;
    }
    const image = str(main.container.image);
    if (image !== undefined) images.set(app, image);
    const env = containerEnv(r, w, main.container, main.path, problems);
    const { info, problems: envProblems } = checkAppEnv(ctx, where, app, `${main.path}.env`, env.values, env.names.keys());
    problems.push(...envProblems);
    natsClients.push({ app, values: env.values, where: { ...where, path: `${main.path}.env` } });
    for (const { variable, host, port } of urlHosts(env.values)) {
      const svc = serviceForHost(r, host);
      if (svc === 'external') continue;
      if (!svc || (port !== undefined && !servicePorts(svc).some((p) => p.port === port))) {
        problems.push({
          ...where,
          path: joinPath(`${main.path}.env`, variable),
          message: `no Service ${host} with port ${port ?? '?'} in this kustomization`,
        });
      }
    }
    if (!info) continue;

    const port = probePort(info, env.values);
    if ('error' in port) {
      problems.push({ ...where, path: `${main.path}.env`, message: port.error });
    } else {
      const probes: Array<[string, string, boolean]> = [
        ['livenessProbe', '/healthz', true],
        ['readinessProbe', '/readyz', true],
        ['startupProbe', '/healthz', false],
      ];
      for (const [field, path, required] of probes) {
        const probe = main.container[field];
        if (probe === undefined) {
          if (required)
            problems.push({ ...where, path: `${main.path}.${field}`, message: `missing; use httpGet ${path} on port ${port.port}` });
          continue;
        }
        const get = at(probe, 'httpGet');
        const probePortNumber = resolvePort(main.container, at(get, 'port'));
        if (str(at(get, 'path')) !== path || probePortNumber !== port.port) {
          problems.push({
            ...where,
            path: `${main.path}.${field}`,
            message: `must be httpGet ${path} on port ${port.port} (the app's ${info.probePortVar}); is ${isObject(get) ? `httpGet ${text(at(get, 'path'))} on port ${text(probePortNumber ?? at(get, 'port'))}` : 'not httpGet'}`,
          });
        }
      }
      const annotations = at(w.value, 'spec', 'template', 'metadata', 'annotations');
      const expected: Record<string, string> = {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port.port),
        'prometheus.io/path': '/metrics',
      };
      for (const [key, value] of Object.entries(expected)) {
        if (str(at(annotations, key)) !== value) {
          problems.push({
            ...where,
            path: joinPath('spec.template.metadata.annotations', key),
            message: `must be ${JSON.stringify(value)}`,
          });
        }
      }
      const svc = services.find((s) => at(s.value, 'metadata', 'name') === app);
      if (!svc) {
        problems.push({ ...where, message: `no Service ${app} (the app's port ${port.port})` });
      } else if (!servicePorts(svc).some((p) => resolvePort(main.container, p.targetPort) === port.port)) {
        problems.push({
          file: svc.file,
          object: objectName(svc.value),
          path: 'spec.ports',
          message: `no port targets ${port.port} (the app's ${info.probePortVar})`,
        });
      }
    }

    for (const c of podContainers(w.value)) {
      for (const kind of ['requests', 'limits']) {
        for (const res of ['cpu', 'memory']) {
          if (at(c.container, 'resources', kind, res) === undefined) {
            problems.push({
              ...where,
              path: `${c.path}.resources.${kind}.${res}`,
              message: 'missing: every container sets requests and limits of cpu and memory',
            });
          }
        }
      }
    }

    const timeout = shutdownTimeoutMs(info, env.values);
    const grace = at(w.value, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds');
    const graceS = typeof grace === 'number' ? grace : DEFAULT_GRACE_S;
    const preStopMs = preStopSleepMs(main.container);
    if (timeout !== undefined && graceS * 1000 < preStopMs + timeout + FORCED_EXIT_MARGIN_MS) {
      problems.push({
        ...where,
        path: 'spec.template.spec.terminationGracePeriodSeconds',
        message: `${graceS} s is shorter than the preStop sleep (${preStopMs} ms) + FW_SHUTDOWN_TIMEOUT_MS (${timeout} ms) + ${FORCED_EXIT_MARGIN_MS} ms: pods would be killed mid-shutdown`,
      });
    }
  }

  if (new Set(images.values()).size > 1) {
    problems.push({
      file: `${r.dir}/kustomization.yaml`,
      message: `every app runs the one image of deploy/Dockerfile; found ${[...images].map(([a, i]) => `${a}: ${i}`).join(', ')}`,
    });
  }

  for (const s of services) {
    const selector = at(s.value, 'spec', 'selector');
    if (!isObject(selector)) continue;
    const selected = workloads.filter((w) => subset(selector, at(w.value, 'spec', 'template', 'metadata', 'labels')));
    if (selected.length === 0) {
      problems.push({ file: s.file, object: objectName(s.value), path: 'spec.selector', message: 'selects no pods of this kustomization' });
      continue;
    }
    servicePorts(s).forEach((p, i) => {
      const ok = selected.some((w) => podContainers(w.value).some((c) => resolvePort(c.container, p.targetPort) !== undefined));
      if (!ok) {
        problems.push({
          file: s.file,
          object: objectName(s.value),
          path: `spec.ports[${i}].targetPort`,
          message: `${text(p.targetPort)} is no port of the selected pods`,
        });
      }
    });
  }

  for (const pdb of r.objects.filter((o) => o.value.kind === 'PodDisruptionBudget')) {
    const selector = at(pdb.value, 'spec', 'selector', 'matchLabels');
    if (!isObject(selector) || !workloads.some((w) => subset(selector, at(w.value, 'spec', 'template', 'metadata', 'labels')))) {
      problems.push({
        file: pdb.file,
        object: objectName(pdb.value),
        path: 'spec.selector',
        message: 'selects no pods of this kustomization',
      });
    }
  }

  problems.push(...checkNatsServers(ctx, r, workloads, natsClients));
  problems.push(...checkScaledObjects(r, apps, streamNames));
  problems.push(...checkStreamServers(r));
  return problems;
}

/** The environment a container gets: envFrom ConfigMaps/Secrets, then env (values, and keys of ConfigMaps/Secrets). */
function containerEnv(r: Rendering, w: K8sObject, c: JsonObject, path: string, problems: Problem[]): Env {
  const env: Env = { values: {}, names: new Map() };
  const where = { file: w.file, object: objectName(w.value) };
  const envFrom = Array.isArray(c.envFrom) ? c.envFrom : [];
  envFrom.forEach((src, i) => {
    const prefix = str(at(src, 'prefix')) ?? '';
    for (const [kind, field] of [
      ['ConfigMap', 'configMapRef'],
      ['Secret', 'secretRef'],
    ] as const) {
      const ref = at(src, field);
      if (!isObject(ref)) continue;
      const data = dataOf(r, kind, str(ref.name) ?? '');
      if (!data) {
        if (ref.optional !== true)
          problems.push({
            ...where,
            path: `${path}.envFrom[${i}].${field}`,
            message: `no ${kind} ${text(ref.name)} in this kustomization`,
          });
        continue;
      }
      for (const [k, v] of Object.entries(data)) {
        env.values[prefix + k] = v;
        env.names.set(prefix + k, `${path}.envFrom[${i}]`);
      }
    }
  });
  const list = Array.isArray(c.env) ? c.env : [];
  list.forEach((e, i) => {
    const name = str(at(e, 'name'));
    if (name === undefined) return;
    env.names.set(name, `${path}.env[${i}]`);
    delete env.values[name];
    if (typeof at(e, 'value') === 'string') {
      env.values[name] = text(at(e, 'value'));
      return;
    }
    for (const [kind, field] of [
      ['ConfigMap', 'configMapKeyRef'],
      ['Secret', 'secretKeyRef'],
    ] as const) {
      const ref = at(e, 'valueFrom', field);
      if (!isObject(ref)) continue;
      const data = dataOf(r, kind, str(ref.name) ?? '');
      const value = data?.[str(ref.key) ?? ''];
      if (value !== undefined) env.values[name] = value;
      else if (ref.optional !== true) {
        problems.push({
          ...where,
          path: `${path}.env[${i}].valueFrom.${field}`,
          message: data ? `${kind} ${text(ref.name)} has no key ${text(ref.key)}` : `no ${kind} ${text(ref.name)} in this kustomization`,
        });
      }
    }
  });
  return env;
}

/**
 * Every nats-server run with a config file from a ConfigMap: the file is
 * deploy/nats/nats.conf (the one compose mounts), the server's environment
 * sets what it references, and the apps log in as a user of it.
 */
function checkNatsServers(ctx: EnvContext, r: Rendering, workloads: K8sObject[], clients: NatsClientSide[]): Problem[] {
  const problems: Problem[] = [];
  for (const w of workloads) {
    for (const c of podContainers(w.value)) {
      const config = natsFlags([...tokens(c.container.command), ...tokens(c.container.args)]).config;
      if (config === undefined || !/nats/.test(str(c.container.image) ?? '')) continue;
      const where = { file: w.file, object: objectName(w.value) };
      const text = configMapFile(r, w, c.container, config);
      if (text === undefined) {
        problems.push({ ...where, path: `${c.path}.args`, message: `--config ${config} is no key of a ConfigMap mounted there` });
        continue;
      }
      const shared = ctx.root === undefined ? undefined : join(ctx.root, 'deploy', 'nats', 'nats.conf');
      if (shared !== undefined && existsSync(shared) && !sameNatsConf(text, readFileSync(shared, 'utf8'))) {
        problems.push({
          ...where,
          path: `${c.path}.args`,
          message: `${config} differs from deploy/nats/nats.conf (keep the ConfigMap a copy of it)`,
        });
      }
      const env = containerEnv(r, w, c.container, c.path, problems);
      problems.push(
        ...checkNatsCredentials(
          {
            conf: parseNatsConf(text),
            confName: `${config} of ${objectName(w.value)}`,
            env: env.values,
            envNames: new Set(env.names.keys()),
            where: { ...where, path: `${c.path}.env` },
          },
          clients,
        ),
      );
    }
  }
  return problems;
}

/** The content of a file a container reads from a mounted ConfigMap. */
function configMapFile(r: Rendering, w: K8sObject, c: JsonObject, path: string): string | undefined {
  const mounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
  const volumes = at(w.value, 'spec', 'template', 'spec', 'volumes');
  for (const m of mounts) {
    const mountPath = str(at(m, 'mountPath'));
    const subPath = str(at(m, 'subPath'));
    const key = subPath !== undefined && mountPath === path ? subPath : mountPath === dirname(path) ? basename(path) : undefined;
    if (key === undefined) continue;
    const volume = (Array.isArray(volumes) ? volumes : []).find((v) => at(v, 'name') === at(m, 'name'));
    const name = str(at(volume, 'configMap', 'name'));
    if (name === undefined) continue;
    return dataOf(r, 'ConfigMap', name)?.[key];
  }
  return undefined;
}

function dataOf(r: Rendering, kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined {
  const o = r.objects.find((x) => x.value.kind === kind && at(x.value, 'metadata', 'name') === name);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  const data = o.value.data;
  if (isObject(data)) {
    for (const [k, v] of Object.entries(data)) out[k] = kind === 'Secret' ? Buffer.from(text(v), 'base64').toString('utf8') : text(v);
  }
  const stringData = o.value.stringData;
  if (kind === 'Secret' && isObject(stringData)) for (const [k, v] of Object.entries(stringData)) out[k] = text(v);
  return out;
}

/** A container port by number or name. */
function resolvePort(c: JsonObject, port: Json | undefined): number | undefined {
  const ports = Array.isArray(c.ports) ? c.ports : [];
  if (typeof port === 'number') return ports.some((p) => at(p, 'containerPort') === port) ? port : undefined;
  if (typeof port === 'string' && /^\d+$/.test(port)) return resolvePort(c, Number(port));
  const named = ports.find((p) => at(p, 'name') === port);
  const n = at(named, 'containerPort');
  return typeof n === 'number' ? n : undefined;
}

function servicePorts(s: K8sObject): Array<{ port: number; targetPort: Json }> {
  const ports = at(s.value, 'spec', 'ports');
  return (Array.isArray(ports) ? ports : []).map((p) => {
    const port = Number(at(p, 'port'));
    return { port, targetPort: at(p, 'targetPort') ?? port };
  });
}

function preStopSleepMs(c: JsonObject): number {
  const seconds = at(c, 'lifecycle', 'preStop', 'sleep', 'seconds');
  if (typeof seconds === 'number') return seconds * 1000;
  const command = tokens(at(c, 'lifecycle', 'preStop', 'exec', 'command')).join(' ');
  const m = /\bsleep\s+(\d+(?:\.\d+)?)\b/.exec(command);
  return m ? Number(m[1]) * 1000 : 0;
}

function subset(selector: JsonObject, labels: Json | undefined): boolean {
  return isObject(labels) && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * The Service a host name means, seen from a pod of this namespace: a short
 * name or `<service>.<namespace>[.svc[.cluster.local]]`; 'external' for any
 * other host (an external database or store).
 */
function serviceForHost(r: Rendering, host: string): K8sObject | 'external' | undefined {
  const parts = host.split('.');
  const qualified = parts.length >= 2 && (parts.length === 2 || parts[2] === 'svc');
  if (parts.length > 1 && !qualified) return 'external';
  if (parts.length > 1 && r.namespace !== undefined && parts[1] !== r.namespace) return undefined;
  return r.objects.find((o) => o.value.kind === 'Service' && at(o.value, 'metadata', 'name') === parts[0]);
}

/** The pods a Service selects, and their containers. */
function selectedContainers(r: Rendering, svc: K8sObject): JsonObject[] {
  const selector = at(svc.value, 'spec', 'selector');
  if (!isObject(selector)) return [];
  return r.objects
    .filter((o) => WORKLOADS.has(text(o.value.kind)) && subset(selector, at(o.value, 'spec', 'template', 'metadata', 'labels')))
    .flatMap((o) => podContainers(o.value).map((c) => c.container));
}

/**
 * A `host:port` that components outside the namespace (KEDA, NACK) use to reach
 * NATS: a namespace-qualified Service name, a port of that Service, and behind
 * it a nats-server serving that role on the target port.
 */
function checkNatsAddress(r: Rendering, address: string, role: 'monitor' | 'client'): string | undefined {
  const m = /^(?:[a-z]+:\/\/)?([^:/]+):(\d+)$/.exec(address);
  if (!m) return `${address} is not host:port`;
  const [, host, portText] = m;
  if (host.split('.').length < 2)
    return `${host} is a short name; KEDA and NACK run in their own namespaces, so use ${host}.${r.namespace ?? '<namespace>'}.svc.cluster.local`;
  const svc = serviceForHost(r, host);
  if (svc === 'external') return undefined;
  if (!svc) return `no Service ${host} in namespace ${r.namespace ?? '(none)'}`;
  const port = servicePorts(svc).find((p) => p.port === Number(portText));
  if (!port) return `Service ${host} has no port ${portText}`;
  for (const c of selectedContainers(r, svc)) {
    const target = resolvePort(c, port.targetPort);
    if (target === undefined) continue;
    const flags = natsFlags([...tokens(c.command), ...tokens(c.args)]);
    if (!flags.jetstream) return `the NATS server behind ${host} runs without --jetstream`;
    const served = role === 'monitor' ? flags.monitorPort : flags.clientPort;
    if (served !== target)
      return `port ${portText} of ${host} reaches ${target}, where NATS serves no ${role === 'monitor' ? 'monitoring endpoint (--http_port)' : 'clients (--port)'}`;
    return undefined;
  }
  return `port ${portText} of Service ${host} reaches no container port`;
}

function checkScaledObjects(r: Rendering, apps: string[], streamNames: string[]): Problem[] {
  const problems: Problem[] = [];
  const scaled = r.objects.filter((o) => o.value.kind === 'ScaledObject');
  for (const app of apps) {
    if (!APPS[app]?.autoscaled) continue;
    if (!scaled.some((o) => at(o.value, 'spec', 'scaleTargetRef', 'name') === app)) {
      problems.push({ file: `${r.dir}/kustomization.yaml`, message: `no KEDA ScaledObject scales ${app}` });
    }
  }
  for (const so of scaled) {
    const where = { file: so.file, object: objectName(so.value) };
    const targetName = str(at(so.value, 'spec', 'scaleTargetRef', 'name')) ?? '';
    const targetKind = str(at(so.value, 'spec', 'scaleTargetRef', 'kind')) ?? 'Deployment';
    const target = r.objects.find((o) => o.value.kind === targetKind && at(o.value, 'metadata', 'name') === targetName);
    if (!target) {
      problems.push({ ...where, path: 'spec.scaleTargetRef', message: `no ${targetKind} ${targetName} in this kustomization` });
      continue;
    }
    if (at(target.value, 'spec', 'replicas') !== undefined) {
      problems.push({
        file: target.file,
        object: objectName(target.value),
        path: 'spec.replicas',
        message: `${objectName(so.value)} scales it: leave replicas unset, or every apply resets the autoscaler's count`,
      });
    }
    const min = at(so.value, 'spec', 'minReplicaCount') ?? 0;
    const max = at(so.value, 'spec', 'maxReplicaCount') ?? 100;
    if (typeof min === 'number' && typeof max === 'number' && min > max) {
      problems.push({ ...where, path: 'spec.minReplicaCount', message: `${min} is above maxReplicaCount ${max}` });
    }
    const triggers = at(so.value, 'spec', 'triggers');
    (Array.isArray(triggers) ? triggers : []).forEach((t, i) => {
      if (at(t, 'type') !== 'nats-jetstream') return;
      const path = `spec.triggers[${i}].metadata`;
      const meta = at(t, 'metadata');
      const get = (key: string) => str(at(meta, key));
      for (const key of ['natsServerMonitoringEndpoint', 'account', 'stream', 'consumer', 'lagThreshold']) {
        if (!get(key)) problems.push({ ...where, path: `${path}.${key}`, message: 'missing' });
      }
      const consumes = APPS[targetName]?.consumes;
      if (consumes !== undefined) {
        if (get('stream') !== STREAMS.work) {
          problems.push({
            ...where,
            path: `${path}.stream`,
            message: `must be ${STREAMS.work}, the stream ${targetName} consumes from; is ${String(get('stream'))}`,
          });
        }
        if (get('consumer') !== WORK_CONSUMERS[consumes]) {
          problems.push({
            ...where,
            path: `${path}.consumer`,
            message: `must be ${WORK_CONSUMERS[consumes]}, the durable consumer of ${targetName} (libs/contracts/src/subjects.ts); is ${String(get('consumer'))}`,
          });
        }
      } else if (get('stream') !== undefined && !streamNames.includes(get('stream') ?? '')) {
        problems.push({ ...where, path: `${path}.stream`, message: `no stream ${String(get('stream'))} in the topology` });
      }
      for (const key of ['lagThreshold', 'activationLagThreshold']) {
        const v = get(key);
        if (v !== undefined && !/^\d+$/.test(v))
          problems.push({ ...where, path: `${path}.${key}`, message: 'must be a whole number (as a string)' });
      }
      if (get('lagThreshold') === '0') problems.push({ ...where, path: `${path}.lagThreshold`, message: 'must be above 0' });
      const useHttps = get('useHttps');
      if (useHttps !== undefined && useHttps !== 'true' && useHttps !== 'false')
        problems.push({ ...where, path: `${path}.useHttps`, message: 'must be "true" or "false"' });
      const endpoint = get('natsServerMonitoringEndpoint');
      const bad = endpoint === undefined ? undefined : checkNatsAddress(r, endpoint, 'monitor');
      if (bad) problems.push({ ...where, path: `${path}.natsServerMonitoringEndpoint`, message: bad });
      if (typeof min === 'number' && min < 1) {
        problems.push({
          ...where,
          path: 'spec.minReplicaCount',
          message:
            'keep at least 1: the app creates its durable consumer at start, and with none running on a fresh server there is no backlog to scale from',
        });
      }
    });
  }
  return problems;
}

/** NACK Streams that name their servers must reach this kustomization's NATS. */
function checkStreamServers(r: Rendering): Problem[] {
  const problems: Problem[] = [];
  for (const o of r.objects.filter((x) => x.value.kind === 'Stream')) {
    const servers = at(o.value, 'spec', 'servers');
    (Array.isArray(servers) ? servers : []).forEach((s, i) => {
      const bad = checkNatsAddress(r, text(s), 'client');
      if (bad) problems.push({ file: o.file, object: objectName(o.value), path: `spec.servers[${i}]`, message: bad });
    });
  }
  return problems;
}
