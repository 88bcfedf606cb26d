import { type DynamicModule, Module } from '@nestjs/common';
import { MediaToolkit } from '@framewire/media';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import { PersistenceModule } from '@framewire/persistence';
import { RuntimeModule, type Logger } from '@framewire/runtime';
import { StorageModule } from '@framewire/storage';
import type { IntakeConfig } from './config';
import { DlqService } from './dlq/dlq.service';
import { DlqController } from './http/dlq.controller';
import { HealthController } from './http/health.controller';
import { JobsController } from './http/jobs.controller';
import { LegacyVideoController } from './http/legacy.controller';
import { createPipelineCatalog } from './jobs/pipeline-catalog';
import { CancelService } from './jobs/cancel.service';
import { QueryService } from './jobs/query.service';
import { SubmitService } from './jobs/submit.service';
import { INTAKE_CONFIG, PIPELINE_CATALOG } from './tokens';

@Module({})
export class IntakeModule {
  static forConfig(config: IntakeConfig, logger: Logger, workerId: string): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        RuntimeModule.forRoot({ logger, workerId, config }),
        StorageModule.forRoot(config.storage),
        PersistenceModule.forRoot({ url: config.databaseUrl, poolSize: config.databasePoolSize, applicationName: workerId, migrate: true }),
        MessagingModule.forRoot({
          stage: 'intake',
          workerId,
          servers: config.natsUrl,
          logger,
          consumes: [],
          topology: topologyFromConfig(config),
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        }),
      ],
      controllers: [JobsController, LegacyVideoController, HealthController, DlqController],
      providers: [
        { provide: INTAKE_CONFIG, useValue: config },
        { provide: MediaToolkit, useValue: new MediaToolkit() },
        { provide: PIPELINE_CATALOG, useFactory: () => createPipelineCatalog(config) },
        SubmitService,
        QueryService,
        CancelService,
        DlqService,
      ],
    };
  }
}
