import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * outbox: the messages of a submitted job (its `submitted` event and its
 * work.extract message), written in the transaction that creates the job and
 * deleted once published, so a crash between the commit and the publish
 * leaves them for intake's relay instead of leaving the job pending forever.
 * Generated from the entity with the schema builder.
 */
export class Outbox1796000000000 implements MigrationInterface {
  name = 'Outbox1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outbox" (` +
        `"id" BIGSERIAL NOT NULL, ` +
        `"job_id" uuid NOT NULL, ` +
        `"subject" text NOT NULL, ` +
        `"msg_id" text NOT NULL, ` +
        `"payload" bytea NOT NULL, ` +
        `"headers" jsonb NOT NULL, ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "PK_outbox" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_outbox_job_id" ON "outbox" ("job_id")`);
    await queryRunner.query(
      `ALTER TABLE "outbox" ADD CONSTRAINT "FK_outbox_job_id" ` +
        `FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox" DROP CONSTRAINT "FK_outbox_job_id"`);
    await queryRunner.query(`DROP INDEX "IDX_outbox_job_id"`);
    await queryRunner.query(`DROP TABLE "outbox"`);
  }
}
