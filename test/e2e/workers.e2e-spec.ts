/**
 * Operations end to end: the worker registry (every replica of every stage
 * heart-beats into NATS KV; GET /v1/workers and gRPC ListWorkers list the live
 * ones, a killed one drops off within the TTL) and a job's metrics.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { apiKeyEntry, generateApiKey } from '@framewire/contracts';
import { unary, type JobServiceClient } from '@framewire/grpc';
import { describeDecoder } from '@framewire/media';
import { jobMetricsReportSchema, jobSchema, problemSchema, workerListSchema } from '../../apps/intake/src/http/schemas';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { failureOf, jobClient } from '../support/grpc-client';
import { eventually, startSystem, type AppName, type RunningApp, type TestSystem } from '../support/system';

jest.setTimeout(240_000);

const HEARTBEAT_MS = 500;
const TTL_MS = 2000;
const FRAMES = 30;
const STRIDE = 3;
const SAMPLED = FRAMES / STRIDE;
const VERSION = (JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

type WorkerList = ReturnType<typeof workerListSchema.parse>;

/** The worker id a replica logs on every line. */
function workerIdOf(app: RunningApp): string {
  const m = /"worker_id":"([^"]+)"/.exec(app.logs.join(''));
  if (!m) throw new Error(`${app.app} logged no worker_id`);
  return m[1];
}

describe('workers and job metrics', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;
  let grpc: JobServiceClient;
  const key = generateApiKey();
  const auth = { authorization: `Bearer ${key}` };

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({ path: join(fixtures, 'small.mp4'), width: 320, height: 240, fps: 30, frames: FRAMES });
    sys = await startSystem({
      replicas: { inference: 2 },
      env: { FW_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS), FW_WORKER_TTL_MS: String(TTL_MS), FW_API_KEYS: apiKeyEntry('e2e', key) },
    });
    grpc = jobClient(sys.grpcAddress, key);
  });

  afterAll(async () => {
    grpc?.close();
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function workers(query = ''): Promise<WorkerList> {
    const res = await fetch(`${sys.baseUrl}/v1/workers${query}`, { headers: auth });
    expect(res.status).toBe(200);
    return workerListSchema.strict().parse(await res.json());
  }

  const running = () => sys.apps.filter((a) => a.proc.exitCode === null && a.proc.signalCode === null);
  const expected = () => running().map((a) => ({ stage: a.app, worker_id: workerIdOf(a), pid: a.proc.pid }));

  async function submitAndFinish(): Promise<string> {
    const form = new FormData();
    form.append('pipeline_id', 'frame_stats');
    form.append('frame_stride', String(STRIDE));
    form.append('file', new Blob([await readFile(video)]), 'small.mp4');
    const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form, headers: auth });
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as { job_id: string };
    await eventually(
      async () => {
        const r = await fetch(`${sys.baseUrl}/v1/jobs/${job_id}`, { headers: auth });
        const j = (await r.json()) as { status: string };
        if (j.status === 'failed' || j.status === 'cancelled') throw new Error(`job ended ${JSON.stringify(j)}`);
        return j.status === 'completed';
      },
      120_000,
      'the job to complete',
    );
    return job_id;
  }

  it('lists every replica of every stage, with the worker id, pid and version each runs with', async () => {
    const want = expected();
    expect(want.map((w) => w.stage).sort()).toEqual(['extractor', 'inference', 'inference', 'intake', 'persister', 'status']);
    const decoder = await describeDecoder();
    const list = await eventually(
      async () => {
        const l = await workers();
        return l.items.length === want.length ? l : null;
      },
      10_000,
      'every replica in /v1/workers',
    );
    expect(list.items.map((w) => ({ stage: w.stage, worker_id: w.worker_id, pid: w.pid })).sort(byId)).toEqual([...want].sort(byId));
    expect(list.stages).toEqual({ intake: 1, extractor: 1, inference: 2, persister: 1, status: 1 });
    expect(list.ttl_ms).toBe(TTL_MS);
    // Sorted by stage in pipeline order.
    expect(list.items.map((w) => w.stage)).toEqual(['intake', 'extractor', 'inference', 'inference', 'persister', 'status']);
    for (const w of list.items) {
      expect(w.version).toBe(VERSION);
      expect(w.age_ms).toBeLessThanOrEqual(TTL_MS);
      expect(Date.parse(w.last_heartbeat)).toBeGreaterThanOrEqual(Date.parse(w.started_at));
      // The replicas that probe or decode say which ffmpeg they run: the one this process resolves too.
      if (w.stage === 'intake' || w.stage === 'extractor') {
        expect(w.decoder).toEqual({ source: decoder.source, path: decoder.path, version: expect.stringMatching(/\S/) });
        expect(w.decoder?.version).toBe(decoder.version);
      } else expect(w.decoder).toBeUndefined();
    }

    const inference = await workers('?stage=inference');
    expect(inference.items.map((w) => w.worker_id).sort()).toEqual(
      want
        .filter((w) => w.stage === 'inference')
        .map((w) => w.worker_id)
        .sort(),
    );

    const bad = await fetch(`${sys.baseUrl}/v1/workers?stage=gpu`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(problemSchema.parse(await bad.json()).code).toBe('INVALID_ARGUMENT');
    // Behind the API key like every /v1 route.
    expect((await fetch(`${sys.baseUrl}/v1/workers`)).status).toBe(401);
  });

  it('moves the figures when a job runs, and reports the job’s metrics', async () => {
    const jobId = await submitAndFinish();

    const list = await eventually(
      async () => {
        const l = await workers();
        const sum = (stage: AppName, f: 'frames_processed' | 'jobs_processed' | 'messages_handled') =>
          l.items.filter((w) => w.stage === stage).reduce((n, w) => n + w[f], 0);
        return sum('extractor', 'jobs_processed') >= 1 &&
          sum('inference', 'frames_processed') >= SAMPLED &&
          sum('persister', 'frames_processed') >= SAMPLED &&
          sum('status', 'messages_handled') >= 3
          ? l
          : null;
      },
      5 * HEARTBEAT_MS + 10_000,
      'the heartbeats to carry the job’s figures',
    );
    const inference = list.items.filter((w) => w.stage === 'inference');
    expect(inference.reduce((n, w) => n + w.jobs_processed, 0)).toBeGreaterThanOrEqual(1);
    for (const w of list.items) {
      expect(w.jobs_failed).toBe(0);
      expect(w.frames_failed).toBe(0);
    }

    // The job's metrics: on their own route, in the job view, over gRPC.
    const res = await fetch(`${sys.baseUrl}/v1/jobs/${jobId}/metrics`, { headers: auth });
    expect(res.status).toBe(200);
    const m = jobMetricsReportSchema.strict().parse(await res.json());
    expect(m).toMatchObject({
      job_id: jobId,
      status: 'completed',
      frame_count: SAMPLED,
      frames_done: SAMPLED,
      frames_failed: 0,
      error: null,
    });
    for (const v of [m.queue_ms, m.extraction_ms, m.processing_ms, m.end_to_end_ms]) {
      expect(v).not.toBeNull();
      expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(m.end_to_end_ms).toBe(m.queue_ms! + m.processing_ms!);
    expect(m.extraction_ms!).toBeLessThanOrEqual(m.processing_ms!);
    expect(m.frames_per_second).toBeGreaterThan(0);
    expect(m.frames_per_second).toBeCloseTo(SAMPLED / (m.processing_ms! / 1000), 2);

    // inference_ms is the sum of the stored frames' timings.
    const results = (await (await fetch(`${sys.baseUrl}/v1/jobs/${jobId}/results?limit=100`, { headers: auth })).json()) as {
      items: Array<{ timings_ms: Record<string, number> }>;
    };
    expect(results.items).toHaveLength(SAMPLED);
    const timings = results.items.reduce((n, r) => n + Object.values(r.timings_ms).reduce((a, b) => a + b, 0), 0);
    expect(timings).toBeGreaterThan(0);
    expect(m.inference_ms).toBeCloseTo(timings, 2);
    expect(m.mean_frame_ms).toBeCloseTo(m.inference_ms / SAMPLED, 2);

    const view = jobSchema.strict().parse(await (await fetch(`${sys.baseUrl}/v1/jobs/${jobId}`, { headers: auth })).json());
    const { job_id: _id, status: _status, ...metrics } = m;
    expect(view.metrics).toEqual(metrics);

    const job = await unary(grpc.getJob.bind(grpc), { jobId });
    expect(job.metrics).toMatchObject({
      inferenceMs: m.inference_ms,
      queueMs: m.queue_ms,
      processingMs: m.processing_ms,
      framesPerSecond: m.frames_per_second,
      frameCount: SAMPLED,
      framesDone: SAMPLED,
      framesFailed: 0,
    });
    expect(job.metrics?.errorCode).toBeUndefined();

    const unknown = await fetch(`${sys.baseUrl}/v1/jobs/00000000-0000-4000-8000-000000000000/metrics`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(problemSchema.parse(await unknown.json()).code).toBe('NOT_FOUND');
  });

  it('answers ListWorkers over gRPC with the same replicas', async () => {
    const want = expected();
    const all = await unary(grpc.listWorkers.bind(grpc), { stage: '' });
    expect(all.ttlMs).toBe(TTL_MS);
    expect(all.workers.map((w) => ({ stage: w.stage, worker_id: w.workerId, pid: w.pid })).sort(byId)).toEqual([...want].sort(byId));
    for (const w of all.workers) {
      expect(w.lastHeartbeat).toBeInstanceOf(Date);
      expect(w.version).toBe(VERSION);
    }
    const inference = await unary(grpc.listWorkers.bind(grpc), { stage: 'inference' });
    expect(inference.workers.map((w) => w.stage)).toEqual(['inference', 'inference']);
    expect(inference.workers.reduce((n, w) => n + w.framesProcessed, 0)).toBeGreaterThanOrEqual(SAMPLED);

    const bad = await failureOf(unary(grpc.listWorkers.bind(grpc), { stage: 'gpu' }));
    expect(bad).toMatchObject({ code: grpcStatus.INVALID_ARGUMENT, fwCode: 'INVALID_ARGUMENT' });
    const anonymous = jobClient(sys.grpcAddress);
    try {
      expect((await failureOf(unary(anonymous.listWorkers.bind(anonymous), { stage: '' }))).code).toBe(grpcStatus.UNAUTHENTICATED);
    } finally {
      anonymous.close();
    }
  });

  it('drops a replica killed with SIGKILL within the TTL, and one stopped gracefully at once', async () => {
    const [victim, survivor] = sys.apps.filter((a) => a.app === 'inference');
    const victimId = workerIdOf(victim);
    const survivorId = workerIdOf(survivor);
    expect((await workers('?stage=inference')).items.map((w) => w.worker_id)).toContain(victimId);

    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    await victim.exited;
    await eventually(
      async () => !(await workers('?stage=inference')).items.some((w) => w.worker_id === victimId),
      TTL_MS + 3000,
      `${victimId} to drop off /v1/workers`,
    );
    const gone = Date.now() - killedAt;
    // Its last heartbeat was at most one interval before the kill; readers drop it at TTL after that heartbeat.
    expect(gone).toBeLessThanOrEqual(TTL_MS + HEARTBEAT_MS + 1500);
    const after = await workers();
    expect(after.stages.inference).toBe(1);
    expect(after.items.map((w) => w.worker_id)).toContain(survivorId);

    // A graceful stop deletes the entry on the way out: no wait for the TTL.
    const extra = await sys.start('extractor');
    const extraId = workerIdOf(extra);
    await eventually(async () => (await workers('?stage=extractor')).items.some((w) => w.worker_id === extraId), 5000, 'the new replica');
    extra.proc.kill('SIGTERM');
    expect(await extra.exited).toEqual({ code: 0, signal: null });
    expect(extra.logs.join('')).toMatch(/left the worker registry/);
    expect((await workers('?stage=extractor')).items.map((w) => w.worker_id)).not.toContain(extraId);
  });
});

function byId(a: { worker_id: string }, b: { worker_id: string }): number {
  return a.worker_id < b.worker_id ? -1 : a.worker_id > b.worker_id ? 1 : 0;
}
