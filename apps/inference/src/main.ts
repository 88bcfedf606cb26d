import 'reflect-metadata';
import { runApp } from '@framewire/runtime';
import { InferenceModule } from './app.module';
import { loadInferenceConfig } from './config';

void runApp({
  stage: 'inference',
  loadConfig: () => loadInferenceConfig(),
  module: (config, logger, workerId) => InferenceModule.forConfig(config, logger, workerId),
});
