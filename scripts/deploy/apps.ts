import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configFields, loadConfig, type ConfigSpec } from '@framewire/runtime';
import type { WorkKind } from '@framewire/contracts';
import { EXTRACTOR_CONFIG_SPEC, loadExtractorConfig } from '../../apps/extractor/src/config';
import { INFERENCE_CONFIG_SPEC, loadInferenceConfig } from '../../apps/inference/src/config';
import { INTAKE_CONFIG_SPEC, loadIntakeConfig } from '../../apps/intake/src/config';
import { PERSISTER_CONFIG_SPEC } from '../../apps/persister/src/config';
import { loadStatusConfig, STATUS_CONFIG_SPEC } from '../../apps/status/src/config';

/** What the deploy check knows of an app: its own config loader, and where its probes are served. */
export interface AppInfo {
  /** The app's config from an environment (throws naming the variable, as at start). */
  load(env: Record<string, string>): unknown;
  spec: ConfigSpec;
  /** The variable whose port serves /healthz, /readyz and /metrics. */
  probePortVar: 'FW_HTTP_PORT' | 'FW_OPS_PORT';
  /** The work subject whose durable consumer the app's replicas share (what an autoscaler reads). */
  consumes?: WorkKind;
  /** Scaled by a KEDA ScaledObject on that consumer's backlog in deploy/k8s. */
  autoscaled?: boolean;
}

/** Apps that are not deployed as services. */
export const NOT_DEPLOYED = new Set(['cli']);

export const APPS: Record<string, AppInfo> = {
  intake: { load: (env) => loadIntakeConfig(env), spec: INTAKE_CONFIG_SPEC, probePortVar: 'FW_HTTP_PORT' },
  extractor: { load: (env) => loadExtractorConfig(env), spec: EXTRACTOR_CONFIG_SPEC, probePortVar: 'FW_OPS_PORT', consumes: 'extract' },
  inference: {
    load: (env) => loadInferenceConfig(env),
    spec: INFERENCE_CONFIG_SPEC,
    probePortVar: 'FW_OPS_PORT',
    consumes: 'infer',
    autoscaled: true,
  },
  persister: {
    load: (env) => loadConfig(PERSISTER_CONFIG_SPEC, env),
    spec: PERSISTER_CONFIG_SPEC,
    probePortVar: 'FW_OPS_PORT',
    consumes: 'persist',
  },
  status: { load: (env) => loadStatusConfig(env), spec: STATUS_CONFIG_SPEC, probePortVar: 'FW_OPS_PORT' },
};

/** The deployable apps: every directory of apps/ but the CLI. */
export function deployableApps(root: string): string[] {
  const dir = join(root, 'apps');
  return readdirSync(dir)
    .filter((name) => !NOT_DEPLOYED.has(name) && statSync(join(dir, name)).isDirectory())
    .sort();
}

/** The port an app serves its probes on under this environment, or why there is none. */
export function probePort(app: AppInfo, env: Record<string, string>): { port: number } | { error: string } {
  const entry = configFields(app.spec).find((e) => e.env === app.probePortVar);
  if (!entry) return { error: `the app reads no ${app.probePortVar}, so it serves no /healthz, /readyz, /metrics` };
  const raw = env[app.probePortVar];
  const parsed = entry.schema.safeParse(raw === '' ? undefined : raw);
  if (!parsed.success) return { error: `${app.probePortVar}: ${parsed.error.issues.map((i) => i.message).join('; ')}` };
  const port: unknown = parsed.data;
  if (port === null) return { error: `${app.probePortVar}=off serves no /healthz, /readyz, /metrics; probes need them` };
  if (typeof port !== 'number') return { error: `${app.probePortVar} gave ${JSON.stringify(port)}, not a port` };
  if (port === 0) return { error: `${app.probePortVar}=0 takes a random port; probes need a fixed one` };
  return { port };
}

/** The shutdown timeout the app would run with (FW_SHUTDOWN_TIMEOUT_MS or its default). */
export function shutdownTimeoutMs(app: AppInfo, env: Record<string, string>): number | undefined {
  const entry = configFields(app.spec).find((e) => e.env === 'FW_SHUTDOWN_TIMEOUT_MS');
  const parsed = entry?.schema.safeParse(env.FW_SHUTDOWN_TIMEOUT_MS === '' ? undefined : env.FW_SHUTDOWN_TIMEOUT_MS);
  return parsed?.success && typeof parsed.data === 'number' ? parsed.data : undefined;
}

/**
 * After the shutdown timeout the app gives itself this long to exit before it
 * forces it (libs/runtime/src/bootstrap.ts: `timeoutMs + 5000`).
 */
export const FORCED_EXIT_MARGIN_MS = 5000;
