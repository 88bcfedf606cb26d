import 'reflect-metadata';
import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import type { BBox, TrackBox } from '@framewire/contracts';
import { JobEntity } from './job.entity';

/** One text track of a job (TextTrack of the contracts); a job's tracks are replaced together on each build. */
@Entity({ name: 'text_tracks' })
@Check('CHK_text_tracks_kind', `"kind" IN ('text', 'region')`)
export class TextTrackEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid', primaryKeyConstraintName: 'PK_text_tracks' })
  @ForeignKey(() => JobEntity, { name: 'FK_text_tracks_job_id', onDelete: 'CASCADE' })
  jobId!: string;

  @PrimaryColumn({ name: 'track_index', type: 'integer', primaryKeyConstraintName: 'PK_text_tracks' })
  trackIndex!: number;

  @Column({ name: 'output', type: 'text' })
  output!: string;

  @Column({ name: 'kind', type: 'text' })
  kind!: 'text' | 'region';

  @Column({ name: 'text', type: 'text', nullable: true })
  text!: string | null;

  @Column({ name: 'confidence', type: 'double precision' })
  confidence!: number;

  @Column({ name: 'start_ms', type: 'double precision' })
  startMs!: number;

  @Column({ name: 'end_ms', type: 'double precision' })
  endMs!: number;

  @Column({ name: 'first_frame', type: 'integer' })
  firstFrame!: number;

  @Column({ name: 'last_frame', type: 'integer' })
  lastFrame!: number;

  @Column({ name: 'frame_count', type: 'integer' })
  frameCount!: number;

  @Column({ name: 'bbox', type: 'jsonb' })
  bbox!: BBox;

  @Column({ name: 'bbox_norm', type: 'jsonb' })
  bboxNorm!: BBox;

  @Column({ name: 'boxes', type: 'jsonb' })
  boxes!: TrackBox[];
}

/** How far a job's stored tracks go: built from `frames` frame results, `final` once the job's frames were all in. */
@Entity({ name: 'text_track_builds' })
export class TextTrackBuildEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid', primaryKeyConstraintName: 'PK_text_track_builds' })
  @ForeignKey(() => JobEntity, { name: 'FK_text_track_builds_job_id', onDelete: 'CASCADE' })
  jobId!: string;

  @Column({ name: 'final', type: 'boolean' })
  final!: boolean;

  @Column({ name: 'frames', type: 'integer' })
  frames!: number;

  @Column({ name: 'track_count', type: 'integer' })
  trackCount!: number;

  @Column({ name: 'built_at', type: 'timestamptz', default: () => 'now()' })
  builtAt!: Date;
}
