import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sampling by time: jobs.sample_fps (frames per second of video time, null:
 * by frame_stride) and jobs.start_ms / end_ms (the range of video time asked
 * for, null: from the start / to the end). Nullable, so rows written before
 * them read as "every frame_stride-th frame of the whole video".
 */
export class JobSampling1796500000000 implements MigrationInterface {
  name = 'JobSampling1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "sample_fps" double precision`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "start_ms" integer`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "end_ms" integer`);
    await queryRunner.query(
      `ALTER TABLE "jobs" ADD CONSTRAINT "CHK_jobs_sampling" CHECK (("sample_fps" IS NULL OR "sample_fps" > 0) ` +
        `AND ("start_ms" IS NULL OR "start_ms" >= 0) AND ("end_ms" IS NULL OR "end_ms" > COALESCE("start_ms", 0)))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP CONSTRAINT "CHK_jobs_sampling"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "end_ms"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "start_ms"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "sample_fps"`);
  }
}
