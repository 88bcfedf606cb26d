import { existsSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { at, isObject, str, text, type Json, type JsonObject, type Problem } from './problems';
import { readYamlDocs } from './yaml-files';

/** One rendered object and the file it came from. */
export interface K8sObject {
  file: string;
  value: JsonObject;
}

export interface Rendering {
  /** The kustomization directory, relative to the root. */
  dir: string;
  namespace: string | undefined;
  objects: K8sObject[];
}

/** The kustomization fields this renderer implements; anything else is reported rather than ignored. */
const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'patches']);

/** Kinds without a namespace (the ones a kustomization here may plausibly hold). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ClusterTriggerAuthentication',
]);

/**
 * Render a kustomization offline, the way `kubectl kustomize` does for the
 * fields used in deploy/: `resources` (files and directories with their own
 * kustomization), strategic-merge `patches` matched by kind and name (maps
 * merge, lists are replaced, null deletes), `images` and `namespace`.
 */
export function renderKustomization(root: string, dir: string, problems: Problem[]): Rendering {
  return render(root, resolve(root, dir), problems, []);
}

function render(root: string, absDir: string, problems: Problem[], stack: string[]): Rendering {
  const dir = relative(root, absDir) || '.';
  const kfile = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => join(absDir, f)).find((f) => existsSync(f));
  if (kfile === undefined) {
    problems.push({ file: dir, message: 'no kustomization.yaml in this directory' });
    return { dir, namespace: undefined, objects: [] };
  }
  const file = relative(root, kfile);
  if (stack.includes(absDir)) {
    problems.push({ file, message: `kustomization cycle: ${[...stack, absDir].map((d) => relative(root, d)).join(' -> ')}` });
    return { dir, namespace: undefined, objects: [] };
  }
  const docs = readYamlDocs(root, kfile, problems);
  const k = docs[0]?.value;
  if (!isObject(k)) {
    problems.push({ file, message: 'not a kustomization (expected a mapping)' });
    return { dir, namespace: undefined, objects: [] };
  }
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) {
      problems.push({
        file,
        path: key,
        message: `not supported by the offline renderer (scripts/deploy/kustomize.ts); use ${[...SUPPORTED].join(', ')}`,
      });
    }
  }
  if (k.kind !== undefined && k.kind !== 'Kustomization') problems.push({ file, path: 'kind', message: 'must be Kustomization' });

  let objects: K8sObject[] = [];
  const resources = Array.isArray(k.resources) ? k.resources : [];
  resources.forEach((entry, i) => {
    const rel = str(entry);
    if (rel === undefined) return void problems.push({ file, path: `resources[${i}]`, message: 'must be a path' });
    if (/^[a-z]+:\/\//.test(rel))
      return void problems.push({ file, path: `resources[${i}]`, message: 'remote resources cannot be checked offline' });
    const abs = resolve(absDir, rel);
    if (!existsSync(abs)) return void problems.push({ file, path: `resources[${i}]`, message: `${rel} does not exist` });
    if (statSync(abs).isDirectory()) {
      objects.push(...render(root, abs, problems, [...stack, absDir]).objects);
    } else {
      for (const doc of readYamlDocs(root, abs, problems)) {
        if (isObject(doc.value)) objects.push({ file: doc.file, value: doc.value });
        else problems.push({ file: doc.file, message: `document ${doc.index + 1} is not an object` });
      }
    }
  });

  objects = applyPatches(root, absDir, file, k.patches, objects, problems);
  applyImages(file, k.images, objects, problems);

  const namespace = str(k.namespace);
  if (namespace !== undefined) {
    for (const o of objects) {
      const kind = str(o.value.kind) ?? '';
      const meta = isObject(o.value.metadata) ? o.value.metadata : (o.value.metadata = {});
      if (kind === 'Namespace') {
        if (meta.name !== namespace) {
          problems.push({
            file: o.file,
            object: `Namespace/${text(meta.name)}`,
            message: `differs from the kustomization's namespace ${namespace}`,
          });
        }
      } else if (!CLUSTER_SCOPED.has(kind)) {
        meta.namespace = namespace;
      }
    }
  }

  const seen = new Map<string, string>();
  for (const o of objects) {
    const id = objectId(o.value);
    const first = seen.get(id);
    if (first !== undefined) problems.push({ file: o.file, object: id, message: `defined twice (also in ${first})` });
    else seen.set(id, o.file);
  }
  return { dir, namespace, objects };
}

export function objectId(v: JsonObject): string {
  const ns = str(at(v, 'metadata', 'namespace'));
  return `${str(v.kind) ?? '?'}/${ns ? `${ns}/` : ''}${str(at(v, 'metadata', 'name')) ?? '?'}`;
}

/** `Kind/name`, for messages. */
export function objectName(v: JsonObject): string {
  return `${str(v.kind) ?? '?'}/${str(at(v, 'metadata', 'name')) ?? '?'}`;
}

function group(apiVersion: Json | undefined): string {
  const s = str(apiVersion) ?? '';
  return s.includes('/') ? s.split('/')[0] : '';
}

function applyPatches(
  root: string,
  absDir: string,
  file: string,
  patches: Json | undefined,
  objects: K8sObject[],
  problems: Problem[],
): K8sObject[] {
  if (patches === undefined) return objects;
  if (!Array.isArray(patches)) {
    problems.push({ file, path: 'patches', message: 'must be a list' });
    return objects;
  }
  patches.forEach((p, i) => {
    const where = `patches[${i}]`;
    if (!isObject(p)) return void problems.push({ file, path: where, message: 'must be a mapping' });
    const extra = Object.keys(p).filter((key) => key !== 'path');
    if (extra.length > 0 || typeof p.path !== 'string') {
      return void problems.push({
        file,
        path: where,
        message: 'only `path:` strategic-merge patches are supported offline (no target, inline patch or options)',
      });
    }
    for (const doc of readYamlDocs(root, resolve(absDir, p.path), problems)) {
      const patch = doc.value;
      if (!isObject(patch)) continue;
      if (JSON.stringify(patch).includes('"$patch"') || JSON.stringify(patch).includes('"$setElementOrder')) {
        problems.push({ file: doc.file, message: 'patch directives ($patch, $setElementOrder) are not supported offline' });
        continue;
      }
      const target = objects.find(
        (o) =>
          o.value.kind === patch.kind &&
          group(o.value.apiVersion) === group(patch.apiVersion) &&
          at(o.value, 'metadata', 'name') === at(patch, 'metadata', 'name'),
      );
      if (!target) {
        problems.push({ file: doc.file, object: objectName(patch), message: 'patch matches no resource of the kustomization' });
        continue;
      }
      target.value = merge(target.value, patch) as JsonObject;
    }
  });
  return objects;
}

/** Strategic merge as far as maps go: maps merge key by key, anything else replaces, null deletes. */
function merge(base: Json, patch: Json): Json {
  if (!isObject(base) || !isObject(patch)) return patch;
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = key in out ? merge(out[key], value) : value;
  }
  return out;
}

function applyImages(file: string, images: Json | undefined, objects: K8sObject[], problems: Problem[]): void {
  if (images === undefined) return;
  if (!Array.isArray(images)) return void problems.push({ file, path: 'images', message: 'must be a list' });
  images.forEach((img, i) => {
    const name = str(at(img, 'name'));
    if (!isObject(img) || name === undefined) return void problems.push({ file, path: `images[${i}]`, message: 'needs a name' });
    const unknown = Object.keys(img).filter((key) => !['name', 'newName', 'newTag', 'digest'].includes(key));
    if (unknown.length > 0) problems.push({ file, path: `images[${i}]`, message: `unknown field(s) ${unknown.join(', ')}` });
    for (const o of objects) {
      for (const c of podContainers(o.value)) {
        const image = str(c.container.image);
        if (image === undefined) continue;
        const { repo, tag } = splitImage(image);
        if (repo !== name) continue;
        const newRepo = str(img.newName) ?? repo;
        const digest = str(img.digest);
        const newTag = str(img.newTag) ?? tag;
        c.container.image = digest ? `${newRepo}@${digest}` : newTag ? `${newRepo}:${newTag}` : newRepo;
      }
    }
  });
}

function splitImage(image: string): { repo: string; tag: string | undefined } {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const colon = base.lastIndexOf(':');
  return colon > base.lastIndexOf('/') ? { repo: base.slice(0, colon), tag: base.slice(colon + 1) } : { repo: base, tag: undefined };
}

/** The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod) and where it sits. */
export function podSpec(v: JsonObject): { spec: JsonObject; path: string } | undefined {
  const kind = str(v.kind);
  const candidates: Array<[string[], string]> =
    kind === 'Pod'
      ? [[['spec'], 'spec']]
      : kind === 'CronJob'
        ? [[['spec', 'jobTemplate', 'spec', 'template', 'spec'], 'spec.jobTemplate.spec.template.spec']]
        : [[['spec', 'template', 'spec'], 'spec.template.spec']];
  for (const [keys, path] of candidates) {
    const spec = at(v, ...keys);
    if (isObject(spec)) return { spec, path };
  }
  return undefined;
}

export function podContainers(v: JsonObject): Array<{ container: JsonObject; path: string }> {
  const pod = podSpec(v);
  if (!pod) return [];
  const out: Array<{ container: JsonObject; path: string }> = [];
  for (const field of ['initContainers', 'containers']) {
    const list = pod.spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (isObject(c)) out.push({ container: c, path: `${pod.path}.${field}[${i}]` });
    });
  }
  return out;
}
