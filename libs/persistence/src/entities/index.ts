import { FrameResultEntity } from './frame-result.entity';
import { JobEventEntity } from './job-event.entity';
import { JobEntity } from './job.entity';

export { FrameResultEntity, JobEntity, JobEventEntity };

/** Every entity this lib owns, for the DataSource. */
export const ENTITIES = [JobEntity, FrameResultEntity, JobEventEntity] as const;
