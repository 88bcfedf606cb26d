import 'reflect-metadata';
import { runApp } from '@framewire/runtime';
import { statusModule } from './app.module';
import { loadStatusConfig } from './config';

void runApp({
  stage: 'status',
  loadConfig: () => loadStatusConfig(),
  module: (config, logger, workerId) => statusModule(config, logger, workerId),
});
