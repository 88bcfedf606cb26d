import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MediaToolkit } from '@framewire/media';
import { MessagingModule, topologyFromConfig } from '@framewire/messaging';
import { PersistenceModule } from '@framewire/persistence';
import { ObservabilityModule } from '@framewire/observability';
import { RuntimeModule, type Logger } from '@framewire/runtime';
import { StorageModule } from '@framewire/storage';
import { AdmissionService } from './admission/admission.service';
import { ApiKeyAuth } from './auth/api-key.auth';
import { ApiKeyGuard } from './auth/api-key.guard';
import type { IntakeConfig } from './config';
import { DlqService } from './dlq/dlq.service';
import { WorkersService } from './workers/workers.service';
import { JobWatchService } from './events/watch.service';
import { GrpcServerHost } from './grpc/grpc.server';
import { JobsGrpcHandlers } from './grpc/jobs.grpc';
import { createPipelineCatalog } from './jobs/pipeline-catalog';
import { CancelService } from './jobs/cancel.service';
import { DeleteService } from './jobs/delete.service';
import { RetentionService } from './jobs/retention.service';
import { QueryService } from './jobs/query.service';
import { OutboxRelay } from './jobs/outbox-relay';
import { SubmitService } from './jobs/submit.service';
import { UploadReceiver } from './upload/upload-receiver';
import { HTTP_CONTROLLERS } from './http/controllers';
import { PipelinesService } from './pipelines/pipelines.service';
import { StaleUploadsCleaner } from './upload/stale-uploads';
import { INTAKE_CONFIG, PIPELINE_CATALOG } from './tokens';

@Module({})
export class IntakeModule {
  static forConfig(config: IntakeConfig, logger: Logger, workerId: string): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        RuntimeModule.forRoot({ logger, workerId, config }),
        ObservabilityModule.forRoot({ stage: 'intake', logger, opsPort: null }),
        StorageModule.forRoot(config.storage, { startupWaitMs: config.outageToleranceMs }),
        PersistenceModule.forRoot({
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          applicationName: workerId,
          migrate: true,
          startupWaitMs: config.outageToleranceMs,
        }),
        MessagingModule.forRoot({
          stage: 'intake',
          workerId,
          servers: config.natsUrl,
          auth: config.nats,
          logger,
          consumes: [],
          topology: topologyFromConfig(config),
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        }),
      ],
      controllers: HTTP_CONTROLLERS,
      providers: [
        { provide: INTAKE_CONFIG, useValue: config },
        { provide: MediaToolkit, useValue: new MediaToolkit() },
        { provide: PIPELINE_CATALOG, useFactory: () => createPipelineCatalog(config) },
        OutboxRelay,
        AdmissionService,
        SubmitService,
        UploadReceiver,
        QueryService,
        PipelinesService,
        CancelService,
        DeleteService,
        RetentionService,
        StaleUploadsCleaner,
        DlqService,
        WorkersService,
        ApiKeyAuth,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        JobWatchService,
        JobsGrpcHandlers,
        GrpcServerHost,
      ],
    };
  }
}
