import 'reflect-metadata';
import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { JobEntity } from './job.entity';

/**
 * Every attempt to deliver a job's webhook (one POST to its callback_url), and
 * the final `given_up` row when FW_WEBHOOK_MAX_AGE ran out. Written by the
 * status service's webhook consumer; shown on GET /v1/jobs/{id}.
 */
@Entity({ name: 'webhook_deliveries' })
@Check('CHK_webhook_deliveries_outcome', `"outcome" IN ('delivered', 'failed', 'given_up')`)
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('increment', { name: 'id', type: 'bigint', primaryKeyConstraintName: 'PK_webhook_deliveries' })
  /** int8: pg hands it back as a string. */
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  @Index('IDX_webhook_deliveries_job_id')
  @ForeignKey(() => JobEntity, { name: 'FK_webhook_deliveries_job_id', onDelete: 'CASCADE' })
  jobId!: string;

  /** The job status announced: completed, failed or cancelled. */
  @Column({ name: 'event', type: 'text' })
  event!: string;

  /** 1 for the first POST; the `given_up` row carries the number of attempts made. */
  @Column({ name: 'attempt', type: 'integer' })
  attempt!: number;

  @Column({ name: 'at', type: 'timestamptz', default: () => 'now()' })
  at!: Date;

  @Column({ name: 'outcome', type: 'text' })
  outcome!: string;

  @Column({ name: 'http_status', type: 'integer', nullable: true })
  httpStatus!: number | null;

  @Column({ name: 'error', type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;
}
