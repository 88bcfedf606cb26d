import 'reflect-metadata';
import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { JobEntity } from './job.entity';

/** One sampled frame's outcome; upserted on (job_id, frame_index) so redelivery never duplicates. */
@Entity({ name: 'frame_results' })
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

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
