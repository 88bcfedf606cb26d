/**
 * The gRPC API end to end, with API keys on: every JobService method driven by
 * the generated client against the five services running as processes, the
 * same validation and messages as HTTP, health checking and reflection.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { JobStatus, unary, type JobEvent, type JobServiceClient, type SubmitParams } from '@framewire/grpc';
import { apiKeyEntry, generateApiKey } from '@framewire/contracts';
import { makeFixtureDir, makeTextFile, makeVideo, removeFixtureDir } from '../support/fixtures';
import { failureOf, healthCheck, jobClient, reflect, submitFile, submitMessages, watchAll } from '../support/grpc-client';
import { eventually, startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

const FRAMES = 24;
const MAX_UPLOAD = 1_000_000;
const MISSING = '00000000-0000-4000-8000-000000000000';

describe('gRPC API', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;
  let client: JobServiceClient;
  const key = generateApiKey();

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({
      path: join(fixtures, 'text.mp4'),
      width: 320,
      height: 240,
      frames: FRAMES,
      texts: [{ text: 'GRPC 7', fromFrame: 6, toFrame: 13, x: 30, y: 80, fontSize: 40 }],
    });
    sys = await startSystem({
      env: {
        FW_API_KEYS: `${apiKeyEntry('e2e', key)},other:${'0'.repeat(64)}`,
        FW_MAX_UPLOAD_BYTES: String(MAX_UPLOAD),
        // Temporal reuse as shipped (the test system turns it off by default).
        FW_REUSE_THRESHOLD: '2',
      },
    });
    client = jobClient(sys.grpcAddress, key);
  });

  afterAll(async () => {
    client?.close();
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function http(path: string, init: RequestInit = {}, withKey = true) {
    const headers = new Headers(init.headers);
    if (withKey) headers.set('authorization', `Bearer ${key}`);
    const res = await fetch(`${sys.baseUrl}${path}`, { ...init, headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  async function httpSubmit(fields: Record<string, string>, path: string) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([await readFile(path)]), 'upload.mp4');
    return http('/v1/jobs', { method: 'POST', body: form });
  }

  async function jobCount(): Promise<number> {
    const rows: Array<{ n: number }> = await sys.db.dataSource.query('SELECT count(*)::int AS n FROM jobs');
    return rows[0].n;
  }

  it('answers health checks and serves reflection without a key', async () => {
    expect(await healthCheck(sys.grpcAddress, '')).toBe('SERVING');
    expect(await healthCheck(sys.grpcAddress, 'framewire.v1.JobService')).toBe('SERVING');
    const { services, descriptors } = await reflect(sys.grpcAddress, 'framewire.v1.JobService');
    expect(services).toEqual(expect.arrayContaining(['framewire.v1.JobService', 'grpc.health.v1.Health']));
    expect(Buffer.concat(descriptors).toString('latin1')).toContain('WatchJob');
  });

  it('refuses a missing or wrong key with UNAUTHENTICATED (gRPC) and 401 (HTTP), saying nothing else', async () => {
    const anonymous = jobClient(sys.grpcAddress);
    const wrong = jobClient(sys.grpcAddress, generateApiKey());
    try {
      const none = await failureOf(unary(anonymous.getJob.bind(anonymous), { jobId: MISSING }));
      const bad = await failureOf(unary(wrong.listPipelines.bind(wrong), {}));
      expect(none).toEqual({
        code: status.UNAUTHENTICATED,
        details: expect.stringMatching(/valid API key is required/),
        fwCode: 'UNAUTHENTICATED',
      });
      expect(bad).toEqual(none);
    } finally {
      anonymous.close();
      wrong.close();
    }
    const noKey = await http('/v1/jobs', {}, false);
    const badKey = await http('/v1/jobs', { headers: { 'x-api-key': 'fw_wrong' } }, false);
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(noKey.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(badKey.body).toEqual(noKey.body);
    expect((await http('/v1/jobs', { headers: { 'x-api-key': key } }, false)).status).toBe(200);
    for (const open of ['/healthz', '/readyz', '/openapi.json']) expect((await http(open, {}, false)).status).toBe(200);
  });

  it('uploads a real video in chunks, streams its events to completion, and pages through the results', async () => {
    const job = await submitFile(client, { pipelineId: 'text_regions', frameStride: 3, clientTag: 'grpc-e2e' }, video, 16 * 1024);
    expect(job).toMatchObject({ status: JobStatus.JOB_STATUS_PENDING, pipelineId: 'text_regions', frameStride: 3, clientTag: 'grpc-e2e' });
    expect(job.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.inputSize).toBe((await readFile(video)).length);

    const events = await watchAll(client, { jobId: job.jobId, fromStart: true });
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('submitted');
    expect(types.at(-1)).toBe('completed');
    expect(types).toEqual(expect.arrayContaining(['extracting', 'extracted', 'frames']));
    expect(new Set(types.slice(0, -1)).has('completed')).toBe(false);
    const sequences = events.map((e) => e.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(new Set(sequences).size).toBe(sequences.length);
    const completed = events.at(-1)!;
    expect(completed.detail).toEqual({
      $case: 'completed',
      completed: expect.objectContaining({ framesTotal: FRAMES / 3, framesDone: FRAMES / 3, framesFailed: 0 }),
    });
    expect(completed.payload).toMatchObject({ v: 1, type: 'completed', job_id: job.jobId });
    const frames = events.filter((e) => e.detail?.$case === 'frames').at(-1)!;
    expect(frames.detail).toEqual({ $case: 'frames', frames: { framesDone: FRAMES / 3, framesFailed: 0, framesTotal: FRAMES / 3 } });

    // Resuming after the second event gives exactly the rest.
    expect(await watchAll(client, { jobId: job.jobId, afterSequence: sequences[1] })).toEqual(events.slice(2));
    // Live only on a finished job: nothing to wait for.
    expect(await watchAll(client, { jobId: job.jobId, fromStart: false })).toEqual([]);

    const got = await unary(client.getJob.bind(client), { jobId: job.jobId });
    expect(got).toMatchObject({ status: JobStatus.JOB_STATUS_COMPLETED, framesTotal: 8, framesDone: 8, framesFailed: 0, progress: 1 });
    expect(got.video).toMatchObject({ width: 320, height: 240, codec: 'h264' });
    expect(got.finishedAt).toBeInstanceOf(Date);

    const pages: number[][] = [];
    const items = [];
    let cursor = '';
    do {
      const page = await unary(client.listResults.bind(client), { jobId: job.jobId, limit: 3, cursor });
      expect(page.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
      pages.push(page.results.map((r) => r.frameIndex));
      items.push(...page.results);
      cursor = page.nextCursor;
    } while (cursor !== '');
    expect(pages).toEqual([
      [0, 3, 6],
      [9, 12, 15],
      [18, 21],
    ]);
    const viaHttp = (await http(`/v1/jobs/${job.jobId}/results?limit=100`)).body as {
      items: Array<{ frame_index: number; result: unknown }>;
    };
    expect(items.map((r) => ({ frame_index: r.frameIndex, result: r.result ?? null }))).toEqual(
      viaHttp.items.map((r) => ({ frame_index: r.frame_index, result: r.result })),
    );
    // Typed: every frame's `detect` output is a TextRegions message, field for field the JSON HTTP answers.
    const typed = items.map((r) => {
      const out = r.outputs.detect?.value;
      if (out?.$case !== 'textRegions') throw new Error(`frame ${r.frameIndex}: detect is ${out?.$case}, not textRegions`);
      return out.textRegions.regions;
    });
    expect(items.filter((_, i) => typed[i].length > 0).map((r) => r.frameIndex)).toEqual([6, 9, 12]);
    const json = viaHttp.items.map(
      (r) => (r.result as { detect: { regions: Array<{ bbox: unknown; polygon: number[][]; score: number }> } }).detect.regions,
    );
    expect(
      typed.map((regions) => regions.map((g) => ({ bbox: g.bbox, polygon: g.polygon.map((p) => [p.x, p.y]), score: g.score }))),
    ).toEqual(json.map((regions) => regions.map((g) => ({ bbox: g.bbox, polygon: g.polygon, score: g.score }))));
    // The normalised forms ride along: the 320×240 source's pixels divided by its size.
    const [first] = typed[2];
    expect(first.bbox!.width).toBeGreaterThan(0);
    expect(first.polygonNorm).toHaveLength(first.polygon.length);
    expect(first.bboxNorm!.x).toBeCloseTo(first.bbox!.x / 320, 3);
    expect(first.bboxNorm!.height).toBeCloseTo(first.bbox!.height / 240, 3);

    const listed = await unary(client.listJobs.bind(client), { status: JobStatus.JOB_STATUS_COMPLETED, limit: 10, cursor: '' });
    expect(listed.jobs.map((j) => j.jobId)).toContain(job.jobId);
    expect(listed.jobs.every((j) => j.status === JobStatus.JOB_STATUS_COMPLETED)).toBe(true);

    // Temporal reuse: a sampled frame that looks like the last computed one (blank after blank, the same text after it)
    // went straight from the extractor to the persister and carries that frame's result, saying which.
    expect(items.map((r) => r.reusedFrom ?? null)).toEqual([null, 0, null, 6, 6, null, 15, 15]);
    for (const r of items) if (r.reusedFrom !== undefined) expect(r.timingsMs).toEqual({});
    expect(got.reuse).toBe(true);
    const extracted = events.find((e) => e.detail?.$case === 'extracted')!;
    expect(extracted.detail).toEqual({ $case: 'extracted', extracted: { framesTotal: 8, framesDecoded: 24, framesReused: 5 } });
    expect(got.metrics?.framesReused).toBe(5);
  });

  it('reuse: false runs the models on every sampled frame', async () => {
    const job = await submitFile(client, { pipelineId: 'text_regions', frameStride: 3, reuse: false }, video, 64 * 1024);
    expect(job.reuse).toBe(false);
    expect((await watchAll(client, { jobId: job.jobId, fromStart: true })).at(-1)?.type).toBe('completed');
    const page = await unary(client.listResults.bind(client), { jobId: job.jobId, limit: 100, cursor: '' });
    expect(page.results.map((r) => r.reusedFrom ?? null)).toEqual(Array(8).fill(null));
    expect(page.results.every((r) => r.timingsMs.detect !== undefined)).toBe(true);
    expect((await http(`/v1/jobs/${job.jobId}`)).body).toMatchObject({ params: { reuse: false }, metrics: { frames_reused: 0 } });
  });

  it('samples by time over a range: the job, its submitted event and its results show what was asked', async () => {
    // 24 frames at 30 fps; 10 fps from 100 ms to 700 ms: 100, 200, … 600 ms, frames 3, 6, … 18.
    const job = await submitFile(client, { pipelineId: 'text_regions', sampleFps: 10, startMs: 100, endMs: 700 }, video);
    expect(job).toMatchObject({ frameStride: 1, sampleFps: 10, startMs: 100, endMs: 700 });
    const events = await watchAll(client, { jobId: job.jobId, fromStart: true });
    expect(events[0].detail).toEqual({
      $case: 'submitted',
      submitted: expect.objectContaining({ sampleFps: 10, startMs: 100, endMs: 700 }),
    });
    expect(events.at(-1)!.type).toBe('completed');
    const page = await unary(client.listResults.bind(client), { jobId: job.jobId, limit: 100, cursor: '' });
    expect(page.results.map((r) => [r.frameIndex, Math.round(r.ptsMs)])).toEqual([3, 6, 9, 12, 15, 18].map((i) => [i, (i * 100) / 3]));
    const viaHttp = (await http(`/v1/jobs/${job.jobId}`)).body as { params: Record<string, unknown> };
    expect(viaHttp.params).toMatchObject({ frame_stride: 1, sample_fps: 10, start_ms: 100, end_ms: 700 });
  });

  it('samples keyframes: the results are the keyframes, at their index in the whole video', async () => {
    const gop = await makeVideo({ path: join(fixtures, 'gop.mp4'), width: 320, height: 240, frames: 60, gop: 20 });
    const job = await submitFile(client, { pipelineId: 'frame_stats', sample: 'keyframes' }, gop);
    expect(job).toMatchObject({ frameStride: 1, sample: 'keyframes' });
    const events = await watchAll(client, { jobId: job.jobId, fromStart: true });
    expect(events[0].detail).toEqual({ $case: 'submitted', submitted: expect.objectContaining({ sample: 'keyframes' }) });
    expect(events.at(-1)!.type).toBe('completed');
    const page = await unary(client.listResults.bind(client), { jobId: job.jobId, limit: 100, cursor: '' });
    expect(page.results.map((r) => [r.frameIndex, Math.round(r.ptsMs)])).toEqual([0, 20, 40].map((i) => [i, Math.round((i * 1000) / 30)]));
    const viaHttp = (await http(`/v1/jobs/${job.jobId}`)).body as { params: Record<string, unknown> };
    expect(viaHttp.params).toMatchObject({ frame_stride: 1, sample: 'keyframes', sample_fps: null });
  });

  describe('refuses bad uploads with the HTTP messages, storing nothing', () => {
    let notVideo: string;
    let tooLarge: string;

    beforeAll(async () => {
      notVideo = await makeTextFile(join(fixtures, 'notes.mp4'));
      const bytes = await readFile(video);
      tooLarge = join(fixtures, 'large.mp4');
      await writeFile(tooLarge, Buffer.concat([bytes, Buffer.alloc(MAX_UPLOAD + 1 - bytes.length + 10, 7)]));
    });

    it.each([
      ['a text file', { pipelineId: 'text_regions' }, 'notVideo', status.INVALID_ARGUMENT, 'UNSUPPORTED_MEDIA', 415],
      ['an unknown pipeline', { pipelineId: 'no_such_pipeline' }, 'video', status.INVALID_ARGUMENT, 'UNKNOWN_PIPELINE', 422],
      ['a missing pipeline id', {}, 'video', status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 400],
      ['max_frames 0', { pipelineId: 'text_regions', maxFrames: 0 }, 'video', status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 400],
      ['a file over the limit', { pipelineId: 'text_regions' }, 'tooLarge', status.RESOURCE_EXHAUSTED, 'PAYLOAD_TOO_LARGE', 413],
      [
        'sample_fps with a stride',
        { pipelineId: 'text_regions', frameStride: 5, sampleFps: 2 },
        'video',
        status.INVALID_ARGUMENT,
        'INVALID_ARGUMENT',
        400,
      ],
      [
        'sample=keyframes with a stride',
        { pipelineId: 'text_regions', frameStride: 5, sample: 'keyframes' },
        'video',
        status.INVALID_ARGUMENT,
        'INVALID_ARGUMENT',
        400,
      ],
      [
        'an end before the start',
        { pipelineId: 'text_regions', startMs: 500, endMs: 400 },
        'video',
        status.INVALID_ARGUMENT,
        'INVALID_ARGUMENT',
        400,
      ],
      [
        'a start past the end of the video',
        { pipelineId: 'text_regions', startMs: 5000 },
        'video',
        status.INVALID_ARGUMENT,
        'RANGE_OUTSIDE_VIDEO',
        422,
      ],
    ])('%s', async (_name, params: Partial<SubmitParams>, which, code, fwCode, httpStatus) => {
      const path = { video, notVideo, tooLarge }[which]!;
      const before = await jobCount();
      const failure = await failureOf(submitFile(client, params, path));
      const fields: Record<string, string> = {};
      if (params.pipelineId !== undefined) fields.pipeline_id = params.pipelineId;
      if (params.maxFrames !== undefined) fields.max_frames = String(params.maxFrames);
      if (params.frameStride !== undefined) fields.frame_stride = String(params.frameStride);
      if (params.sampleFps !== undefined) fields.sample_fps = String(params.sampleFps);
      if (params.startMs !== undefined) fields.start_ms = String(params.startMs);
      if (params.sample !== undefined) fields.sample = params.sample;
      if (params.endMs !== undefined) fields.end_ms = String(params.endMs);
      const viaHttp = await httpSubmit(fields, path);
      expect(viaHttp.status).toBe(httpStatus);
      expect(failure).toEqual({ code, details: viaHttp.body!.detail, fwCode });
      expect(await jobCount()).toBe(before);
    });

    it('a client that gives up mid-upload leaves nothing behind', async () => {
      const before = await jobCount();
      const call = client.submitJob(() => undefined);
      call.write({ part: { $case: 'params', params: { pipelineId: 'text_regions', frameStride: 1 } } });
      call.write({ part: { $case: 'chunk', chunk: (await readFile(video)).subarray(0, 4096) } });
      await new Promise((r) => setTimeout(r, 300));
      call.cancel();
      await eventually(async () => (await readdir(join(sys.dataDir, 'uploads'))).length === 0, 5000, 'the partial upload to be removed');
      expect(await jobCount()).toBe(before);
    });

    it('chunks before the params, and params twice', async () => {
      const chunk = { part: { $case: 'chunk' as const, chunk: Buffer.from('abc') } };
      const params = { part: { $case: 'params' as const, params: { pipelineId: 'text_regions', frameStride: 1 } } };
      expect(await failureOf(submitMessages(client, [chunk]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/first message must carry params/),
      });
      expect(await failureOf(submitMessages(client, [params, chunk, params]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/params must come once/),
      });
      expect(await failureOf(submitMessages(client, [params]))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/missing file/),
      });
    });
  });

  it('maps unknown jobs and bad queries to NOT_FOUND and INVALID_ARGUMENT with the HTTP messages', async () => {
    const missing = await failureOf(unary(client.getJob.bind(client), { jobId: MISSING }));
    expect(missing).toEqual({ code: status.NOT_FOUND, details: (await http(`/v1/jobs/${MISSING}`)).body!.detail, fwCode: 'NOT_FOUND' });
    const badCursor = await failureOf(unary(client.listResults.bind(client), { jobId: MISSING, limit: 0, cursor: 'abc' }));
    expect(badCursor).toEqual({
      code: status.INVALID_ARGUMENT,
      details: (await http(`/v1/jobs/${MISSING}/results?cursor=abc`)).body!.detail,
      fwCode: 'INVALID_ARGUMENT',
    });
    expect(await failureOf(watchAll(client, { jobId: MISSING, fromStart: true }))).toMatchObject({ code: status.NOT_FOUND });
  });

  it('cancels a running job, and refuses to cancel a finished one; deletes only a finished job', async () => {
    const long = await makeVideo({ path: join(fixtures, 'long.mp4'), width: 320, height: 240, frames: 90 });
    const job = await submitFile(client, { pipelineId: 'text_regions', frameStride: 1, retentionDays: 3 }, long);
    expect(job.retentionDays).toBe(3);
    expect(await failureOf(unary(client.deleteJob.bind(client), { jobId: job.jobId }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      fwCode: 'CONFLICT',
      details: expect.stringMatching(/cancel it first/),
    });
    const cancelled = await unary(client.cancelJob.bind(client), { jobId: job.jobId, reason: 'changed my mind' });
    expect(cancelled).toMatchObject({ jobId: job.jobId, status: JobStatus.JOB_STATUS_CANCELLED });
    const events: JobEvent[] = await watchAll(client, { jobId: job.jobId, fromStart: true });
    expect(events.at(-1)?.detail).toEqual({ $case: 'cancelled', cancelled: { reason: 'changed my mind' } });

    await eventually(
      async () => (await unary(client.getJob.bind(client), { jobId: job.jobId })).status === JobStatus.JOB_STATUS_CANCELLED,
      10_000,
      'the job to read as cancelled',
    );
    const again = await failureOf(unary(client.cancelJob.bind(client), { jobId: job.jobId }));
    expect(again).toMatchObject({
      code: status.FAILED_PRECONDITION,
      fwCode: 'CONFLICT',
      details: expect.stringMatching(/already cancelled/),
    });
    expect(await failureOf(unary(client.cancelJob.bind(client), { jobId: MISSING }))).toMatchObject({ code: status.NOT_FOUND });

    expect(await unary(client.deleteJob.bind(client), { jobId: job.jobId })).toEqual({ jobId: job.jobId });
    expect(await failureOf(unary(client.getJob.bind(client), { jobId: job.jobId }))).toMatchObject({ code: status.NOT_FOUND });
    expect(await failureOf(unary(client.deleteJob.bind(client), { jobId: job.jobId }))).toMatchObject({ code: status.NOT_FOUND });
  });

  it('lists the pipelines: the definitions intake and inference load', async () => {
    const { pipelines } = await unary(client.listPipelines.bind(client), {});
    const dir = join(__dirname, '..', '..', 'libs', 'pipelines', 'definitions');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    const definitions = await Promise.all(
      files.map(
        async (f) =>
          JSON.parse(await readFile(join(dir, f), 'utf8')) as {
            id: string;
            version: string;
            nodes: Array<{ id: string; plugin: string; tool: string }>;
            outputs: string[];
          },
      ),
    );
    expect(pipelines.map((p) => p.id).sort()).toEqual(definitions.map((d) => d.id).sort());
    for (const d of definitions) {
      expect(pipelines.find((p) => p.id === d.id)).toMatchObject({
        version: d.version,
        nodes: d.nodes.map((n) => ({ id: n.id, plugin: n.plugin, tool: n.tool })),
        outputs: d.outputs,
      });
    }
  });
});
