/**
 * Admission control end to end: with a small FW_MAX_BACKLOG_S, a measured
 * inference rate and the inference app stopped while a long job waits,
 * every submit route (HTTP, legacy HTTP, gRPC) refuses with 429 /
 * RESOURCE_EXHAUSTED and a Retry-After, storing nothing; once inference is
 * back and the backlog has drained, submissions are accepted again. The
 * event streams (SSE and WatchJob together) are bounded by
 * FW_MAX_EVENT_STREAMS.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODE_METADATA_KEY, RETRY_AFTER_METADATA_KEY, type JobServiceClient } from '@framewire/grpc';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { parseExposition, sampleSum } from '../support/prometheus';
import { jobClient, submitFile } from '../support/grpc-client';
import { eventually, startSystem, type RunningApp, type TestSystem } from '../support/system';

jest.setTimeout(300_000);

const MAX_BACKLOG_S = 1;
const MAX_EVENT_STREAMS = 2;

interface JobBody {
  job_id: string;
  status: string;
  video: unknown;
}

describe('admission control', () => {
  let sys: TestSystem;
  let fixtures: string;
  let small: string;
  let warmup: string;
  let long: string;
  let grpc: JobServiceClient;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    [small, warmup, long] = await Promise.all([
      makeVideo({ path: join(fixtures, 'small.mp4'), width: 160, height: 120, fps: 30, frames: 10 }),
      makeVideo({ path: join(fixtures, 'warmup.mp4'), width: 160, height: 120, fps: 30, frames: 150 }),
      makeVideo({ path: join(fixtures, 'long.mp4'), width: 160, height: 120, fps: 30, frames: 450 }),
    ]);
    sys = await startSystem({
      env: {
        FW_MAX_BACKLOG_S: String(MAX_BACKLOG_S),
        FW_MAX_EVENT_STREAMS: String(MAX_EVENT_STREAMS),
        FW_HEARTBEAT_INTERVAL_MS: '300',
        FW_WORKER_TTL_MS: '3000',
      },
    });
    grpc = jobClient(sys.grpcAddress);
  });

  afterAll(async () => {
    grpc?.close();
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function post(path: string, video: string, route = '/v1/jobs'): Promise<Response> {
    const form = new FormData();
    form.append('pipeline_id', 'frame_stats');
    form.append('frame_stride', '1');
    form.append('file', new Blob([await readFile(video)]), path);
    return fetch(`${sys.baseUrl}${route}`, { method: 'POST', body: form });
  }

  async function job(id: string): Promise<JobBody> {
    return (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as JobBody;
  }

  async function jobCount(): Promise<number> {
    const page = (await (await fetch(`${sys.baseUrl}/v1/jobs?limit=1000`)).json()) as { items: unknown[] };
    return page.items.length;
  }

  /** Intake's admission gauges (sampled every 2 s). */
  async function admission(): Promise<{ queued: number; rate: number; refusing: number }> {
    const samples = parseExposition(await (await fetch(`${sys.baseUrl}/metrics`)).text());
    return {
      queued: sampleSum(samples, 'framewire_admission_frames_queued') ?? NaN,
      rate: sampleSum(samples, 'framewire_admission_frames_per_second') ?? NaN,
      refusing: sampleSum(samples, 'framewire_admission_refusing') ?? NaN,
    };
  }

  /** Poll the gauges until `ok`; a timeout names the last figures seen. */
  async function admissionUntil(ok: (a: Awaited<ReturnType<typeof admission>>) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const a = await admission();
      if (ok(a)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; admission: ${JSON.stringify(a)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const inference = (): RunningApp | undefined =>
    sys.apps.find((a) => a.app === 'inference' && a.proc.exitCode === null && a.proc.signalCode === null);

  let longJob: string;

  it('admits on a cold system, and measures the inference rate on the way', async () => {
    const res = await post('warmup.mp4', warmup);
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as JobBody;
    await eventually(async () => (await job(job_id)).status === 'completed', 120_000, 'the warm-up job to complete');
    // The rate is measured; the queue is seen empty again.
    await admissionUntil((a) => a.rate > 0 && a.queued === 0 && a.refusing === 0, 'a measured rate and an empty queue');
  });

  it('refuses every submit route with 429 and Retry-After while the backlog is over FW_MAX_BACKLOG_S, storing nothing', async () => {
    const app = inference();
    if (!app) throw new Error('no inference replica');
    app.proc.kill('SIGTERM');
    await app.exited;

    const res = await post('long.mp4', long);
    expect({ status: res.status, admission: await admission() }).toMatchObject({ status: 202 }); // nothing queued yet: admitted
    longJob = ((await res.json()) as JobBody).job_id;
    // Its extraction starts, then waits on the extractor's frames-in-flight bound (FW_JOB_FRAMES_IN_FLIGHT).
    await eventually(async () => (await job(longJob)).video !== null, 120_000, 'the long job to be probed by the extractor');
    // Intake samples the backlog every 2 s.
    await admissionUntil((a) => a.refusing === 1, 'admission control to refuse');

    const before = await jobCount();
    const refused = await post('small.mp4', small);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    const body = (await refused.json()) as { code: string; status: number; detail: string };
    expect(body).toMatchObject({ code: 'OVERLOADED', status: 429 });
    expect(body.detail).toMatch(/frames are queued/);

    // A client that asks before sending (Expect: 100-continue, as curl does for large uploads) is refused unsent.
    const early = await new Promise<{ status: number; retryAfter: string | undefined; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request(`${sys.baseUrl}/v1/jobs`, {
        method: 'POST',
        headers: {
          'content-type': 'multipart/form-data; boundary=fwboundary',
          'content-length': String(2 * 1024 ** 3),
          expect: '100-continue',
        },
      });
      req.on('continue', () => {
        continued = true;
        req.destroy();
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], continued });
        req.destroy();
      });
      req.on('error', (e) => (continued ? resolve({ status: 0, retryAfter: undefined, continued }) : reject(e)));
      req.flushHeaders();
    });
    expect(early).toMatchObject({ status: 429, continued: false });
    expect(Number(early.retryAfter)).toBeGreaterThanOrEqual(1);

    const legacy = await post('small.mp4', small, '/v1/video/submit');
    expect(legacy.status).toBe(429);
    expect(Number(legacy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await legacy.json()) as { detail: string }).detail).toMatch(/too busy/);

    const err = await submitFile(grpc, { pipelineId: 'frame_stats', frameStride: 1 }, small).then(
      () => null,
      (e: unknown) => e as ServiceError,
    );
    expect(err?.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(err?.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['OVERLOADED']);
    expect(Number(err?.metadata.get(RETRY_AFTER_METADATA_KEY)[0])).toBeGreaterThanOrEqual(1);

    expect(await jobCount()).toBe(before);
    expect(sys.logsOf('intake')).toMatch(/refusing new jobs/);
  });

  it('bounds the open event streams, SSE and WatchJob together', async () => {
    // The long job cannot finish while inference is down: its streams stay open.
    const sse = new AbortController();
    const first = await fetch(`${sys.baseUrl}/v1/jobs/${longJob}/events`, { signal: sse.signal });
    expect(first.status).toBe(200);
    const watch = grpc.watchJob({ jobId: longJob, fromStart: true }, new Metadata());
    const watchErrors: ServiceError[] = [];
    watch.on('error', (e: ServiceError) => watchErrors.push(e));
    await new Promise<void>((resolve) => watch.once('data', () => resolve()));

    const over = await fetch(`${sys.baseUrl}/v1/jobs/${longJob}/events`);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await over.json()) as { code: string; detail: string }).detail).toMatch(/too many open event streams/);

    const overGrpc = await new Promise<ServiceError>((resolve) => {
      const call = grpc.watchJob({ jobId: longJob, fromStart: true }, new Metadata());
      call.on('data', () => undefined);
      call.on('error', resolve);
    });
    expect(overGrpc.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(overGrpc.metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['OVERLOADED']);
    expect(overGrpc.details).toMatch(/too many open event streams/);

    // A stream that closes frees its slot.
    sse.abort();
    await eventually(
      async () => {
        const again = new AbortController();
        const r = await fetch(`${sys.baseUrl}/v1/jobs/${longJob}/events`, { signal: again.signal });
        again.abort();
        return r.status === 200;
      },
      10_000,
      'a slot to free up after an SSE client left',
    );
    watch.cancel();
    expect(watchErrors.every((e) => e.code === grpcStatus.CANCELLED)).toBe(true);
  });

  it('accepts again once inference is back and the backlog has drained', async () => {
    await sys.start('inference');
    await eventually(async () => (await job(longJob)).status === 'completed', 180_000, 'the long job to complete');
    const accepted = await eventually(
      async () => {
        const r = await post('small.mp4', small);
        if (r.status === 429) return null;
        return r;
      },
      30_000,
      'a submission to be admitted',
    );
    expect(accepted.status).toBe(202);
    expect(sys.logsOf('intake')).toMatch(/admitting new jobs/);
  });
});
