import Ajv from 'ajv';
import { DEFAULT_TOPOLOGY, streamConfigs } from '@framewire/messaging';
import { describeAjvErrors, parseGoDuration } from './compose';
import { objectName, type K8sObject } from './kustomize';
import { at, isObject, str, text, type Json, type JsonObject, type Problem } from './problems';

const NS_PER_MS = 1_000_000;

/**
 * The spec of a NACK `Stream` (jetstream.nats.io/v1beta2), after NACK's
 * StreamSpec (pkg/jetstream/apis/jetstream/v1beta2): every field it knows, so a
 * misspelt one fails here instead of being dropped by the API server.
 */
const STREAM_SPEC_SCHEMA = {
  type: 'object',
  required: ['name', 'subjects'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[^.*>\\s]+$' },
    description: { type: 'string' },
    subjects: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    retention: { enum: ['limits', 'interest', 'workqueue'] },
    maxConsumers: { type: 'integer', minimum: -1 },
    maxMsgsPerSubject: { type: 'integer' },
    maxMsgs: { type: 'integer', minimum: -1 },
    maxBytes: { type: 'integer', minimum: -1 },
    maxAge: { type: 'string' },
    maxMsgSize: { type: 'integer', minimum: -1 },
    storage: { enum: ['file', 'memory'] },
    discard: { enum: ['old', 'new'] },
    replicas: { type: 'integer', minimum: 1, maximum: 5 },
    noAck: { type: 'boolean' },
    duplicateWindow: { type: 'string' },
    placement: { type: 'object' },
    mirror: { type: 'object' },
    sources: { type: 'array' },
    compression: { enum: ['s2', 'none', ''] },
    subjectTransform: { type: 'object' },
    republish: { type: 'object' },
    sealed: { type: 'boolean' },
    denyDelete: { type: 'boolean' },
    denyPurge: { type: 'boolean' },
    allowDirect: { type: 'boolean' },
    allowRollup: { type: 'boolean' },
    mirrorDirect: { type: 'boolean' },
    discardPerSubject: { type: 'boolean' },
    firstSequence: { type: 'integer', minimum: 0 },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    consumerLimits: { type: 'object' },
    allowMsgTtl: { type: 'boolean' },
    subjectDeleteMarkerTtl: { type: 'string' },
    allowMsgCounter: { type: 'boolean' },
    allowAtomicPublish: { type: 'boolean' },
    allowMsgSchedules: { type: 'boolean' },
    allowBatched: { type: 'boolean' },
    persistMode: { enum: ['default', 'async'] },
    preventDelete: { type: 'boolean' },
    preventUpdate: { type: 'boolean' },
    account: { type: 'string' },
    creds: { type: 'string' },
    nkey: { type: 'string' },
    servers: { type: 'array', items: { type: 'string', pattern: '^(nats|tls)://' } },
    tls: { type: 'object' },
    tlsFirst: { type: 'boolean' },
    jsDomain: { type: 'string' },
  },
} as const;

/** Fields that say how NACK connects or what it does on delete, not what the stream is. */
const NOT_STREAM_CONFIG = new Set([
  'description',
  'metadata',
  'preventDelete',
  'preventUpdate',
  'account',
  'creds',
  'nkey',
  'servers',
  'tls',
  'tlsFirst',
  'jsDomain',
]);

type Kind = 'string' | 'duration' | 'limit' | 'int' | 'bool' | 'subjects' | 'object';

/**
 * How a NACK spec field becomes a JetStream stream config field, with the
 * default NACK's CRD gives it and the one the server gives the config field.
 */
const FIELDS: Array<{ cr: string; nats: string; kind: Kind; crDefault?: Json; serverDefault: Json }> = [
  { cr: 'name', nats: 'name', kind: 'string', serverDefault: '' },
  { cr: 'subjects', nats: 'subjects', kind: 'subjects', serverDefault: [] },
  { cr: 'retention', nats: 'retention', kind: 'string', crDefault: 'limits', serverDefault: 'limits' },
  { cr: 'storage', nats: 'storage', kind: 'string', crDefault: 'memory', serverDefault: 'file' },
  { cr: 'discard', nats: 'discard', kind: 'string', crDefault: 'old', serverDefault: 'old' },
  { cr: 'maxAge', nats: 'max_age', kind: 'duration', serverDefault: 0 }, // MAX_AGE below
  { cr: 'duplicateWindow', nats: 'duplicate_window', kind: 'duration', serverDefault: 2 * 60_000 * NS_PER_MS },
  { cr: 'replicas', nats: 'num_replicas', kind: 'int', crDefault: 1, serverDefault: 1 },
  { cr: 'maxConsumers', nats: 'max_consumers', kind: 'limit', serverDefault: -1 },
  { cr: 'maxMsgs', nats: 'max_msgs', kind: 'limit', serverDefault: -1 },
  { cr: 'maxBytes', nats: 'max_bytes', kind: 'limit', serverDefault: -1 },
  { cr: 'maxMsgSize', nats: 'max_msg_size', kind: 'limit', serverDefault: -1 },
  { cr: 'maxMsgsPerSubject', nats: 'max_msgs_per_subject', kind: 'limit', serverDefault: -1 },
  { cr: 'noAck', nats: 'no_ack', kind: 'bool', serverDefault: false },
  { cr: 'sealed', nats: 'sealed', kind: 'bool', serverDefault: false },
  { cr: 'denyDelete', nats: 'deny_delete', kind: 'bool', serverDefault: false },
  { cr: 'denyPurge', nats: 'deny_purge', kind: 'bool', serverDefault: false },
  { cr: 'allowDirect', nats: 'allow_direct', kind: 'bool', serverDefault: false },
  { cr: 'allowRollup', nats: 'allow_rollup_hdrs', kind: 'bool', serverDefault: false },
  { cr: 'mirrorDirect', nats: 'mirror_direct', kind: 'bool', serverDefault: false },
  { cr: 'discardPerSubject', nats: 'discard_new_per_subject', kind: 'bool', serverDefault: false },
  { cr: 'allowMsgTtl', nats: 'allow_msg_ttl', kind: 'bool', serverDefault: false },
  { cr: 'allowMsgCounter', nats: 'allow_msg_counter', kind: 'bool', serverDefault: false },
  { cr: 'allowAtomicPublish', nats: 'allow_atomic', kind: 'bool', serverDefault: false },
  { cr: 'allowMsgSchedules', nats: 'allow_msg_schedules', kind: 'bool', serverDefault: false },
  { cr: 'allowBatched', nats: 'allow_batched', kind: 'bool', serverDefault: false },
  { cr: 'firstSequence', nats: 'first_seq', kind: 'int', serverDefault: 0 },
  { cr: 'subjectDeleteMarkerTtl', nats: 'subject_delete_marker_ttl', kind: 'duration', serverDefault: 0 },
  { cr: 'compression', nats: 'compression', kind: 'string', serverDefault: 'none' },
  { cr: 'persistMode', nats: 'persist_mode', kind: 'string', serverDefault: 'default' },
  { cr: 'placement', nats: 'placement', kind: 'object', serverDefault: null },
  { cr: 'mirror', nats: 'mirror', kind: 'object', serverDefault: null },
  { cr: 'sources', nats: 'sources', kind: 'object', serverDefault: null },
  { cr: 'republish', nats: 'republish', kind: 'object', serverDefault: null },
  { cr: 'subjectTransform', nats: 'subject_transform', kind: 'object', serverDefault: null },
  { cr: 'consumerLimits', nats: 'consumer_limits', kind: 'object', serverDefault: null },
];

const MAX_AGE = { cr: 'maxAge', nats: 'max_age', kind: 'duration', serverDefault: 0 } satisfies (typeof FIELDS)[number];

/** The streams the apps provision (libs/messaging/src/topology.ts), as plain JSON. */
export function expectedStreams(): JsonObject[] {
  return streamConfigs(DEFAULT_TOPOLOGY).map((c) => JSON.parse(JSON.stringify(c)) as JsonObject);
}

let specValidator: ReturnType<Ajv['compile']> | undefined;

/**
 * Check the NACK Streams of a rendering: each spec against NACK's fields, and
 * the set of them against the topology the code provisions, field by field
 * (effective values: what NACK's defaults and the server's make of each side).
 */
export function checkStreams(objects: K8sObject[], expected: JsonObject[] = expectedStreams()): Problem[] {
  const problems: Problem[] = [];
  specValidator ??= new Ajv({ allErrors: true }).compile(STREAM_SPEC_SCHEMA);
  const streams = objects.filter((o) => isNackStream(o.value));
  const byName = new Map<string, K8sObject>();
  for (const o of streams) {
    const object = objectName(o.value);
    if (o.value.apiVersion !== 'jetstream.nats.io/v1beta2') {
      problems.push({ file: o.file, object, path: 'apiVersion', message: 'use jetstream.nats.io/v1beta2' });
    }
    const spec = o.value.spec;
    if (!specValidator(spec)) {
      for (const e of describeAjvErrors(specValidator.errors ?? [], 'unknown field of a NACK Stream')) {
        problems.push({ file: o.file, object, path: e.path ? `spec.${e.path}` : 'spec', message: e.message });
      }
    }
    const name = str(at(spec, 'name'));
    if (name === undefined || !isObject(spec)) continue;
    if (byName.has(name)) problems.push({ file: o.file, object, path: 'spec.name', message: `stream ${name} is defined twice` });
    byName.set(name, o);
  }

  for (const want of expected) {
    const name = text(want.name);
    const o = byName.get(name);
    if (!o) {
      problems.push({
        file: streams[0]?.file ?? '(kustomization)',
        message: `no NACK Stream for ${name}, which the apps provision (libs/messaging/src/topology.ts)`,
      });
      continue;
    }
    byName.delete(name);
    const spec = o.value.spec as JsonObject;
    const known = new Set(FIELDS.map((f) => f.nats));
    for (const key of Object.keys(want)) {
      if (!known.has(key)) {
        problems.push({
          file: o.file,
          object: objectName(o.value),
          message: `the topology sets ${key}, which scripts/deploy/streams.ts cannot compare yet`,
        });
      }
    }
    for (const f of FIELDS) {
      if (NOT_STREAM_CONFIG.has(f.cr)) continue;
      const crRaw = spec[f.cr];
      if (f.kind === 'duration' && typeof crRaw === 'string' && crRaw !== '' && parseGoDuration(crRaw) === undefined) {
        problems.push({
          file: o.file,
          object: objectName(o.value),
          path: `spec.${f.cr}`,
          message: `${JSON.stringify(crRaw)} is not a Go duration (e.g. 168h, 2m)`,
        });
        continue;
      }
      const mine = effective(f, crRaw === undefined ? f.crDefault : crRaw);
      const theirs = effective(f, want[f.nats]);
      const mineValue = f.nats === 'duplicate_window' ? duplicateWindow(mine, effective(MAX_AGE, spec.maxAge)) : mine;
      const theirValue = f.nats === 'duplicate_window' ? duplicateWindow(theirs, effective(MAX_AGE, want.max_age)) : theirs;
      if (JSON.stringify(mineValue) !== JSON.stringify(theirValue)) {
        problems.push({
          file: o.file,
          object: objectName(o.value),
          path: `spec.${f.cr}`,
          message: `${show(f, crRaw, mineValue)} differs from the topology's ${f.nats} ${show(f, want[f.nats], theirValue)}`,
        });
      }
    }
  }
  for (const [name, o] of byName) {
    problems.push({
      file: o.file,
      object: objectName(o.value),
      path: 'spec.name',
      message: `stream ${name} is not in the topology the apps provision`,
    });
  }
  return problems;
}

/** The value a field ends up with on the server, in the config's units, or a string explaining why it cannot. */
function effective(f: (typeof FIELDS)[number], value: Json | undefined): Json {
  if (value === undefined || value === null || value === '') return f.serverDefault;
  switch (f.kind) {
    case 'duration': {
      if (typeof value === 'number') return value; // already ns (the topology's side)
      const ms = parseGoDuration(text(value));
      return ms === undefined ? text(value) : Math.round(ms * NS_PER_MS);
    }
    case 'limit':
      return typeof value === 'number' && value <= 0 ? -1 : value;
    case 'subjects':
      return Array.isArray(value) ? value.map(text).sort() : value;
    case 'int':
      return typeof value === 'number' && value === 0 ? f.serverDefault : value;
    case 'bool':
    case 'string':
    case 'object':
      return value;
  }
}

/** The server caps the duplicate window at max_age when that is shorter. */
function duplicateWindow(window: Json, maxAge: Json): Json {
  return typeof window === 'number' && typeof maxAge === 'number' && maxAge > 0 && maxAge < window ? maxAge : window;
}

function show(f: (typeof FIELDS)[number], raw: Json | undefined, value: Json): string {
  if (f.kind === 'duration' && typeof value === 'number') return `${formatNs(value)}${raw === undefined ? ' (default)' : ''}`;
  if (raw === undefined || raw === null) return `${JSON.stringify(value)} (default)`;
  return JSON.stringify(value);
}

function formatNs(ns: number): string {
  const ms = ns / NS_PER_MS;
  if (ms === 0) return '0 (unlimited)';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A NACK Stream of any version (checkStreams holds it to v1beta2). */
export function isNackStream(v: JsonObject): boolean {
  return v.kind === 'Stream' && str(v.apiVersion)?.startsWith('jetstream.nats.io/') === true;
}
