import 'reflect-metadata';
import { loadConfig, runApp } from '@framewire/runtime';
import { PersisterModule } from './app.module';
import { PERSISTER_CONFIG_SPEC } from './config';

void runApp({
  stage: 'persister',
  loadConfig: () => loadConfig(PERSISTER_CONFIG_SPEC),
  module: (config, logger, workerId) => PersisterModule.forConfig(config, logger, workerId),
});
