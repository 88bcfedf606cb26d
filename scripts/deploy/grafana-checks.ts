import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { at, closest, isObject, str, type Json, type Problem } from './problems';
import { readYamlDocs } from './yaml-files';

export const GRAFANA_DIR = 'deploy/grafana';
const DASHBOARDS_DIR = `${GRAFANA_DIR}/dashboards`;
const DATASOURCES_DIR = `${GRAFANA_DIR}/provisioning/datasources`;

/** Suffixes Prometheus adds to a histogram's (or summary's) series. */
const SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];
const METRIC_LITERAL = /['"`](framewire_[a-z0-9_]+)['"`]/g;
const METRIC_IN_EXPR = /\bframewire_[a-z0-9_]+\b/g;

/**
 * The metric names the code registers: every `'framewire_…'` string literal in
 * the TypeScript of apps/ and libs/ (tests left out). prom-client's default
 * metrics (framewire_process_…, framewire_nodejs_…) are not listed: the
 * dashboards do not use them.
 */
export function registeredMetrics(sourceRoot: string): Set<string> {
  const names = new Set<string>();
  for (const dir of ['apps', 'libs']) {
    for (const file of tsFiles(join(sourceRoot, dir))) {
      for (const m of readFileSync(file, 'utf8').matchAll(METRIC_LITERAL)) names.add(m[1]);
    }
  }
  return names;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...tsFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The metric a series name in a query belongs to: `framewire_x_bucket` → `framewire_x` when that is registered. */
function metricOf(series: string, known: Set<string>): string {
  if (known.has(series)) return series;
  for (const suffix of SERIES_SUFFIXES) {
    if (series.endsWith(suffix) && known.has(series.slice(0, -suffix.length))) return series.slice(0, -suffix.length);
  }
  return series;
}

/** Every panel, rows' nested panels included. */
function allPanels(dashboard: Json): Json[] {
  const top = at(dashboard, 'panels');
  if (!Array.isArray(top)) return [];
  return top.flatMap((p) => [p, ...(Array.isArray(at(p, 'panels')) ? (at(p, 'panels') as Json[]) : [])]);
}

/**
 * deploy/grafana: every dashboard JSON parses, has a uid and panels, queries
 * only metrics the code registers, and names only datasources that
 * deploy/grafana/provisioning/datasources provisions.
 */
export function checkGrafana(root: string, sourceRoot: string): { problems: Problem[]; dashboards: number } {
  const problems: Problem[] = [];
  if (!existsSync(join(root, GRAFANA_DIR))) return { problems, dashboards: 0 };
  const uids = new Set<string>();
  const dsDir = join(root, DATASOURCES_DIR);
  if (!existsSync(dsDir)) problems.push({ file: DATASOURCES_DIR, message: 'missing: the Prometheus datasource is provisioned there' });
  else {
    for (const name of readdirSync(dsDir).filter((f) => /\.ya?ml$/.test(f))) {
      for (const doc of readYamlDocs(root, join(dsDir, name), problems)) {
        const list = at(doc.value, 'datasources');
        for (const ds of Array.isArray(list) ? list : []) {
          const uid = str(at(ds, 'uid'));
          if (uid) uids.add(uid);
        }
      }
    }
  }
  const known = registeredMetrics(sourceRoot);
  const dashDir = join(root, DASHBOARDS_DIR);
  const files = existsSync(dashDir) ? readdirSync(dashDir).filter((f) => f.endsWith('.json') && statSync(join(dashDir, f)).isFile()) : [];
  if (files.length === 0) problems.push({ file: DASHBOARDS_DIR, message: 'no dashboard JSON' });
  for (const name of files) {
    const abs = join(dashDir, name);
    const file = relative(root, abs);
    let dashboard: Json;
    try {
      dashboard = JSON.parse(readFileSync(abs, 'utf8')) as Json;
    } catch (err) {
      problems.push({ file, message: `not JSON: ${(err as Error).message}` });
      continue;
    }
    if (!isObject(dashboard) || !str(at(dashboard, 'uid'))) problems.push({ file, message: 'a dashboard needs a uid' });
    const panels = allPanels(dashboard);
    if (panels.length === 0) problems.push({ file, message: 'no panels' });
    const top = at(dashboard, 'panels');
    panels.forEach((panel, i) => {
      const object = `panel ${str(at(panel, 'title')) ?? i}`;
      const targets = at(panel, 'targets');
      const sources = [at(panel, 'datasource'), ...(Array.isArray(targets) ? targets.map((t) => at(t, 'datasource')) : [])];
      for (const ds of sources) {
        const uid = str(at(ds, 'uid'));
        if (uid !== undefined && !uid.startsWith('$') && !uids.has(uid))
          problems.push({ file, object, path: 'datasource.uid', message: `no provisioned datasource ${uid} in ${DATASOURCES_DIR}` });
      }
      (Array.isArray(targets) ? targets : []).forEach((t, j) => {
        const expr = str(at(t, 'expr'));
        if (expr === undefined) return;
        for (const m of expr.matchAll(METRIC_IN_EXPR)) {
          const metric = metricOf(m[0], known);
          if (known.has(metric)) continue;
          const hint = closest(metric, known);
          problems.push({
            file,
            object,
            path: `targets[${j}].expr`,
            message: `no metric ${m[0]} in the code (apps/, libs/)${hint ? `; did you mean ${hint}?` : ''}`,
          });
        }
      });
    });
    if (!Array.isArray(top)) problems.push({ file, path: 'panels', message: 'must be an array' });
  }
  return { problems, dashboards: files.length };
}
