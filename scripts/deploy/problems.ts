/** One finding of the deploy check: where it is (file, object, path inside it) and what is wrong. */
export interface Problem {
  /** File relative to the checked root, e.g. `deploy/k8s/inference.yaml`. */
  file: string;
  /** The object, e.g. `Deployment/inference` or `service intake`. */
  object?: string;
  /** Path inside the object, e.g. `spec.template.spec.containers[0].livenessProbe`. */
  path?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return [p.file, p.object, p.path].filter((part): part is string => part !== undefined && part !== '').join(': ') + `: ${p.message}`;
}

/** `a.b[0]["prometheus.io/port"]`: keys that are not plain identifiers are quoted. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** A JSON pointer (`/spec/replicas`, as ajv reports it) as a path. */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((acc, seg) => joinPath(acc, /^\d+$/.test(seg) ? Number(seg) : seg), '');
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a dotted path of plain keys, or undefined. */
export function at(value: unknown, ...keys: Array<string | number>): Json | undefined {
  let cur: unknown = value;
  for (const k of keys) {
    if (typeof k === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[k];
    } else {
      if (!isObject(cur)) return undefined;
      cur = cur[k];
    }
  }
  return cur as Json | undefined;
}

/** Any value as text for a message or a comparison: strings as they are, the rest as JSON. */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return 'undefined';
  return JSON.stringify(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Closest candidate within a small edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const [a, b] = [word.toLowerCase(), c.toLowerCase()];
    // A shortened or truncated name (maxReplicas for maxReplicaCount) is close too.
    const shared = commonPrefix(a, b);
    const d = a === b ? 0 : shared >= 4 && shared >= Math.min(a.length, b.length) - 1 ? 1 : editDistance(word, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}
