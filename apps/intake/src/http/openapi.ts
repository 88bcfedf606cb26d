import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { STAGES } from '@framewire/contracts';
import { componentSchemas } from './schemas';

/** Where the document is served (outside the controllers, so it stays open when API keys are on). */
export const OPENAPI_JSON_PATH = 'openapi.json';
export const OPENAPI_UI_PATH = 'docs';

type Json = Record<string, unknown>;

interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  schema: Json;
  required?: boolean;
}

interface OperationDoc {
  tag: string;
  summary: string;
  description?: string;
  params?: Param[];
  body?: Json;
  /** status → [description, schema ref (component id) or null for no body, media type] */
  ok: Record<number, [string, string | null, string?]>;
  /** Error statuses this route answers with a problem body (401 is added when keys are on). */
  errors?: number[];
  /** Legacy routes answer errors as {detail}. */
  legacyErrors?: boolean;
  open?: boolean;
}

const jobId: Param = { name: 'id', in: 'path', description: 'job id (uuid)', schema: { type: 'string', format: 'uuid' }, required: true };
const limit = (def: number, max: number): Param => ({
  name: 'limit',
  in: 'query',
  description: `page size (default ${def}, at most ${max})`,
  schema: { type: 'integer', minimum: 1, maximum: max, default: def },
});
const cursor: Param = { name: 'cursor', in: 'query', description: '`next_cursor` of the previous page', schema: { type: 'string' } };

const SUBMIT_BODY: Json = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['file'],
        properties: {
          file: { type: 'string', format: 'binary', description: 'the video; checked by content, not by name' },
          pipeline_id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'see GET /v1/pipelines' },
          frame_stride: { type: 'integer', minimum: 1, maximum: 100000, default: 1, description: 'keep every n-th decoded frame' },
          max_frames: { type: 'integer', minimum: 1, maximum: 1000000, description: 'stop after this many sampled frames' },
          client_tag: { type: 'string', maxLength: 128 },
          retention_days: {
            type: 'integer',
            minimum: 0,
            maximum: 36500,
            description: 'days the job is kept once finished (0: removed at the next sweep); default FW_RETENTION_DAYS',
          },
        },
      },
    },
  },
};

/**
 * What the generated document says about each route, keyed `METHOD /path`.
 * Routes come from the controllers (SwaggerModule scans them); schemas from
 * schemas.ts. A route missing here still appears, with a warning logged.
 */
export const OPERATIONS: Record<string, OperationDoc> = {
  'POST /v1/jobs': {
    tag: 'jobs',
    summary: 'Submit a video',
    description:
      'Streams the upload, checks it by content, stores it and queues the job: **202** before any frame is decoded. ' +
      'An `Idempotency-Key` makes a retry return the first job (409 if the key was used for a different request).',
    params: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        description: '1-128 printable ASCII characters',
        schema: { type: 'string', maxLength: 128 },
      },
    ],
    body: SUBMIT_BODY,
    ok: { 202: ['the job, pending', 'Job'] },
    errors: [400, 409, 413, 415, 422, 429, 503],
  },
  'GET /v1/jobs': {
    tag: 'jobs',
    summary: 'List jobs, newest first',
    params: [
      {
        name: 'status',
        in: 'query',
        description: 'only jobs of this status',
        schema: { type: 'string', enum: ['pending', 'running', 'completed', 'failed', 'cancelled'] },
      },
      limit(50, 1000),
      cursor,
    ],
    ok: { 200: ['a page of jobs', 'JobPage'] },
    errors: [400],
  },
  'GET /v1/jobs/{id}': {
    tag: 'jobs',
    summary: 'A job: status, progress, video, timings, pinned pipeline, error',
    params: [jobId],
    ok: { 200: ['the job', 'Job'] },
    errors: [404],
  },
  'GET /v1/jobs/{id}/metrics': {
    tag: 'jobs',
    summary: 'What a job cost: queue, extraction, inference, processing and end-to-end times, frames per second',
    description:
      'The `metrics` object of the job, with its id and status. Durations are null until both of their ends are known; ' +
      '`inference_ms` is the pipeline time of the stored frames (the sum of their `timings_ms`).',
    params: [jobId],
    ok: { 200: ["the job's metrics", 'JobMetricsReport'] },
    errors: [404],
  },
  'GET /v1/jobs/{id}/results': {
    tag: 'jobs',
    summary: 'Per-frame results in frame order, a page at a time',
    params: [jobId, limit(100, 1000), cursor],
    ok: { 200: ['a page of results', 'ResultsPage'] },
    errors: [400, 404],
  },
  'GET /v1/jobs/{id}/events': {
    tag: 'events',
    summary: "The job's events as Server-Sent Events",
    description:
      'Replays the stored events, then streams live ones until the terminal event (completed, failed, cancelled), then closes. ' +
      'Past FW_MAX_EVENT_STREAMS open streams: 429 with `Retry-After`. ' +
      'Each SSE has `id` = the event sequence, `event` = its type, `data` = the versioned JSON payload (schema JobEvent). ' +
      'Reconnect with `Last-Event-ID` to resume without gaps or repeats; a finished job with nothing after that id answers 204 ' +
      '(an EventSource stops there). Progress (`frames`) events are throttled at the source. Comments (`: keep-alive`) every 15 s.',
    params: [
      jobId,
      { name: 'Last-Event-ID', in: 'header', description: 'resume after this event id', schema: { type: 'string', pattern: '^\\d+$' } },
      {
        name: 'from',
        in: 'query',
        description: '`start` (default): replay, then live; `now`: live only',
        schema: { type: 'string', enum: ['start', 'now'], default: 'start' },
      },
    ],
    ok: {
      200: ['text/event-stream of JobEvent', 'JobEvent', 'text/event-stream'],
      204: ['the job has ended and there is nothing after Last-Event-ID', null],
    },
    errors: [400, 404, 429],
  },
  'POST /v1/jobs/{id}/cancel': {
    tag: 'jobs',
    summary: 'Cancel a pending or running job',
    params: [jobId],
    body: {
      required: false,
      content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } } } },
    },
    ok: { 202: ['the job, cancelled', 'Job'] },
    errors: [400, 404, 409],
  },
  'DELETE /v1/jobs/{id}': {
    tag: 'jobs',
    summary: 'Delete a finished job and everything of it',
    description:
      'Deletes a completed, failed or cancelled job: its input, its frames, its results and its events. ' +
      'A pending or running job is a 409: cancel it first with POST /v1/jobs/{id}/cancel. ' +
      'Deleting again is a 404, like any unknown job.',
    params: [jobId],
    ok: { 204: ['deleted', null] },
    errors: [404, 409],
  },
  'GET /v1/pipelines': {
    tag: 'pipelines',
    summary: 'The pipelines on offer, with their nodes and the model files a job pins',
    ok: { 200: ['every pipeline', 'PipelineList'] },
  },
  'GET /v1/pipelines/{id}': {
    tag: 'pipelines',
    summary: 'One pipeline in full: nodes, edges, entry and output nodes, run order, tools with their types, pinned models',
    params: [{ name: 'id', in: 'path', description: 'pipeline id', schema: { type: 'string' }, required: true }],
    ok: { 200: ['the pipeline', 'Pipeline'] },
    errors: [404],
  },
  'POST /v1/pipelines/validate': {
    tag: 'pipelines',
    summary: 'Check a pipeline definition against the plugins on offer, listing every problem',
    description: 'Answers 200 whether or not the definition is valid.',
    body: {
      required: true,
      content: { 'application/json': { schema: { type: 'object', description: 'a pipeline definition (libs/pipelines/README.md)' } } },
    },
    ok: { 200: ['{valid, errors}', 'PipelineValidation'] },
    errors: [400],
  },
  'GET /v1/workers': {
    tag: 'operations',
    summary: 'Live replicas of every stage, with what each has done since it started',
    description:
      'Every replica heart-beats into the worker registry (NATS KV `fw_workers`) every FW_HEARTBEAT_INTERVAL_MS; ' +
      'one that has been silent for FW_WORKER_TTL_MS (killed, partitioned) is not listed. Sorted by stage, then worker id.',
    params: [
      {
        name: 'stage',
        in: 'query',
        description: 'only replicas of this stage',
        schema: { type: 'string', enum: [...STAGES] },
      },
    ],
    ok: { 200: ['the live replicas', 'WorkerList'] },
    errors: [400, 503],
  },
  'GET /v1/dlq': {
    tag: 'operations',
    summary: 'Dead letters: work that exhausted its deliveries, with the reason',
    params: [limit(50, 500), { ...cursor, description: 'sequence after which to list (`next_cursor` of the previous page)' }],
    ok: { 200: ['a page of dead letters', 'DeadLetterPage'] },
    errors: [400],
  },
  'POST /v1/dlq/{seq}/replay': {
    tag: 'operations',
    summary: 'Put a dead letter back on its work subject',
    params: [{ name: 'seq', in: 'path', description: 'dead letter sequence', schema: { type: 'integer' }, required: true }],
    ok: { 202: ['replayed', 'DeadLetterReplayed'] },
    errors: [400, 404, 409],
  },
  'POST /v1/video/submit': {
    tag: 'legacy',
    summary: "The original system's submit",
    description: 'Multipart like POST /v1/jobs; `pipeline_id` defaults to FW_DEFAULT_PIPELINE.',
    body: SUBMIT_BODY,
    ok: { 200: ['the job id', 'LegacySubmitted'] },
    errors: [400, 413, 415, 422, 429],
    legacyErrors: true,
  },
  'GET /v1/video/status/{id}': {
    tag: 'legacy',
    summary: "The original system's status",
    params: [jobId],
    ok: { 200: ['status and progress (0..1)', 'LegacyStatus'] },
    errors: [404],
    legacyErrors: true,
  },
  'GET /v1/video/results/{id}': {
    tag: 'legacy',
    summary: "The original system's results (all of them; 404 until completed)",
    params: [jobId],
    ok: { 200: ['every frame result', 'LegacyResults'] },
    errors: [404],
    legacyErrors: true,
  },
  'GET /healthz': { tag: 'health', summary: 'Liveness', ok: { 200: ['the process answers', 'Health'] }, open: true },
  'GET /readyz': {
    tag: 'health',
    summary: 'Readiness: NATS, Postgres and the object store answer, and the app has started and is not shutting down',
    ok: { 200: ['ready', 'Readiness'], 503: ['not ready: the failed checks say why', 'Readiness'] },
    open: true,
  },
  'GET /metrics': {
    tag: 'health',
    summary: 'Prometheus metrics (text exposition format)',
    ok: { 200: ['the metrics', null] },
    open: true,
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid parameters',
  401: 'a missing or wrong API key',
  404: 'not found',
  409: 'conflict with the current state',
  413: 'the upload is over FW_MAX_UPLOAD_BYTES',
  415: 'not multipart, or not a video by content',
  422: 'an unreadable video, or an unknown pipeline',
  429: 'OVERLOADED: too busy now (queued work over FW_MAX_BACKLOG_S, too many probes or event streams); retry after `Retry-After` seconds',
  503: 'a dependency is unreachable',
};

/** The document: routes scanned from the controllers, enriched with OPERATIONS and the generated component schemas. */
export function buildOpenApiDocument(
  app: INestApplication,
  opts: { apiKeys: boolean; version: string },
): { doc: OpenAPIObject; undocumented: string[] } {
  const config = new DocumentBuilder()
    .setTitle('Framewire API')
    .setDescription(
      'Asynchronous video analysis: submit a video with a pipeline, a frame stride and a frame budget; follow the job; page through per-frame results. ' +
        'The same API is served over gRPC (proto/framewire/v1/jobs.proto, FW_GRPC_PORT). Errors are RFC 9457 problem details with a stable `code`.',
    )
    .setVersion(opts.version)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'an API key (when FW_API_KEYS is set); X-API-Key: <key> works too' },
      'apiKey',
    )
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  const components = componentSchemas();
  doc.components = {
    ...doc.components,
    schemas: { ...doc.components?.schemas, ...(components as NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>) },
  };

  const undocumented: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const key = `${method.toUpperCase()} ${path}`;
      const spec = OPERATIONS[key];
      if (!spec) {
        undocumented.push(key);
        continue;
      }
      op.tags = [spec.tag];
      op.summary = spec.summary;
      if (spec.description) op.description = spec.description;
      if (spec.params) op.parameters = spec.params;
      if (spec.body) op.requestBody = spec.body as never;
      const responses: Record<string, Json> = {};
      for (const [status, [description, ref, media = 'application/json']] of Object.entries(spec.ok)) {
        responses[status] =
          ref === null ? { description } : { description, content: { [media]: { schema: { $ref: `#/components/schemas/${ref}` } } } };
      }
      const errors = [...(spec.errors ?? []), ...(opts.apiKeys && !spec.open ? [401] : [])].sort();
      for (const status of errors) {
        responses[String(status)] = spec.legacyErrors
          ? {
              description: ERROR_TEXT[status] ?? 'error',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/LegacyError' } } },
            }
          : {
              description: ERROR_TEXT[status] ?? 'error',
              content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
            };
      }
      op.responses = responses as never;
      op.security = spec.open || !opts.apiKeys ? [] : [{ apiKey: [] }];
    }
  }
  return { doc, undocumented };
}

/** Serve the document at /openapi.json (and /openapi.yaml) and a browsable UI at /docs. */
export function serveOpenApi(app: INestApplication, doc: OpenAPIObject): void {
  SwaggerModule.setup(OPENAPI_UI_PATH, app, doc, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'Framewire API',
  });
}
