import 'reflect-metadata';
import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { JobEntity } from './job.entity';

/** One sampled frame's outcome; upserted on (job_id, frame_index) so redelivery never duplicates. */
@Entity({ name: 'frame_results' })
@Check('CHK_frame_results_reused_from', `"reused_from" IS NULL OR ("reused_from" >= 0 AND "reused_from" < "frame_index")`)
@Index('IDX_frame_results_reused_from', ['jobId', 'reusedFrom'], { where: `"reused_from" IS NOT NULL` })
export class FrameResultEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid', primaryKeyConstraintName: 'PK_frame_results' })
  @ForeignKey(() => JobEntity, { name: 'FK_frame_results_job_id', onDelete: 'CASCADE' })
  jobId!: string;

  @PrimaryColumn({ name: 'frame_index', type: 'integer', primaryKeyConstraintName: 'PK_frame_results' })
  frameIndex!: number;

  @Column({ name: 'pts_ms', type: 'double precision' })
  ptsMs!: number;

  @Column({ name: 'result', type: 'jsonb', nullable: true })
  result!: unknown;

  @Column({ name: 'error', type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'timings_ms', type: 'jsonb' })
  timingsMs!: Record<string, number>;

  @Column({ name: 'worker_id', type: 'text' })
  workerId!: string;

  /** {analysed, source} sizes of the frame; `result` is in source pixels. Null for rows written before it existed. */
  @Column({ name: 'geometry', type: 'jsonb', nullable: true })
  geometry!: unknown;

  /** Temporal reuse: the anchor frame whose result this row carries; null when the models ran on this frame. */
  @Column({ name: 'reused_from', type: 'integer', nullable: true })
  reusedFrom!: number | null;

  /** A reused row written before its anchor's result: filled (and false) once the anchor lands. */
  @Column({ name: 'reuse_pending', type: 'boolean', default: false })
  reusePending!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
