import 'reflect-metadata';
import { runApp } from '@framewire/runtime';
import { ExtractorModule } from './app.module';
import { loadExtractorConfig } from './config';

void runApp({
  stage: 'extractor',
  loadConfig: () => loadExtractorConfig(),
  module: (config, logger, workerId) => ExtractorModule.forConfig(config, logger, workerId),
});
