import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvContext } from './app-env';
import { deployableApps } from './apps';
import { composeServices, validateComposeSchema } from './compose';
import { checkComposeConventions } from './compose-checks';
import { readDocumentedVariables } from './env-reference';
import { checkGrafana, GRAFANA_DIR } from './grafana-checks';
import { checkK8sConventions } from './k8s-checks';
import { KINDS, kindKey, unknownFields, validateWithModels } from './kubernetes';
import { objectName, renderKustomization, type Rendering } from './kustomize';
import { formatProblem, text, type Problem } from './problems';
import { checkStreams, expectedStreams, isNackStream } from './streams';
import { readYamlDocs } from './yaml-files';

export const COMPOSE_FILE = 'docker-compose.yml';
export const CONFIG_DOC = 'docs/configuration.md';

export interface CheckOptions {
  /** Skip the kubernetes-models `.validate()` pass (an ES module import; jest cannot load it). */
  skipModelValidation?: boolean;
}

export interface CheckReport {
  problems: Problem[];
  /** What was checked, for the summary line. */
  checked: string[];
}

/**
 * The deploy check, offline: docker-compose.yml against the Compose
 * Specification and the project's conventions; every kustomization under
 * deploy/ rendered and each object validated (kubernetes-models, KEDA models,
 * NACK Streams against the topology the code provisions), then checked across
 * objects; every variable set anywhere documented and accepted by its app;
 * the Grafana dashboards under deploy/grafana against the metrics the code registers.
 */
export async function checkDeploy(root: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const problems: Problem[] = [];
  const checked: string[] = [];
  const apps = deployableApps(root);
  const docPath = join(root, CONFIG_DOC);
  if (!existsSync(docPath)) problems.push({ file: CONFIG_DOC, message: 'missing: the variables of every app are documented there' });
  const ctx = { documented: existsSync(docPath) ? readDocumentedVariables(docPath) : new Set<string>(), root };
  const expected = expectedStreams();
  const streamNames = expected.map((s) => text(s.name));

  const composePath = join(root, COMPOSE_FILE);
  if (!existsSync(composePath)) {
    problems.push({ file: COMPOSE_FILE, message: 'missing' });
  } else {
    const docs = readYamlDocs(root, composePath, problems);
    if (docs.length !== 1) problems.push({ file: COMPOSE_FILE, message: `expected one YAML document, found ${docs.length}` });
    const doc = docs[0];
    if (doc) {
      problems.push(...validateComposeSchema(doc.value, doc.file));
      const services = composeServices(doc.value);
      problems.push(...checkComposeConventions(root, doc.file, ctx, apps, services));
      checked.push(`${COMPOSE_FILE} (${services.length} services)`);
    }
  }

  // The dashboards query the metrics of the code beside them (this repository's when `root` holds only deployment files).
  const sourceRoot = existsSync(join(root, 'libs', 'observability')) ? root : join(__dirname, '..', '..');
  const grafana = checkGrafana(root, sourceRoot);
  problems.push(...grafana.problems);
  if (grafana.dashboards > 0) checked.push(`${GRAFANA_DIR} (${grafana.dashboards} dashboard${grafana.dashboards === 1 ? '' : 's'})`);

  const dirs = kustomizationDirs(root);
  if (!dirs.includes('deploy/k8s'))
    problems.push({ file: 'deploy/k8s/kustomization.yaml', message: 'missing: the Kubernetes manifests live there' });
  for (const dir of dirs) {
    const rendering = renderKustomization(root, dir, problems);
    problems.push(...(await checkRendering(rendering, apps, ctx, expected, streamNames, opts)));
    checked.push(`${dir} (${rendering.objects.length} objects)`);
  }
  // An overlay renders its base again: report each finding once.
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { problems: unique, checked };
}

async function checkRendering(
  r: Rendering,
  apps: string[],
  ctx: EnvContext,
  expected: ReturnType<typeof expectedStreams>,
  streamNames: string[],
  opts: CheckOptions,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const o of r.objects) {
    const key = kindKey(o.value);
    if (KINDS[key] === undefined && !isNackStream(o.value)) {
      problems.push({
        file: o.file,
        object: objectName(o.value),
        message: `no validator for ${key}: add it to KINDS in scripts/deploy/kubernetes.ts`,
      });
    }
  }
  if (!opts.skipModelValidation) problems.push(...(await validateWithModels(r.objects)));
  problems.push(...unknownFields(r.objects));
  problems.push(...checkStreams(r.objects, expected));
  problems.push(...checkK8sConventions(ctx, apps, r, streamNames));
  return problems;
}

/** deploy/k8s and every other directory of deploy/ that holds a kustomization (overlays such as deploy/k8s-dev). */
export function kustomizationDirs(root: string): string[] {
  const deploy = join(root, 'deploy');
  if (!existsSync(deploy)) return [];
  return readdirSync(deploy, { withFileTypes: true })
    .filter(
      (d) =>
        d.isDirectory() && ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => existsSync(join(deploy, d.name, f))),
    )
    .map((d) => `deploy/${d.name}`)
    .sort();
}
