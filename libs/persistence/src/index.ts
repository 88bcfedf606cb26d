/**
 * @framewire/persistence — Postgres through TypeORM: entities (internal),
 * committed migrations, repositories that return plain records.
 */
export { createDataSource, openDataSource, runMigrations, MIGRATIONS_TABLE, MIGRATION_LOCK_KEY } from './data-source';
export type { DataSourceOptions } from './data-source';
export { ensureDatabase } from './ensure-database';
export { PersistenceModule } from './persistence.module';
export type { PersistenceModuleOptions } from './persistence.module';

export { JobsRepository, MAX_LIST_LIMIT } from './jobs.repository';
export { FrameResultsRepository, MAX_RESULTS_PAGE, UPSERT_CHUNK_ROWS, type JobProgress } from './frame-results.repository';
export { JobEventsRepository } from './job-events.repository';
export { OutboxRepository } from './outbox.repository';
export { TracksRepository, MAX_TRACKS_PAGE } from './tracks.repository';
export type { ReplaceTracksOptions, TracksPage, TracksQuery, TracksState } from './tracks.repository';
export { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
export type { RelayOptions, RelayPass } from './outbox.repository';
export type { JobPatch, JobProjectionState, LockedJob } from './locked-job';

export type {
  CreateJobInput,
  CreateJobResult,
  FrameCounts,
  FrameResultInput,
  FrameResultRecord,
  FrameResultsPage,
  FrameResultsQuery,
  JobEventRecord,
  JobRecord,
  JobsPage,
  ListJobsQuery,
  ModelRef,
  OutboxMessage,
  OutgoingMessage,
  WebhookDeliveryInput,
  WebhookDeliveryRecord,
  WebhookOutcome,
} from './records';

export { isDatabaseUnavailable, toDatabaseError, withDatabaseErrors } from './errors';
