import 'reflect-metadata';
import { runApp } from '@framewire/runtime';
import { inferenceModule } from './app.module';
import { loadInferenceConfig } from './config';

void runApp({
  stage: 'inference',
  loadConfig: () => loadInferenceConfig(),
  module: (config, logger, workerId) => inferenceModule(config, logger, workerId),
});
