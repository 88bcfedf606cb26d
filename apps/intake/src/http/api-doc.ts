import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiOperation, ApiParam, ApiResponse, ApiTags, type ResponseObject } from '@nestjs/swagger';
import type { z } from 'zod';
import { EXPORT_MEDIA } from '@framewire/tracks';
import { apiSchemas, tracksExportSchema } from './schemas';

/** A 2xx answer: its description, and the registered zod schema of its body (null: no body). */
type Ok = [description: string, schema: z.ZodType | null, media?: string];

export interface RouteDoc {
  tag: string;
  summary: string;
  description?: string;
  ok: Record<number, Ok>;
  /** Error statuses this route answers with a problem body (401 is added when keys are on). */
  errors?: number[];
  /** Legacy routes answer errors as {detail}. */
  legacyErrors?: boolean;
  /** Served without an API key (health, readiness, metrics). */
  open?: boolean;
}

/** Marks a route served without an API key; buildOpenApiDocument reads and removes it. */
export const OPEN_EXTENSION = 'x-framewire-open';

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

function refTo(schema: z.ZodType): { $ref: string } {
  const id = apiSchemas.get(schema)?.id;
  if (!id) throw new Error('a response schema must be registered in apiSchemas (http/schemas.ts)');
  return { $ref: `#/components/schemas/${id}` };
}

/** An error response of a route: a problem+json body, or the legacy {detail}. */
export function errorResponse(status: number, legacy = false): ResponseObject {
  return {
    description: ERROR_TEXT[status] ?? 'error',
    content: legacy
      ? { 'application/json': { schema: { $ref: '#/components/schemas/LegacyError' } } }
      : { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/**
 * What the OpenAPI document says about a route, on the route itself: tag,
 * summary, answers with their zod schemas (http/schemas.ts), error statuses.
 * Query, body and path parameters come from the DTOs (dtos.ts).
 */
export function ApiRoute(doc: RouteDoc): MethodDecorator {
  const decorators: Array<ClassDecorator | MethodDecorator> = [
    ApiTags(doc.tag),
    ApiOperation({ summary: doc.summary, ...(doc.description ? { description: doc.description } : {}) }),
  ];
  for (const [status, [description, schema, media = 'application/json']] of Object.entries(doc.ok)) {
    decorators.push(
      ApiResponse({ status: Number(status), description, ...(schema ? { content: { [media]: { schema: refTo(schema) } } } : {}) }),
    );
  }
  for (const status of doc.errors ?? []) decorators.push(ApiResponse({ status, ...errorResponse(status, doc.legacyErrors) }));
  if (doc.open) decorators.push(ApiExtension(OPEN_EXTENSION, true));
  return applyDecorators(...decorators);
}

/** The `{id}` of a job route (not validated here: an unknown or malformed id is a 404). */
export const ApiJobId = (): MethodDecorator =>
  ApiParam({ name: 'id', description: 'job id (uuid)', schema: { type: 'string', format: 'uuid' }, required: true });

/** The 200 of GET /v1/jobs/{id}/export: one media type per format, JSON with its schema. */
export const ApiTracksExport = (): MethodDecorator => {
  const text = { schema: { type: 'string' as const } };
  const media = (f: keyof typeof EXPORT_MEDIA) => EXPORT_MEDIA[f].contentType.split(';')[0];
  return ApiResponse({
    status: 200,
    description: 'the file (Content-Disposition: attachment; filename="<job>-tracks.<ext>")',
    content: {
      [media('webvtt')]: text,
      [media('srt')]: text,
      [media('csv')]: text,
      [media('json')]: { schema: refTo(tracksExportSchema) },
    },
  });
};
