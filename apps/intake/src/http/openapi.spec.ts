import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Health, Metrics } from '@framewire/observability';
import { DeadLetters } from '@framewire/messaging';
import { JobWatchService } from '../events/watch.service';
import { CancelService } from '../jobs/cancel.service';
import { DeleteService } from '../jobs/delete.service';
import { FramesService } from '../frames/frames.service';
import { QueryService } from '../jobs/query.service';
import { SubmitService } from '../jobs/submit.service';
import { PipelinesService } from '../pipelines/pipelines.service';
import { INTAKE_CONFIG } from '../tokens';
import { UploadReceiver } from '../upload/upload-receiver';
import { WorkersService } from '../workers/workers.service';
import { HTTP_CONTROLLERS } from './controllers';
import { buildOpenApiDocument } from './openapi';

const stubs = [
  UploadReceiver,
  SubmitService,
  QueryService,
  CancelService,
  DeleteService,
  DeadLetters,
  JobWatchService,
  PipelinesService,
  FramesService,
];
@Module({
  controllers: HTTP_CONTROLLERS,
  providers: [
    ...[...stubs, WorkersService, Health, Metrics].map((provide) => ({ provide, useValue: {} })),
    { provide: INTAKE_CONFIG, useValue: {} },
  ],
})
class DocModule {}

type Op = {
  summary?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Record<string, unknown> }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  security?: unknown[];
};

/** The parts of a generated schema object these tests look into. */
interface SchemaObject {
  properties: Record<string, SchemaObject>;
  required: string[];
  anyOf: unknown[];
  items: unknown;
}

describe('the OpenAPI document', () => {
  let app: INestApplication;
  const docs: Record<'open' | 'keys', OpenAPIObject> = {} as never;
  let undocumented: string[] = [];

  beforeAll(async () => {
    app = await NestFactory.create(DocModule, { logger: false });
    ({ doc: docs.open, undocumented } = buildOpenApiDocument(app, { apiKeys: false, version: '1' }));
    docs.keys = buildOpenApiDocument(app, { apiKeys: true, version: '1' }).doc;
  });
  afterAll(() => app.close());
  const op = (doc: OpenAPIObject, method: string, path: string) => (doc.paths[path] as Record<string, Op>)[method];

  it('describes every route from the controllers, each with a summary and a 2xx answer', () => {
    expect(undocumented).toEqual([]);
    const routes = Object.entries(docs.open.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        'POST /v1/jobs',
        'GET /v1/jobs',
        'GET /v1/jobs/{id}',
        'GET /v1/jobs/{id}/metrics',
        'GET /v1/jobs/{id}/results',
        'GET /v1/jobs/{id}/tracks',
        'GET /v1/jobs/{id}/export',
        'GET /v1/jobs/{id}/events',
        'GET /v1/jobs/{id}/frames/{frame_index}',
        'POST /v1/jobs/{id}/cancel',
        'DELETE /v1/jobs/{id}',
        'GET /v1/pipelines',
        'GET /v1/pipelines/{id}',
        'POST /v1/pipelines/validate',
        'GET /v1/workers',
        'GET /v1/dlq',
        'POST /v1/dlq/{seq}/replay',
        'POST /v1/video/submit',
        'GET /v1/video/status/{id}',
        'GET /v1/video/results/{id}',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ].sort(),
    );
    for (const [path, item] of Object.entries(docs.open.paths)) {
      for (const [method, o] of Object.entries(item as Record<string, Op>)) {
        expect([method, path, o.summary]).toEqual([method, path, expect.any(String)]);
        expect(Object.keys(o.responses).some((s) => s.startsWith('2'))).toBe(true);
      }
    }
  });

  it('takes query and path parameters from the zod DTOs', () => {
    const list = op(docs.open, 'get', '/v1/jobs');
    expect(list.parameters?.map((p) => [p.name, p.in])).toEqual(
      expect.arrayContaining([
        ['status', 'query'],
        ['limit', 'query'],
        ['cursor', 'query'],
      ]),
    );
    const status = list.parameters!.find((p) => p.name === 'status')!;
    expect(JSON.stringify(status.schema)).toContain('"completed"');
    expect(status.required).toBeFalsy();
    expect(JSON.stringify(list.parameters!.find((p) => p.name === 'limit')!.schema)).toContain('1000');
    expect(op(docs.open, 'get', '/v1/workers').parameters?.map((p) => p.name)).toContain('stage');
    expect(op(docs.open, 'get', '/v1/jobs/{id}/events').parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['id', 'Last-Event-ID', 'from']),
    );
    expect(op(docs.open, 'post', '/v1/dlq/{seq}/replay').parameters?.map((p) => [p.name, p.in])).toContainEqual(['seq', 'path']);
    const cancel = op(docs.open, 'post', '/v1/jobs/{id}/cancel').requestBody as { required?: boolean; content: unknown };
    expect(cancel.required).toBe(false);
    expect(JSON.stringify(docs.open.components?.schemas?.CancelBodyDto)).toContain('"reason"');
    const submitHeaders = op(docs.open, 'post', '/v1/jobs').parameters!.filter((p) => p.in === 'header');
    expect(submitHeaders).toEqual([expect.objectContaining({ name: 'idempotency-key', required: false })]);
  });

  it('refers to the response schemas generated from the same zod schemas, and keeps the hand-written multipart body', () => {
    expect(op(docs.open, 'post', '/v1/jobs').responses['202'].content!['application/json'].schema.$ref).toBe('#/components/schemas/Job');
    expect(op(docs.open, 'post', '/v1/jobs').requestBody?.content['multipart/form-data']).toBeDefined();
    expect(op(docs.open, 'post', '/v1/video/submit').requestBody?.content['multipart/form-data']).toBeDefined();
    expect(op(docs.open, 'get', '/v1/jobs/{id}').responses['404'].content!['application/problem+json'].schema.$ref).toBe(
      '#/components/schemas/Problem',
    );
    expect(op(docs.open, 'get', '/v1/video/status/{id}').responses['404'].content!['application/json'].schema.$ref).toBe(
      '#/components/schemas/LegacyError',
    );
    expect(op(docs.open, 'get', '/v1/jobs/{id}/events').responses['200'].content!['text/event-stream']).toBeDefined();
    expect(op(docs.open, 'get', '/v1/jobs/{id}/tracks').responses['200'].content!['application/json'].schema.$ref).toBe(
      '#/components/schemas/TracksPage',
    );
    const exported = op(docs.open, 'get', '/v1/jobs/{id}/export');
    expect(Object.keys(exported.responses['200'].content!).sort()).toEqual([
      'application/json',
      'application/x-subrip',
      'text/csv',
      'text/vtt',
    ]);
    expect(exported.parameters?.find((p) => p.name === 'format')).toMatchObject({ in: 'query', required: true });
    expect(docs.open.components?.schemas).toHaveProperty('TextTrack');
    const frame = op(docs.open, 'get', '/v1/jobs/{id}/frames/{frame_index}');
    expect(frame.responses['200'].content!['image/jpeg'].schema.$ref).toBe('#/components/schemas/JpegImage');
    expect(docs.open.components?.schemas?.JpegImage).toMatchObject({ type: 'string', format: 'binary' });
    expect(frame.responses['404'].content!['application/problem+json']).toBeDefined();
    expect(frame.parameters?.map((p) => [p.name, p.in])).toEqual(
      expect.arrayContaining([
        ['id', 'path'],
        ['frame_index', 'path'],
        ['annotate', 'query'],
      ]),
    );
    expect(docs.open.components?.schemas).toHaveProperty('Job');
    expect(JSON.stringify(docs.open)).not.toContain('x-framewire-open');
  });

  it('types the results: each output node is text regions, text lines, frame stats or plugin JSON; and the text tracks', () => {
    const schemas = docs.open.components!.schemas as unknown as Record<string, SchemaObject>;
    const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
    expect(op(docs.open, 'get', '/v1/jobs/{id}/results').responses['200'].content!['application/json'].schema).toEqual(ref('ResultsPage'));
    expect(schemas.FrameResult.properties.result).toMatchObject({
      type: 'object',
      nullable: true,
      additionalProperties: ref('NodeOutput'),
    });
    expect(schemas.NodeOutput.anyOf).toEqual([ref('TextRegionsOutput'), ref('TextLinesOutput'), ref('FrameStats'), ref('PluginOutput')]);
    expect(schemas.TextRegionsOutput).toMatchObject({ properties: { regions: { items: ref('TextRegion') } }, required: ['regions'] });
    expect(schemas.TextLinesOutput).toMatchObject({ properties: { lines: { items: ref('TextLine') } }, required: ['lines'] });
    expect(schemas.TextLine.properties).toMatchObject({
      text: { type: 'string' },
      polygon: ref('Polygon'),
      bbox: ref('BBox'),
      polygon_norm: ref('Polygon'),
      bbox_norm: ref('BBox'),
    });
    expect(schemas.TextLine.required).toEqual(['polygon', 'bbox', 'polygon_norm', 'bbox_norm', 'text', 'confidence', 'det_score']);
    expect(schemas.TextRegion.required).toEqual(['polygon', 'bbox', 'polygon_norm', 'bbox_norm', 'score']);
    expect(schemas.Polygon).toMatchObject({ type: 'array', minItems: 3, items: ref('Point') });
    expect(schemas.BBox.required).toEqual(['x', 'y', 'width', 'height']);
    expect(Object.keys(schemas.FrameStats.properties)).toEqual([
      'width',
      'height',
      'brightness',
      'contrast',
      'sharpness',
      'entropy',
      'dominant_colours',
    ]);
    expect(schemas.FrameStats.properties.dominant_colours.items).toEqual(ref('DominantColour'));
    expect(schemas.PluginOutput.anyOf).toContainEqual({ type: 'object', additionalProperties: {} });

    expect(schemas.TracksPage).toMatchObject({
      properties: { final: { type: 'boolean' }, items: { type: 'array', items: ref('TextTrack') } },
      required: ['job_id', 'status', 'final', 'items', 'next_cursor'],
    });
    expect(schemas.TextTrack.properties).toMatchObject({
      kind: { type: 'string', enum: ['text', 'region'] },
      text: { type: 'string', nullable: true },
      bbox: ref('BBox'),
      bbox_norm: ref('BBox'),
      boxes: { type: 'array', items: ref('TrackBox') },
    });
    expect(schemas.TrackBox.properties).toMatchObject({ polygon: ref('Polygon'), polygon_norm: ref('Polygon'), text: { nullable: true } });
  });

  it('asks for an API key on every route but health, readiness and metrics when keys are on', () => {
    expect(op(docs.keys, 'get', '/v1/jobs').security).toEqual([{ apiKey: [] }]);
    expect(op(docs.keys, 'get', '/v1/jobs').responses['401']).toBeDefined();
    expect(op(docs.keys, 'get', '/healthz').security).toEqual([]);
    expect(op(docs.keys, 'get', '/healthz').responses['401']).toBeUndefined();
    expect(op(docs.open, 'get', '/v1/jobs').responses['401']).toBeUndefined();
  });
});
