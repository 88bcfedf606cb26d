/**
 * GET /v1/jobs/{id}/frames/{frame_index}: intake's route, service and
 * annotator over a real Postgres and a real object store (the filesystem
 * store and S3 on s3rver), behind the API key guard.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import pino from 'pino';
import sharp from 'sharp';
import { apiKeyEntry, generateApiKey, parseApiKeyEntries } from '@framewire/contracts';
import { FrameResultsRepository, JobsRepository, TracksRepository, WebhookDeliveriesRepository } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import { LOGGER } from '@framewire/runtime';
import { FsObjectStore, OBJECT_STORE, objectKeys, S3ObjectStore, type ObjectStore } from '@framewire/storage';
import { ApiKeyAuth } from '../../apps/intake/src/auth/api-key.auth';
import { ApiKeyGuard } from '../../apps/intake/src/auth/api-key.guard';
import { FrameAnnotator } from '../../apps/intake/src/frames/annotator';
import { FramesService } from '../../apps/intake/src/frames/frames.service';
import { FramesController } from '../../apps/intake/src/http/frames.controller';
import { ProblemFilter } from '../../apps/intake/src/http/problem.filter';
import { ZodDtoPipe } from '../../apps/intake/src/http/zod-dto.pipe';
import { QueryService } from '../../apps/intake/src/jobs/query.service';
import { INTAKE_CONFIG } from '../../apps/intake/src/tokens';

jest.setTimeout(60_000);

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });
const KEY = generateApiKey();
const W = 480;
const H = 270;
/** The video was 960×540; the result's box is in its pixels: 200–600 × 100–220, so 100–300 × 50–110 in the frame. */
const GEOMETRY = { analysed: { width: W, height: H }, source: { width: 960, height: 540 } };
const LINE = {
  polygon: [
    [200, 100],
    [600, 100],
    [600, 220],
    [200, 220],
  ],
  bbox: { x: 200, y: 100, width: 400, height: 120 },
  text: 'A<B & "C"',
};

describe.each(['fs', 's3'] as const)('frames of a job over HTTP, %s store', (kind) => {
  let db: TestDatabase;
  let dir: string;
  let s3: S3rverInstance | undefined;
  let store: ObjectStore;
  let app: INestApplication;
  let base: string;
  let jobId: string;
  let frame: Buffer;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), `fw-frames-${kind}-`));
    if (kind === 'fs') store = new FsObjectStore(dir, { fsync: false });
    else {
      s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
      const { port } = await s3.run();
      const s3store = new S3ObjectStore({
        bucket: 'framewire-frames',
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
      });
      await s3store.init();
      store = s3store;
    }
    const jobs = new JobsRepository(db.dataSource);
    const results = new FrameResultsRepository(db.dataSource);

    @Module({
      controllers: [FramesController],
      providers: [
        { provide: JobsRepository, useValue: jobs },
        { provide: FrameResultsRepository, useValue: results },
        { provide: TracksRepository, useValue: new TracksRepository(db.dataSource) },
        { provide: WebhookDeliveriesRepository, useValue: new WebhookDeliveriesRepository(db.dataSource) },
        { provide: OBJECT_STORE, useValue: store },
        { provide: LOGGER, useValue: logger },
        { provide: INTAKE_CONFIG, useValue: { apiKeys: parseApiKeyEntries(apiKeyEntry('frames', KEY)) } },
        QueryService,
        FrameAnnotator,
        FramesService,
        ApiKeyAuth,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    })
    class FramesTestModule {}
    app = await NestFactory.create(FramesTestModule, { logger: false });
    app.useGlobalFilters(new ProblemFilter(logger));
    app.useGlobalPipes(new ZodDtoPipe());
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    // A finished job whose extractor sampled frames 0 and 5 (stride 5); frame 5 has a result.
    jobId = randomUUID();
    await jobs.createPending({
      id: jobId,
      pipeline_id: 'ocr',
      input_key: objectKeys.inputKey(jobId),
      input_size: 1,
      input_sha256: '0'.repeat(64),
      frame_stride: 5,
      max_frames: null,
      retention_days: null,
    });
    await db.dataSource.query(`UPDATE jobs SET status = 'completed', started_at = now(), finished_at = now() WHERE id = $1`, [jobId]);
    frame = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 40, g: 60, b: 80 } } })
      .jpeg()
      .toBuffer();
    for (const i of [0, 5]) await store.put(objectKeys.frameKey(jobId, i), frame, { contentType: 'image/jpeg' });
    await results.upsertBatch([
      {
        job_id: jobId,
        frame_index: 5,
        pts_ms: 200,
        result: { read: { lines: [LINE] } },
        error: null,
        timings_ms: { read: 1 },
        worker_id: 'w',
        geometry: GEOMETRY,
      },
    ]);
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await s3?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = (route: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${route}`, { headers: { authorization: `Bearer ${KEY}`, ...headers } });

  async function pixelAt(jpeg: Buffer, x: number, y: number): Promise<number[]> {
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const at = (y * info.width + x) * info.channels;
    return Array.from(data.subarray(at, at + 3));
  }

  it('streams the stored frame as it is, with a strong ETag, immutable, and 304 for a matching If-None-Match', async () => {
    const res = await get(`/v1/jobs/${jobId}/frames/5`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/jpeg/);
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(Number(res.headers.get('content-length'))).toBe(frame.length);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(Buffer.from(await res.arrayBuffer()).equals(frame)).toBe(true);

    const again = await get(`/v1/jobs/${jobId}/frames/5`, { 'if-none-match': `"other", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    // Frame 0 (sampled, without a result) is served too.
    const zero = await get(`/v1/jobs/${jobId}/frames/0`);
    expect(zero.status).toBe(200);
    expect(Buffer.from(await zero.arrayBuffer()).equals(frame)).toBe(true);
  });

  it('annotates: the box of the result, scaled from source pixels to the frame, drawn over it', async () => {
    const res = await get(`/v1/jobs/${jobId}/frames/5?annotate=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/jpeg/);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"a-/);
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect(await sharp(jpeg).metadata()).toMatchObject({ width: W, height: H, format: 'jpeg' });
    const diff = async (x: number, y: number) => {
      const [before, after] = [await pixelAt(frame, x, y), await pixelAt(jpeg, x, y)];
      return Math.max(...after.map((v, i) => Math.abs(v - before[i]!)));
    };
    expect(await diff(200, 50)).toBeGreaterThan(40); // the top edge, at x = 200 of the frame
    expect(await diff(200, 80)).toBeGreaterThan(10); // inside: tinted
    expect(await diff(400, 200)).toBeLessThan(8); // where the source-pixel box would be if not scaled: untouched
    expect(await diff(20, 250)).toBeLessThan(8);
    expect((await get(`/v1/jobs/${jobId}/frames/5?annotate=true`, { 'if-none-match': etag })).status).toBe(304);
    expect((await get(`/v1/jobs/${jobId}/frames/5?annotate=0`)).headers.get('etag')).not.toBe(etag);
  });

  it('is a 404 problem for an unknown job, a frame that was not sampled, and a frame gone; a 400 for a bad index', async () => {
    const expect404 = async (route: string, detail: RegExp) => {
      const res = await get(route);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'NOT_FOUND', status: 404, detail: expect.stringMatching(detail) });
    };
    await expect404(`/v1/jobs/${randomUUID()}/frames/0`, /job .* not found/);
    await expect404(`/v1/jobs/not-a-job/frames/0`, /not found/);
    await expect404(`/v1/jobs/${jobId}/frames/3`, /frame 3 of job .* was not sampled/);
    for (const bad of ['abc', '-1', '1.5', '12345678901']) expect((await get(`/v1/jobs/${jobId}/frames/${bad}`)).status).toBe(400);
    expect((await get(`/v1/jobs/${jobId}/frames/5?annotate=yes`)).status).toBe(400);

    // Retention (or DELETE) removes the job's frames prefix: the frame is gone.
    expect(await store.deletePrefix(objectKeys.framesPrefix(jobId))).toBe(2);
    await expect404(`/v1/jobs/${jobId}/frames/5`, /frame 5 of job .* is no longer stored/);
    await expect404(`/v1/jobs/${jobId}/frames/5?annotate=1`, /no longer stored/);
  });

  it('asks for the API key like every /v1 route', async () => {
    const res = await fetch(`${base}/v1/jobs/${jobId}/frames/0`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
