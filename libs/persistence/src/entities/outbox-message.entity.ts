import 'reflect-metadata';
import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { JobEntity } from './job.entity';

/**
 * The transactional outbox: a message intake must publish, written in the same
 * transaction as the job it belongs to, deleted once the stream acknowledged
 * it. `id` orders a job's messages; they are published in that order.
 */
@Entity({ name: 'outbox' })
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint', primaryKeyConstraintName: 'PK_outbox' })
  /** int8: pg hands it back as a string. */
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  @Index('IDX_outbox_job_id')
  @ForeignKey(() => JobEntity, { name: 'FK_outbox_job_id', onDelete: 'CASCADE' })
  jobId!: string;

  @Column({ name: 'subject', type: 'text' })
  subject!: string;

  /** The Nats-Msg-Id: the stream drops a second publish of it inside its duplicate window. */
  @Column({ name: 'msg_id', type: 'text' })
  msgId!: string;

  @Column({ name: 'payload', type: 'bytea' })
  payload!: Buffer;

  /** Header name → value (trace id, job id), as they were when the message was written. */
  @Column({ name: 'headers', type: 'jsonb' })
  headers!: Record<string, string>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
