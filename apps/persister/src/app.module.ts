import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import { PersistenceModule } from '@framewire/persistence';
import { ObservabilityModule } from '@framewire/observability';
import { RuntimeModule, type Logger } from '@framewire/runtime';
import type { PersisterConfig } from './config';
import { PersistService } from './persist.service';

@Module({})
export class PersisterModule {
  static forConfig(config: PersisterConfig, logger: Logger, workerId: string): DynamicModule {
    return {
      module: PersisterModule,
      imports: [
        RuntimeModule.forRoot({ logger, workerId, config }),
        ObservabilityModule.forRoot({ stage: 'persister', logger, opsPort: config.opsPort }),
        PersistenceModule.forRoot({
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          applicationName: workerId,
          migrate: true,
          startupWaitMs: config.outageToleranceMs,
        }),
        MessagingModule.forRoot({
          stage: 'persister',
          workerId,
          servers: config.natsUrl,
          auth: config.nats,
          logger,
          consumes: ['persist'],
          batch: { persist: { maxBatch: config.batchSize, maxWaitMs: config.batchWaitMs } },
          topology: topologyFromConfig(config),
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        }),
      ],
      providers: [PersistService],
    };
  }
}
