import type { DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { describeDecoder, MediaToolkit } from '@framewire/media';
import { WorkerAppModule } from '@framewire/messaging';
import { PersistenceModule } from '@framewire/persistence';
import type { Logger } from '@framewire/runtime';
import { AdmissionService } from './admission/admission.service';
import { ApiKeyAuth } from './auth/api-key.auth';
import { ApiKeyGuard } from './auth/api-key.guard';
import type { IntakeConfig } from './config';
import { WorkersService } from './workers/workers.service';
import { JobWatchService } from './events/watch.service';
import { FrameAnnotator } from './frames/annotator';
import { FramesService } from './frames/frames.service';
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

/** Intake: the shared stage wiring (no consumers), its database and object store, the HTTP and gRPC API. */
export function intakeModule(config: IntakeConfig, logger: Logger, workerId: string): DynamicModule {
  return WorkerAppModule.forStage('intake', {
    config,
    logger,
    workerId,
    imports: [PersistenceModule.forApp(config, workerId)],
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
      FrameAnnotator,
      FramesService,
      RetentionService,
      StaleUploadsCleaner,
      WorkersService,
      ApiKeyAuth,
      { provide: APP_GUARD, useClass: ApiKeyGuard },
      JobWatchService,
      JobsGrpcHandlers,
      GrpcServerHost,
    ],
    workerDetails: async () => ({ decoder: await describeDecoder() }),
  });
}
