import type { DynamicModule } from '@nestjs/common';
import { describeDecoder, MediaToolkit } from '@framewire/media';
import { WorkerAppModule } from '@framewire/messaging';
import type { Logger } from '@framewire/runtime';
import type { ExtractorConfig } from './config';
import { ExtractService } from './extract.service';

/** The extractor: the shared stage wiring (object store included), ffmpeg, and the `extract` handler. */
export function extractorModule(config: ExtractorConfig, logger: Logger, workerId: string): DynamicModule {
  return WorkerAppModule.forStage('extractor', {
    config,
    logger,
    workerId,
    providers: [{ provide: MediaToolkit, useValue: new MediaToolkit() }, ExtractService],
    workerDetails: async () => ({ decoder: await describeDecoder() }),
  });
}
