import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * text_tracks: a job's text tracks (the per-frame lines of `ocr` and regions
 * of `text_regions` linked across samples), replaced as a whole each time the
 * status service builds them; text_track_builds: one row per job saying how
 * far the stored tracks go (`frames`: the frame results they were built
 * from) and whether they are `final` (built once the job's frames were all
 * in). Both go with their job (ON DELETE CASCADE, and JobsRepository's
 * delete names them). Generated from the entities with the schema builder.
 */
export class TextTracks1796400000000 implements MigrationInterface {
  name = 'TextTracks1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "text_tracks" (` +
        `"job_id" uuid NOT NULL, ` +
        `"track_index" integer NOT NULL, ` +
        `"output" text NOT NULL, ` +
        `"kind" text NOT NULL, ` +
        `"text" text, ` +
        `"confidence" double precision NOT NULL, ` +
        `"start_ms" double precision NOT NULL, ` +
        `"end_ms" double precision NOT NULL, ` +
        `"first_frame" integer NOT NULL, ` +
        `"last_frame" integer NOT NULL, ` +
        `"frame_count" integer NOT NULL, ` +
        `"bbox" jsonb NOT NULL, ` +
        `"bbox_norm" jsonb NOT NULL, ` +
        `"boxes" jsonb NOT NULL, ` +
        `CONSTRAINT "CHK_text_tracks_kind" CHECK ("kind" IN ('text', 'region')), ` +
        `CONSTRAINT "PK_text_tracks" PRIMARY KEY ("job_id", "track_index"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "text_track_builds" (` +
        `"job_id" uuid NOT NULL, ` +
        `"final" boolean NOT NULL, ` +
        `"frames" integer NOT NULL, ` +
        `"track_count" integer NOT NULL, ` +
        `"built_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "PK_text_track_builds" PRIMARY KEY ("job_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "text_tracks" ADD CONSTRAINT "FK_text_tracks_job_id" ` +
        `FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "text_track_builds" ADD CONSTRAINT "FK_text_track_builds_job_id" ` +
        `FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "text_track_builds" DROP CONSTRAINT "FK_text_track_builds_job_id"`);
    await queryRunner.query(`ALTER TABLE "text_tracks" DROP CONSTRAINT "FK_text_tracks_job_id"`);
    await queryRunner.query(`DROP TABLE "text_track_builds"`);
    await queryRunner.query(`DROP TABLE "text_tracks"`);
  }
}
