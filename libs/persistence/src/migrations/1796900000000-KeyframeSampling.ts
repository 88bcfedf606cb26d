import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keyframe sampling: jobs.sample (`frames`: every frame decoded, sampled by
 * frame_stride or sample_fps; `keyframes`: only the keyframes) and
 * jobs.keyframe_count (the keyframes in the job's range, counted by intake
 * from the packet list; null for `frames` jobs). Rows written before them read
 * as `frames`.
 */
export class KeyframeSampling1796900000000 implements MigrationInterface {
  name = 'KeyframeSampling1796900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "sample" character varying(16) NOT NULL DEFAULT 'frames'`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "keyframe_count" integer`);
    await queryRunner.query(
      `ALTER TABLE "jobs" ADD CONSTRAINT "CHK_jobs_sample" CHECK ("sample" IN ('frames', 'keyframes') ` +
        `AND ("sample" = 'frames' OR ("sample_fps" IS NULL AND "frame_stride" = 1)) AND ("keyframe_count" IS NULL OR "keyframe_count" >= 0))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP CONSTRAINT "CHK_jobs_sample"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "keyframe_count"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "sample"`);
  }
}
