import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: jobs.callback_url (where a job's terminal states are POSTed) and
 * webhook_deliveries, one row per delivery attempt and one `given_up` row when
 * FW_WEBHOOK_MAX_AGE ran out. Generated from the entities with the schema builder.
 */
export class Webhooks1796600000000 implements MigrationInterface {
  name = 'Webhooks1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "callback_url" text`);
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" (` +
        `"id" BIGSERIAL NOT NULL, ` +
        `"job_id" uuid NOT NULL, ` +
        `"event" text NOT NULL, ` +
        `"attempt" integer NOT NULL, ` +
        `"at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"outcome" text NOT NULL, ` +
        `"http_status" integer, ` +
        `"error" text, ` +
        `"duration_ms" integer, ` +
        `CONSTRAINT "CHK_webhook_deliveries_outcome" CHECK ("outcome" IN ('delivered', 'failed', 'given_up')), ` +
        `CONSTRAINT "PK_webhook_deliveries" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_webhook_deliveries_job_id" ON "webhook_deliveries" ("job_id")`);
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_webhook_deliveries_job_id" ` +
        `FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_webhook_deliveries_job_id"`);
    await queryRunner.query(`DROP INDEX "IDX_webhook_deliveries_job_id"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "callback_url"`);
  }
}
