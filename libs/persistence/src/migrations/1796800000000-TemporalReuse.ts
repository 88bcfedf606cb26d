import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Temporal reuse (the extractor skips the models on a frame that looks the
 * same as the job's last computed frame, its anchor):
 * - frame_results.reused_from: the anchor's frame_index whose result the row
 *   carries (null: computed);
 * - frame_results.reuse_pending: the row was written before its anchor's
 *   result, which fills it when it lands (such a row counts as neither done nor
 *   failed, and results pages skip it until then);
 * - jobs.reuse: whether the job allows it (true unless asked `reuse: false`);
 * - jobs.frames_reused: how many of its sampled frames were reused.
 * Rows written before these columns read as computed, by jobs with reuse on
 * and nothing reused.
 */
export class TemporalReuse1796800000000 implements MigrationInterface {
  name = 'TemporalReuse1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "frame_results" ADD "reused_from" integer`);
    await queryRunner.query(`ALTER TABLE "frame_results" ADD "reuse_pending" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `ALTER TABLE "frame_results" ADD CONSTRAINT "CHK_frame_results_reused_from" ` +
        `CHECK ("reused_from" IS NULL OR ("reused_from" >= 0 AND "reused_from" < "frame_index")) `,
    );
    // The rows reusing one anchor, found when the anchor's result lands.
    await queryRunner.query(
      `CREATE INDEX "IDX_frame_results_reused_from" ON "frame_results" ("job_id", "reused_from") WHERE "reused_from" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "jobs" ADD "reuse" boolean NOT NULL DEFAULT true`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "frames_reused" integer NOT NULL DEFAULT 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "frames_reused"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "reuse"`);
    await queryRunner.query(`DROP INDEX "IDX_frame_results_reused_from"`);
    await queryRunner.query(`ALTER TABLE "frame_results" DROP CONSTRAINT "CHK_frame_results_reused_from"`);
    await queryRunner.query(`ALTER TABLE "frame_results" DROP COLUMN "reuse_pending"`);
    await queryRunner.query(`ALTER TABLE "frame_results" DROP COLUMN "reused_from"`);
  }
}
