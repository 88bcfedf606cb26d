import { FrameResultEntity } from './frame-result.entity';
import { JobEventEntity } from './job-event.entity';
import { JobEntity } from './job.entity';
import { OutboxMessageEntity } from './outbox-message.entity';
import { TextTrackBuildEntity, TextTrackEntity } from './text-track.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

export { FrameResultEntity, JobEntity, JobEventEntity, OutboxMessageEntity, TextTrackBuildEntity, TextTrackEntity, WebhookDeliveryEntity };

/** Every entity this lib owns, for the DataSource. */
export const ENTITIES = [
  JobEntity,
  FrameResultEntity,
  JobEventEntity,
  OutboxMessageEntity,
  TextTrackEntity,
  TextTrackBuildEntity,
  WebhookDeliveryEntity,
] as const;
