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

  it('asks for an API key on every route but health, readiness and metrics when keys are on', () => {
    expect(op(docs.keys, 'get', '/v1/jobs').security).toEqual([{ apiKey: [] }]);
    expect(op(docs.keys, 'get', '/v1/jobs').responses['401']).toBeDefined();
    expect(op(docs.keys, 'get', '/healthz').security).toEqual([]);
    expect(op(docs.keys, 'get', '/healthz').responses['401']).toBeUndefined();
    expect(op(docs.open, 'get', '/v1/jobs').responses['401']).toBeUndefined();
  });
});
