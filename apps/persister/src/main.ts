import 'reflect-metadata';
import { loadConfig, runApp } from '@framewire/runtime';
import { persisterModule } from './app.module';
import { PERSISTER_CONFIG_SPEC } from './config';

void runApp({
  stage: 'persister',
  loadConfig: () => loadConfig(PERSISTER_CONFIG_SPEC),
  module: (config, logger, workerId) => persisterModule(config, logger, workerId),
});
