import { type DynamicModule, Module } from '@nestjs/common';
import { MediaToolkit } from '@framewire/media';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import { ObservabilityModule } from '@framewire/observability';
import { RuntimeModule, type Logger } from '@framewire/runtime';
import { StorageModule } from '@framewire/storage';
import type { ExtractorConfig } from './config';
import { ExtractService } from './extract.service';

@Module({})
export class ExtractorModule {
  static forConfig(config: ExtractorConfig, logger: Logger, workerId: string): DynamicModule {
    return {
      module: ExtractorModule,
      imports: [
        RuntimeModule.forRoot({ logger, workerId, config }),
        ObservabilityModule.forRoot({ stage: 'extractor', logger, opsPort: config.opsPort }),
        StorageModule.forRoot(config.storage, { startupWaitMs: config.outageToleranceMs }),
        MessagingModule.forRoot({
          stage: 'extractor',
          workerId,
          servers: config.natsUrl,
          auth: config.nats,
          logger,
          consumes: ['extract'],
          concurrency: { extract: config.concurrency },
          topology: topologyFromConfig(config),
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        }),
      ],
      providers: [{ provide: MediaToolkit, useValue: new MediaToolkit() }, ExtractService],
    };
  }
}
