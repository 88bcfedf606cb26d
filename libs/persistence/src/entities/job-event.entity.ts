import 'reflect-metadata';
import { Column, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { JobEntity } from './job.entity';

/**
 * The event log as projected. `event_key` is the dedup key (the message id):
 * a redelivered event is recorded, and projected, once.
 */
@Entity({ name: 'job_events' })
@Unique('UQ_job_events_job_id_event_key', ['jobId', 'eventKey'])
export class JobEventEntity {
  @PrimaryGeneratedColumn('increment', {
    name: 'id',
    type: 'bigint',
    primaryKeyConstraintName: 'PK_job_events',
  })
  /** int8: pg hands it back as a string. */
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  @ForeignKey(() => JobEntity, { name: 'FK_job_events_job_id', onDelete: 'CASCADE' })
  jobId!: string;

  @Column({ name: 'type', type: 'text' })
  type!: string;

  @Column({ name: 'event_key', type: 'text' })
  eventKey!: string;

  @Column({ name: 'payload', type: 'jsonb' })
  payload!: unknown;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;
}
