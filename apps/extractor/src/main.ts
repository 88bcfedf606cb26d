import 'reflect-metadata';
import { runApp } from '@framewire/runtime';
import { extractorModule } from './app.module';
import { loadExtractorConfig } from './config';

void runApp({
  stage: 'extractor',
  loadConfig: () => loadExtractorConfig(),
  module: (config, logger, workerId) => extractorModule(config, logger, workerId),
});
