import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { errorResponse, OPEN_EXTENSION } from './api-doc';
import { componentSchemas } from './schemas';

/** Where the document is served (outside the controllers, so it stays open when API keys are on). */
export const OPENAPI_JSON_PATH = 'openapi.json';
export const OPENAPI_UI_PATH = 'docs';

/**
 * The document, all from the controllers: routes and their docs (@ApiRoute,
 * api-doc.ts), parameters and bodies from their zod DTOs (dtos.ts), response
 * schemas generated from http/schemas.ts. A route without a summary is listed
 * in `undocumented`.
 */
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
  const doc = cleanupOpenApiDoc(SwaggerModule.createDocument(app, config), { version: '3.0' });
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
      if (!op.summary) undocumented.push(`${method.toUpperCase()} ${path}`);
      const extensions = op as unknown as Record<string, unknown>;
      const open = extensions[OPEN_EXTENSION] === true;
      delete extensions[OPEN_EXTENSION];
      // 401 and the security requirement depend on FW_API_KEYS, known only at start.
      if (opts.apiKeys && !open) op.responses['401'] = errorResponse(401);
      op.security = open || !opts.apiKeys ? [] : [{ apiKey: [] }];
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
