import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * jobs.inference_ms: the pipeline time of a job's stored frame results (the
 * sum of each row's timings_ms), kept up to date by the persister's upsert in
 * the same statement that writes the rows, so a job's metrics need no scan of
 * frame_results. Existing jobs get it from their rows.
 */
export class JobInferenceTime1795982400000 implements MigrationInterface {
  name = 'JobInferenceTime1795982400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "inference_ms" double precision NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `UPDATE "jobs" j SET "inference_ms" = t."ms" FROM (
         SELECT fr."job_id", sum(e."value"::float8) AS "ms"
         FROM "frame_results" fr, jsonb_each(fr."timings_ms") e
         WHERE jsonb_typeof(e."value") = 'number'
         GROUP BY fr."job_id") t
       WHERE j."id" = t."job_id"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "inference_ms"`);
  }
}
