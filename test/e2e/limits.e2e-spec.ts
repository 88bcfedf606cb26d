/**
 * Limits before work, end to end: a video over a cap is a 422 at submit (HTTP
 * and gRPC) when intake's probe shows it, with nothing stored or queued; when
 * only the extractor can see it (its own probe, or decoding), the job fails
 * with the cap's code, ffmpeg is stopped and the message is not retried.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { STREAMS, WORK_CONSUMERS } from '@framewire/contracts';
import { makeFixtureDir, makeFrameSizeBomb, makeVideo, removeFixtureDir } from '../support/fixtures';
import { failureOf, jobClient, submitFile } from '../support/grpc-client';
import { eventually, startSystem, type RunningApp, type TestSystem } from '../support/system';

jest.setTimeout(240_000);

interface Job {
  job_id: string;
  status: string;
  progress: { frames_done: number; frames_failed: number; frames_total: number | null };
  error: { code: string; message: string } | null;
}

const MAX_DURATION_MS = 10_000;
const MAX_FRAMES = 100;

describe('limits before work', () => {
  let sys: TestSystem;
  let fixtures: string;
  let bomb: string;
  let long: string;
  let many: string;
  let small: string;
  let streamed: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    bomb = await makeFrameSizeBomb(join(fixtures, 'bomb.mkv'));
    long = await makeVideo({ path: join(fixtures, 'long.mp4'), width: 64, height: 64, fps: 2, frames: 24 }); // 12 s
    many = await makeVideo({ path: join(fixtures, 'many.mp4'), width: 64, height: 64, fps: 30, frames: 150 });
    small = await makeVideo({ path: join(fixtures, 'small.mp4'), width: 64, height: 64, fps: 30, frames: 30 });
    streamed = await makeVideo({
      path: join(fixtures, 'streamed.mkv'),
      width: 64,
      height: 64,
      fps: 30,
      frames: 40,
      container: 'mkv',
      streamed: true,
    });
    sys = await startSystem({
      env: { FW_MAX_DURATION_MS: String(MAX_DURATION_MS), FW_MAX_FRAMES_PER_JOB: String(MAX_FRAMES), FW_RETRY_BASE_MS: '200' },
    });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function httpSubmit(path: string, fields: Record<string, string>, name = 'video.mp4') {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([await readFile(path)]), name);
    const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
  }

  const getJob = async (id: string): Promise<Job> => (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as Job;

  const finished = (id: string) =>
    eventually(
      async () => {
        const j = await getJob(id);
        return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
      },
      120_000,
      `job ${id} to finish`,
    );

  /** What a refused submit must leave untouched. */
  async function snapshot() {
    const inputs = await readdir(join(sys.dataDir, 'objects', 'inputs')).catch(() => []);
    const uploads = await readdir(join(sys.dataDir, 'uploads')).catch(() => []);
    const rows = (await sys.db.dataSource.query('SELECT count(*)::int AS n FROM jobs')) as Array<{ n: number }>;
    const extract = await withJsm((jsm) => jsm.streams.info(STREAMS.work, { subjects_filter: 'fw.work.extract' }));
    return { inputs: inputs.length, uploads: uploads.length, jobs: rows[0].n, extractSeq: extract.state.last_seq };
  }

  async function withJsm<T>(fn: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: sys.nats.url });
    try {
      return await fn(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  }

  /** Replace the running extractor by one with other limits than intake's. */
  async function restartExtractor(env: Record<string, string>): Promise<RunningApp> {
    for (const old of sys.apps.filter((a) => a.app === 'extractor' && a.proc.exitCode === null && a.proc.signalCode === null)) {
      old.proc.kill('SIGTERM');
      await old.exited;
    }
    return sys.start('extractor', env);
  }

  describe('refused at submit when the probe shows it: 422, nothing stored or queued', () => {
    it('the frame-size bomb (a small MKV of 1920x30000 frames) is VIDEO_TOO_LARGE over HTTP and gRPC', async () => {
      const before = await snapshot();
      const http = await httpSubmit(bomb, { pipeline_id: 'text_regions' }, 'bomb.mkv');
      expect(http.status).toBe(422);
      expect(http.type).toMatch(/application\/problem\+json/);
      expect(http.body).toMatchObject({
        status: 422,
        code: 'VIDEO_TOO_LARGE',
        detail: expect.stringMatching(/1920x30000 is 57600000 pixels, over this server's limit of 33177600/),
      });

      const client = jobClient(sys.grpcAddress);
      try {
        const grpc = await failureOf(submitFile(client, { pipelineId: 'text_regions', frameStride: 1 }, bomb));
        expect(grpc).toEqual({ code: status.INVALID_ARGUMENT, details: http.body.detail, fwCode: 'VIDEO_TOO_LARGE' });
      } finally {
        client.close();
      }
      expect(await snapshot()).toEqual(before);
    });

    it('a video longer than FW_MAX_DURATION_MS is VIDEO_TOO_LONG', async () => {
      const before = await snapshot();
      const res = await httpSubmit(long, { pipeline_id: 'text_regions', frame_stride: '24' });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'VIDEO_TOO_LONG', detail: expect.stringMatching(/00:00:12 .* limit of 00:00:10/) });
      expect(await snapshot()).toEqual(before);
    });

    it('a job that would sample more than FW_MAX_FRAMES_PER_JOB is TOO_MANY_FRAMES, naming a stride that fits', async () => {
      const before = await snapshot();
      const res = await httpSubmit(many, { pipeline_id: 'text_regions' });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({
        code: 'TOO_MANY_FRAMES',
        detail: expect.stringMatching(/would sample 150 frames .* limit of 100 per job .* frame_stride >= 2, or max_frames <= 100/),
      });
      expect(await snapshot()).toEqual(before);

      // The suggestion works (a large stride keeps the test cheap).
      const ok = await httpSubmit(many, { pipeline_id: 'text_regions', frame_stride: '75' });
      expect(ok.status).toBe(202);
      const job = await finished(ok.body.job_id as string);
      expect(job).toMatchObject({ status: 'completed', progress: { frames_done: 2, frames_total: 2 } });
    });
  });

  describe('failed jobs when only the extractor sees it; never retried', () => {
    afterAll(async () => {
      await restartExtractor({});
    });

    const extractDeliveries = async (): Promise<number> =>
      (await withJsm((jsm) => jsm.consumers.info(STREAMS.work, WORK_CONSUMERS.extract))).delivered.consumer_seq;

    /** Submit, wait for the job to end, and check its extract message was delivered once: termed, never retried nor dead-lettered. */
    async function runOnce(path: string, fields: Record<string, string>, name?: string): Promise<Job> {
      const deliveries = await extractDeliveries();
      const dlq = (await withJsm((jsm) => jsm.streams.info(STREAMS.dlq))).state.messages;
      const res = await httpSubmit(path, fields, name);
      expect(res.status).toBe(202);
      const job = await finished(res.body.job_id as string);
      await new Promise((r) => setTimeout(r, 1500)); // a nak would be redelivered well within this (FW_RETRY_BASE_MS 200)
      expect((await extractDeliveries()) - deliveries).toBe(1);
      const info = await withJsm((jsm) => jsm.consumers.info(STREAMS.work, WORK_CONSUMERS.extract));
      expect(info.num_ack_pending).toBe(0);
      expect((await withJsm((jsm) => jsm.streams.info(STREAMS.dlq))).state.messages).toBe(dlq);
      return job;
    }

    it("the extractor's own probe: frames over its FW_MAX_FRAME_PIXELS fail the job with VIDEO_TOO_LARGE", async () => {
      await restartExtractor({ FW_MAX_FRAME_PIXELS: String(64 * 64 - 1) });
      const job = await runOnce(small, { pipeline_id: 'text_regions', frame_stride: '10' });
      expect(job).toMatchObject({
        status: 'failed',
        error: { code: 'VIDEO_TOO_LARGE', message: expect.stringMatching(/64x64 is 4096 pixels, over this server's limit of 4095/) },
      });
    });

    it('a video whose probe tells no frame count fails with TOO_MANY_FRAMES when decoding finds one frame past the cap', async () => {
      await restartExtractor({ FW_MAX_FRAMES_PER_JOB: '10' });
      // Accepted: intake's probe gives no duration and no frame count.
      const job = await runOnce(streamed, { pipeline_id: 'text_regions' }, 'streamed.mkv');
      expect(job).toMatchObject({
        status: 'failed',
        error: { code: 'TOO_MANY_FRAMES', message: expect.stringMatching(/more than 10 frames to sample at frame_stride 1/) },
      });
    });

    it('a decode over FW_DECODE_TIMEOUT_MS is killed and the job fails with DECODE_TIMEOUT', async () => {
      const extractor = await restartExtractor({ FW_DECODE_TIMEOUT_MS: '1' });
      const job = await runOnce(small, { pipeline_id: 'text_regions' });
      expect(job).toMatchObject({
        status: 'failed',
        progress: { frames_done: 0 },
        error: { code: 'DECODE_TIMEOUT', message: expect.stringMatching(/decoding took longer than this server's limit of 1 ms/) },
      });
      expect(childProcesses(extractor.proc.pid as number)).toEqual([]);
      expect(sys.logsOf('extractor')).toMatch(/DECODE_TIMEOUT|decoding took longer/);
    });
  });
});

/** The commands of a process's live children (an ffmpeg left running would show here). */
function childProcesses(pid: number): string[] {
  try {
    return execFileSync('ps', ['-o', 'comm=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  } catch {
    return []; // ps exits 1 when there is none
  }
}
