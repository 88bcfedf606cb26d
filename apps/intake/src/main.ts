import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { runApp } from '@framewire/runtime';
import { IntakeModule } from './app.module';
import { loadIntakeConfig } from './config';
import { ProblemFilter } from './http/problem.filter';

void runApp({
  stage: 'intake',
  loadConfig: () => loadIntakeConfig(),
  module: (config, logger, workerId) => {
    mkdirSync(config.uploadTmpDir, { recursive: true });
    return IntakeModule.forConfig(config, logger, workerId);
  },
  httpPort: (config) => config.httpPort,
  configureHttp: (app, _config, logger) => {
    app.useGlobalFilters(new ProblemFilter(logger));
  },
});
