import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * frame_results.geometry: the size a frame was analysed at and the source
 * video's size ({analysed: {width, height}, source: {width, height}}); the
 * boxes in `result` are in source pixels. Null for rows written before it
 * existed, whose boxes are in analysed-frame pixels.
 */
export class FrameGeometry1796200000000 implements MigrationInterface {
  name = 'FrameGeometry1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "frame_results" ADD "geometry" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "frame_results" DROP COLUMN "geometry"`);
  }
}
