import type { DynamicModule } from '@nestjs/common';
import { WorkerAppModule } from '@framewire/messaging';
import { PersistenceModule } from '@framewire/persistence';
import type { Logger } from '@framewire/runtime';
import type { PersisterConfig } from './config';
import { PersistService } from './persist.service';

/** The persister: the shared stage wiring, its database, and the `persist` batch handler. */
export function persisterModule(config: PersisterConfig, logger: Logger, workerId: string): DynamicModule {
  return WorkerAppModule.forStage('persister', {
    config,
    logger,
    workerId,
    imports: [PersistenceModule.forApp(config, workerId)],
    providers: [PersistService],
  });
}
