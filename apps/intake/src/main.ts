import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { runApp } from '@framewire/runtime';
import { intakeModule } from './app.module';
import { installExpectContinue } from './admission/expect-continue';
import { loadIntakeConfig } from './config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { serveDashboard } from './http/dashboard';
import { buildOpenApiDocument, serveOpenApi } from './http/openapi';
import { ProblemFilter } from './http/problem.filter';
import { installRequestContext } from './http/request-context';
import { installRequestMetrics } from './http/request-metrics';
import { ZodDtoPipe } from './http/zod-dto.pipe';

void runApp({
  stage: 'intake',
  loadConfig: () => loadIntakeConfig(),
  module: (config, logger, workerId) => {
    mkdirSync(config.uploadTmpDir, { recursive: true });
    return intakeModule(config, logger, workerId);
  },
  httpPort: (config) => config.httpPort,
  configureHttp: (app, config, logger) => {
    installRequestContext(app);
    installRequestMetrics(app);
    installExpectContinue(app);
    app.useGlobalFilters(new ProblemFilter(logger));
    app.useGlobalPipes(new ZodDtoPipe());
    const { doc, undocumented } = buildOpenApiDocument(app, { apiKeys: config.apiKeys.length > 0, version: '1' });
    if (undocumented.length > 0) logger.warn({ routes: undocumented }, 'routes without an entry (@ApiRoute, http/api-doc.ts)');
    serveOpenApi(app, doc);
    serveDashboard(app as NestExpressApplication, logger);
  },
});
