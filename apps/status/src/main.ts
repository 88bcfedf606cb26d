import 'reflect-metadata';
import { loadConfig, runApp } from '@framewire/runtime';
import { StatusModule } from './app.module';
import { STATUS_CONFIG_SPEC } from './config';

void runApp({
  stage: 'status',
  loadConfig: () => loadConfig(STATUS_CONFIG_SPEC),
  module: (config, logger, workerId) => StatusModule.forConfig(config, logger, workerId),
});
