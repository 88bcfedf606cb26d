import type { DynamicModule } from '@nestjs/common';
import { WorkerAppModule } from '@framewire/messaging';
import { PersistenceModule } from '@framewire/persistence';
import type { Logger } from '@framewire/runtime';
import type { StatusConfig } from './config';
import { ProjectionStore } from './projection-store';
import { ProjectorService } from './projector.service';
import { AdvisoriesService } from './advisories.service';
import { ClusterGauges } from './cluster-gauges';
import { TracksService } from './tracks.service';
import { WebhookSender } from './webhooks/webhook-sender';
import { WebhookService } from './webhooks/webhook.service';

/** Status: the shared stage wiring, its database, the projection, and the `events`, `advisories` and `webhook` handlers. */
export function statusModule(config: StatusConfig, logger: Logger, workerId: string): DynamicModule {
  return WorkerAppModule.forStage('status', {
    config,
    logger,
    workerId,
    imports: [PersistenceModule.forApp(config, workerId)],
    providers: [ProjectionStore, ProjectorService, TracksService, AdvisoriesService, ClusterGauges, WebhookSender, WebhookService],
  });
}
