import 'reflect-metadata';
import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobStatus, SampleMode } from '@framewire/contracts';
import { bigintToNumber } from './transformers';

/**
 * The `jobs` table: the projection the status service maintains. Stays inside
 * this lib; repositories return `JobRecord`s.
 *
 * Column order in the ORM cannot express index ordering: the listing index is
 * declared here by its columns and created `(created_at DESC, id DESC)` by the
 * migration (TypeORM's schema diff compares index columns, not their order).
 */
@Entity({ name: 'jobs' })
@Check('CHK_jobs_status', `"status" IN ('pending', 'running', 'completed', 'failed', 'cancelled')`)
@Index('IDX_jobs_created_at_id', ['createdAt', 'id'])
@Index('IDX_jobs_status', ['status'])
@Check('CHK_jobs_retention_days', `"retention_days" IS NULL OR "retention_days" >= 0`)
@Check(
  'CHK_jobs_sampling',
  `("sample_fps" IS NULL OR "sample_fps" > 0) AND ("start_ms" IS NULL OR "start_ms" >= 0) AND ("end_ms" IS NULL OR "end_ms" > COALESCE("start_ms", 0))`,
)
@Check(
  'CHK_jobs_sample',
  `"sample" IN ('frames', 'keyframes') AND ("sample" = 'frames' OR ("sample_fps" IS NULL AND "frame_stride" = 1)) AND ("keyframe_count" IS NULL OR "keyframe_count" >= 0)`,
)
@Index('IDX_jobs_finished_terminal', ['finishedAt'], { where: `"status" IN ('completed', 'failed', 'cancelled')` })
@Index('UQ_jobs_idempotency_key', ['idempotencyKey'], { unique: true, where: `"idempotency_key" IS NOT NULL` })
export class JobEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'PK_jobs' })
  id!: string;

  @Column({ name: 'status', type: 'text', default: 'pending' })
  status!: JobStatus;

  @Column({ name: 'pipeline_id', type: 'text' })
  pipelineId!: string;

  @Column({ name: 'pipeline_version', type: 'text', nullable: true })
  pipelineVersion!: string | null;

  @Column({ name: 'models', type: 'jsonb', nullable: true })
  models!: { name: string; sha256: string }[] | null;

  @Column({ name: 'input_key', type: 'text' })
  inputKey!: string;

  @Column({ name: 'input_size', type: 'bigint', transformer: bigintToNumber })
  inputSize!: number;

  @Column({ name: 'input_sha256', type: 'text' })
  inputSha256!: string;

  @Column({ name: 'frame_stride', type: 'integer' })
  frameStride!: number;

  @Column({ name: 'max_frames', type: 'integer', nullable: true })
  maxFrames!: number | null;

  /** Temporal reuse allowed for this job (submit `reuse: false` turns it off). */
  @Column({ name: 'reuse', type: 'boolean', default: true })
  reuse!: boolean;

  /** Sampled frames whose result was reused from an earlier frame (reported by the extractor when it ends). */
  @Column({ name: 'frames_reused', type: 'integer', default: 0 })
  framesReused!: number;

  @Column({ name: 'sample_fps', type: 'double precision', nullable: true })
  sampleFps!: number | null;

  @Column({ name: 'sample', type: 'varchar', length: 16, default: 'frames' })
  sample!: SampleMode;

  @Column({ name: 'keyframe_count', type: 'integer', nullable: true })
  keyframeCount!: number | null;

  @Column({ name: 'start_ms', type: 'integer', nullable: true })
  startMs!: number | null;

  @Column({ name: 'end_ms', type: 'integer', nullable: true })
  endMs!: number | null;

  @Column({ name: 'duration_ms', type: 'double precision', nullable: true })
  durationMs!: number | null;

  @Column({ name: 'fps', type: 'double precision', nullable: true })
  fps!: number | null;

  @Column({ name: 'width', type: 'integer', nullable: true })
  width!: number | null;

  @Column({ name: 'height', type: 'integer', nullable: true })
  height!: number | null;

  @Column({ name: 'codec', type: 'text', nullable: true })
  codec!: string | null;

  @Column({ name: 'frame_count', type: 'integer', nullable: true })
  frameCount!: number | null;

  @Column({ name: 'frames_total', type: 'integer', nullable: true })
  framesTotal!: number | null;

  @Column({ name: 'frames_done', type: 'integer', default: 0 })
  framesDone!: number;

  @Column({ name: 'frames_failed', type: 'integer', default: 0 })
  framesFailed!: number;

  /** Sum of the stored frame results' pipeline time (their timings_ms totals), kept by the persister's upsert. */
  @Column({ name: 'inference_ms', type: 'double precision', default: 0 })
  inferenceMs!: number;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'client_tag', type: 'text', nullable: true })
  clientTag!: string | null;

  /** Days a finished job is kept; null: the deployment's FW_RETENTION_DAYS. */
  @Column({ name: 'retention_days', type: 'integer', nullable: true })
  retentionDays!: number | null;

  /** Where the job's webhooks are POSTed (each terminal state); null: none. */
  @Column({ name: 'callback_url', type: 'text', nullable: true })
  callbackUrl!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'extracted_at', type: 'timestamptz', nullable: true })
  extractedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
