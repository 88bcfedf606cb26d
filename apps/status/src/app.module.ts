import { type DynamicModule, Module } from '@nestjs/common';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import { PersistenceModule } from '@framewire/persistence';
import { ObservabilityModule } from '@framewire/observability';
import { RuntimeModule, type Logger } from '@framewire/runtime';
import { StorageModule } from '@framewire/storage';
import type { StatusConfig } from './config';
import { ProjectionStore } from './projection-store';
import { ProjectorService } from './projector.service';
import { AdvisoriesService } from './advisories.service';
import { ClusterGauges } from './cluster-gauges';

@Module({})
export class StatusModule {
  static forConfig(config: StatusConfig, logger: Logger, workerId: string): DynamicModule {
    return {
      module: StatusModule,
      imports: [
        RuntimeModule.forRoot({ logger, workerId, config }),
        ObservabilityModule.forRoot({ stage: 'status', logger, opsPort: config.opsPort }),
        StorageModule.forRoot(config.storage, { startupWaitMs: config.outageToleranceMs }),
        PersistenceModule.forRoot({
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          applicationName: workerId,
          migrate: true,
          startupWaitMs: config.outageToleranceMs,
        }),
        MessagingModule.forRoot({
          stage: 'status',
          workerId,
          servers: config.natsUrl,
          auth: config.nats,
          logger,
          consumes: ['events', 'advisories'],
          concurrency: { events: config.concurrency },
          topology: topologyFromConfig(config),
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        }),
      ],
      providers: [ProjectionStore, ProjectorService, AdvisoriesService, ClusterGauges],
    };
  }
}
