import { DlqController } from './dlq.controller';
import { JobEventsController } from './events.controller';
import { FramesController } from './frames.controller';
import { HealthController } from './health.controller';
import { JobsController } from './jobs.controller';
import { LegacyVideoController } from './legacy.controller';
import { PipelinesController } from './pipelines.controller';
import { WorkersController } from './workers.controller';

/** Every HTTP controller of intake: the app serves them, and the OpenAPI document is scanned from them. */
export const HTTP_CONTROLLERS = [
  JobsController,
  LegacyVideoController,
  HealthController,
  DlqController,
  JobEventsController,
  FramesController,
  PipelinesController,
  WorkersController,
];
