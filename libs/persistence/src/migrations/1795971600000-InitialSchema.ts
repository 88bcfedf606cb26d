import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * jobs, frame_results, job_events. Generated from the entities with the schema
 * builder, reviewed, then edited in one place: the listing index is created
 * (created_at DESC, id DESC) to match `ORDER BY created_at DESC, id DESC` and the
 * keyset predicate `(created_at, id) < ($1, $2)`; the ORM cannot express
 * per-column order, and its schema diff compares index columns only.
 */
export class InitialSchema1795971600000 implements MigrationInterface {
  name = 'InitialSchema1795971600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "jobs" (` +
        `"id" uuid NOT NULL, ` +
        `"status" text NOT NULL DEFAULT 'pending', ` +
        `"pipeline_id" text NOT NULL, ` +
        `"pipeline_version" text, ` +
        `"models" jsonb, ` +
        `"input_key" text NOT NULL, ` +
        `"input_size" bigint NOT NULL, ` +
        `"input_sha256" text NOT NULL, ` +
        `"frame_stride" integer NOT NULL, ` +
        `"max_frames" integer, ` +
        `"duration_ms" double precision, ` +
        `"fps" double precision, ` +
        `"width" integer, ` +
        `"height" integer, ` +
        `"codec" text, ` +
        `"frame_count" integer, ` +
        `"frames_total" integer, ` +
        `"frames_done" integer NOT NULL DEFAULT '0', ` +
        `"frames_failed" integer NOT NULL DEFAULT '0', ` +
        `"error_code" text, ` +
        `"error_message" text, ` +
        `"idempotency_key" text, ` +
        `"client_tag" text, ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"started_at" TIMESTAMP WITH TIME ZONE, ` +
        `"extracted_at" TIMESTAMP WITH TIME ZONE, ` +
        `"finished_at" TIMESTAMP WITH TIME ZONE, ` +
        `"updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "CHK_jobs_status" CHECK ("status" IN ('pending', 'running', 'completed', 'failed', 'cancelled')), ` +
        `CONSTRAINT "PK_jobs" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_jobs_idempotency_key" ON "jobs" ("idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_jobs_status" ON "jobs" ("status")`);
    await queryRunner.query(`CREATE INDEX "IDX_jobs_created_at_id" ON "jobs" ("created_at" DESC, "id" DESC)`);

    await queryRunner.query(
      `CREATE TABLE "frame_results" (` +
        `"job_id" uuid NOT NULL, ` +
        `"frame_index" integer NOT NULL, ` +
        `"pts_ms" double precision NOT NULL, ` +
        `"result" jsonb, ` +
        `"error" text, ` +
        `"timings_ms" jsonb NOT NULL, ` +
        `"worker_id" text NOT NULL, ` +
        `"created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `"updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "PK_frame_results" PRIMARY KEY ("job_id", "frame_index"))`,
    );

    await queryRunner.query(
      `CREATE TABLE "job_events" (` +
        `"id" BIGSERIAL NOT NULL, ` +
        `"job_id" uuid NOT NULL, ` +
        `"type" text NOT NULL, ` +
        `"event_key" text NOT NULL, ` +
        `"payload" jsonb NOT NULL, ` +
        `"occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, ` +
        `"recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "UQ_job_events_job_id_event_key" UNIQUE ("job_id", "event_key"), ` +
        `CONSTRAINT "PK_job_events" PRIMARY KEY ("id"))`,
    );

    await queryRunner.query(
      `ALTER TABLE "frame_results" ADD CONSTRAINT "FK_frame_results_job_id" ` +
        `FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "job_events" ADD CONSTRAINT "FK_job_events_job_id" ` +
        `FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_events" DROP CONSTRAINT "FK_job_events_job_id"`);
    await queryRunner.query(`ALTER TABLE "frame_results" DROP CONSTRAINT "FK_frame_results_job_id"`);
    await queryRunner.query(`DROP TABLE "job_events"`);
    await queryRunner.query(`DROP TABLE "frame_results"`);
    await queryRunner.query(`DROP INDEX "IDX_jobs_created_at_id"`);
    await queryRunner.query(`DROP INDEX "IDX_jobs_status"`);
    await queryRunner.query(`DROP INDEX "UQ_jobs_idempotency_key"`);
    await queryRunner.query(`DROP TABLE "jobs"`);
  }
}
