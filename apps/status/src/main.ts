import 'reflect-metadata';
import { runApp } from '@framewire/runtime';
import { StatusModule } from './app.module';
import { loadStatusConfig } from './config';

void runApp({
  stage: 'status',
  loadConfig: () => loadStatusConfig(),
  module: (config, logger, workerId) => StatusModule.forConfig(config, logger, workerId),
});
