import { join } from 'node:path';
import * as ts from 'typescript';
import { closest, joinPath, pointerToPath, text, type Json, type JsonObject, type Problem } from './problems';
import { objectName, type K8sObject } from './kustomize';

/** What `.validate()` needs: kubernetes-models classes take the object and throw a ValidationError listing ajv errors. */
type ModelClass = new (data: JsonObject) => { validate(): void };

interface KindSpec {
  /** Module and interface of its TypeScript type, for the unknown-field check. */
  typeModule: string;
  typeName: string;
  load(): Promise<ModelClass>;
}

/**
 * The kinds deploy/ may hold. kubernetes-models and @kubernetes-models/keda are
 * ES modules only, hence the dynamic imports (this file stays CommonJS).
 */
export const KINDS: Record<string, KindSpec> = {
  'v1/Namespace': kind('v1', 'Namespace', async () => (await import('kubernetes-models/v1')).Namespace),
  'v1/ConfigMap': kind('v1', 'ConfigMap', async () => (await import('kubernetes-models/v1')).ConfigMap),
  'v1/Secret': kind('v1', 'Secret', async () => (await import('kubernetes-models/v1')).Secret),
  'v1/Service': kind('v1', 'Service', async () => (await import('kubernetes-models/v1')).Service),
  'v1/ServiceAccount': kind('v1', 'ServiceAccount', async () => (await import('kubernetes-models/v1')).ServiceAccount),
  'v1/PersistentVolumeClaim': kind('v1', 'PersistentVolumeClaim', async () => (await import('kubernetes-models/v1')).PersistentVolumeClaim),
  'apps/v1/Deployment': kind('apps/v1', 'Deployment', async () => (await import('kubernetes-models/apps/v1')).Deployment),
  'apps/v1/StatefulSet': kind('apps/v1', 'StatefulSet', async () => (await import('kubernetes-models/apps/v1')).StatefulSet),
  'batch/v1/Job': kind('batch/v1', 'Job', async () => (await import('kubernetes-models/batch/v1')).Job),
  'policy/v1/PodDisruptionBudget': kind(
    'policy/v1',
    'PodDisruptionBudget',
    async () => (await import('kubernetes-models/policy/v1')).PodDisruptionBudget,
  ),
  'keda.sh/v1alpha1/ScaledObject': {
    typeModule: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
    typeName: 'IScaledObject',
    // Its constructor wants a spec; the check hands it whatever the manifest holds.
    load: async () => (await import('@kubernetes-models/keda/keda.sh/v1alpha1')).ScaledObject as unknown as ModelClass,
  },
};

function kind(groupVersion: string, name: string, load: () => Promise<ModelClass>): KindSpec {
  return { typeModule: `kubernetes-models/${groupVersion}/${name}`, typeName: `I${name}`, load };
}

export function kindKey(v: JsonObject): string {
  return `${text(v.apiVersion)}/${text(v.kind)}`;
}

/**
 * Schema validation with the models' `.validate()`: types, formats, enums and
 * required fields. (It lets unknown fields through; unknownFields() catches those.)
 */
export async function validateWithModels(objects: K8sObject[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const o of objects) {
    const spec = KINDS[kindKey(o.value)];
    if (!spec) continue;
    const Model = await spec.load();
    try {
      new Model(o.value).validate();
    } catch (err) {
      const errors = (err as { errors?: Array<{ instancePath: string; message?: string; params?: Record<string, unknown> }> }).errors;
      if (!Array.isArray(errors)) {
        problems.push({ file: o.file, object: objectName(o.value), message: (err as Error).message });
        continue;
      }
      for (const e of errors) {
        const missing = e.params?.missingProperty;
        problems.push({
          file: o.file,
          object: objectName(o.value),
          path: pointerToPath(e.instancePath) || '(root)',
          message: typeof missing === 'string' ? `missing required field ${missing}` : (e.message ?? 'invalid'),
        });
      }
    }
  }
  return problems;
}

/**
 * Fields the Kubernetes API does not know (a misspelt `livenesProbe` is
 * silently dropped by a lenient apply): each object is walked alongside its
 * TypeScript type from kubernetes-models, through the compiler's type checker.
 */
export function unknownFields(objects: K8sObject[]): Problem[] {
  const loaded = kindTypes();
  if ('error' in loaded) return [{ file: 'scripts/deploy/kubernetes.ts', message: loaded.error }];
  const { checker, types } = loaded;
  const problems: Problem[] = [];
  for (const o of objects) {
    const type = types.get(kindKey(o.value));
    if (type) walkFields(checker, o, o.value, type, '', problems);
  }
  return problems;
}

let typeCache: { checker: ts.TypeChecker; types: Map<string, ts.Type> } | { error: string } | undefined;

/** The TypeScript type of every kind in KINDS, from one program built once. */
function kindTypes(): { checker: ts.TypeChecker; types: Map<string, ts.Type> } | { error: string } {
  if (typeCache) return typeCache;
  const wanted = Object.keys(KINDS);
  // A virtual module beside this file, so the packages resolve from the repository's node_modules.
  const fileName = join(__dirname, '__deploy_check_types__.ts');
  const text = wanted.map((k, i) => `export type T${i} = import(${JSON.stringify(KINDS[k].typeModule)}).${KINDS[k].typeName};`).join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: [],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === fileName ? ts.createSourceFile(f, text, lang, true) : getSourceFile(f, lang, ...rest));
  host.fileExists = (f) => f === fileName || fileExists(f);
  host.readFile = (f) => (f === fileName ? text : readFile(f));
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(fileName);
  const unresolved = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === fileName);
  if (!source || unresolved.length > 0) {
    const why = unresolved.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ');
    return (typeCache = { error: `cannot load the kubernetes-models types: ${why}` });
  }
  const types = new Map<string, ts.Type>();
  source.statements.filter(ts.isTypeAliasDeclaration).forEach((decl, i) => types.set(wanted[i], checker.getTypeAtLocation(decl.name)));
  return (typeCache = { checker, types });
}

/** Report every key of `value` (and below) that its type does not declare. */
function walkFields(checker: ts.TypeChecker, o: K8sObject, value: Json, type: ts.Type, path: string, problems: Problem[]): void {
  if (value === null || typeof value !== 'object') return;
  const members = (type.isUnion() ? type.types : [type]).filter(
    (t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)),
  );
  if (members.some((t) => t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))) return;
  if (Array.isArray(value)) {
    const element = members
      .map((t) => (checker.isArrayType(t) ? checker.getTypeArguments(t as ts.TypeReference)[0] : undefined))
      .find(Boolean);
    if (element) value.forEach((v, i) => walkFields(checker, o, v, element, joinPath(path, i), problems));
    return;
  }
  const objects = members.filter((t) => t.flags & ts.TypeFlags.Object && !checker.isArrayType(t));
  if (objects.length === 0) return; // a value of the wrong type: validate() reports it
  const indexed = objects.map((t) => checker.getIndexInfoOfType(t, ts.IndexKind.String)).find(Boolean);
  for (const [key, v] of Object.entries(value)) {
    const prop = objects.map((t) => t.getProperty(key)).find(Boolean);
    if (prop) walkFields(checker, o, v, checker.getTypeOfSymbol(prop), joinPath(path, key), problems);
    else if (indexed) walkFields(checker, o, v, indexed.type, joinPath(path, key), problems);
    else {
      const hint = closest(
        key,
        objects.flatMap((t) => t.getProperties().map((p) => p.name)),
      );
      problems.push({
        file: o.file,
        object: objectName(o.value),
        path: joinPath(path, key),
        message: `unknown field${hint ? ` (did you mean ${hint}?)` : ''}`,
      });
    }
  }
}
