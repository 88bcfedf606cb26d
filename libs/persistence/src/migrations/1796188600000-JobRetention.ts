import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * jobs.retention_days: how many days a finished job is kept before the
 * retention sweep deletes it (null: the deployment's FW_RETENTION_DAYS). The
 * partial index serves the sweep's question "which finished jobs are oldest".
 */
export class JobRetention1796188600000 implements MigrationInterface {
  name = 'JobRetention1796188600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "retention_days" integer`);
    await queryRunner.query(
      `ALTER TABLE "jobs" ADD CONSTRAINT "CHK_jobs_retention_days" CHECK ("retention_days" IS NULL OR "retention_days" >= 0)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_finished_terminal" ON "jobs" ("finished_at") WHERE "status" IN ('completed', 'failed', 'cancelled')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_jobs_finished_terminal"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP CONSTRAINT "CHK_jobs_retention_days"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "retention_days"`);
  }
}
