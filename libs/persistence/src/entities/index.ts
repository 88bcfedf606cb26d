import { FrameResultEntity } from './frame-result.entity';
import { JobEventEntity } from './job-event.entity';
import { JobEntity } from './job.entity';
import { OutboxMessageEntity } from './outbox-message.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

export { FrameResultEntity, JobEntity, JobEventEntity, OutboxMessageEntity, WebhookDeliveryEntity };

/** Every entity this lib owns, for the DataSource. */
export const ENTITIES = [JobEntity, FrameResultEntity, JobEventEntity, OutboxMessageEntity, WebhookDeliveryEntity] as const;
