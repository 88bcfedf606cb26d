/**
 * Nothing lost, nothing doubled: the worker lifecycle under crashes, graceful
 * shutdowns, a broker restart, cancellation, repeated submissions and bad
 * input, with every app running as its own process.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { makeFixtureDir, makeVideo, removeFixtureDir, type MakeVideoOptions } from '../support/fixtures';
import { eventually, startSystem, type RunningApp, type TestSystem } from '../support/system';

jest.setTimeout(240_000);

interface Job {
  job_id: string;
  status: string;
  progress: { frames_done: number; frames_failed: number; frames_total: number | null };
  error: { code: string; message: string } | null;
}

describe('faults: crashes, shutdowns, outages, cancellation, idempotency, bad input', () => {
  let sys: TestSystem;
  let fixtures: string;
  let small: string;
  let long: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    small = await makeVideo({
      path: join(fixtures, 'small.mp4'),
      width: 320,
      height: 240,
      frames: 40,
      texts: [{ text: 'SMALL 1', fromFrame: 0, toFrame: 39, x: 20, y: 40, fontSize: 36 }],
    });
    // Long enough to act on while it runs: 90 sampled frames at stride 2.
    long = await makeVideo({
      path: join(fixtures, 'long.mp4'),
      width: 640,
      height: 360,
      frames: 180,
      texts: [{ text: 'LONG 42', fromFrame: 0, toFrame: 179, x: 40, y: 60, fontSize: 48 }],
    });
    sys = await startSystem({
      replicas: { inference: 2 },
      env: {
        FW_ACK_WAIT_MS: '3000',
        FW_RETRY_BASE_MS: '200',
        FW_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024),
        FW_SHUTDOWN_TIMEOUT_MS: '5000',
        FW_JOB_FRAMES_IN_FLIGHT: '24',
        FW_MAX_FRAMES_PER_JOB: '500',
      },
    });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function submit(path: string, fields: Record<string, string>, hdrs: Record<string, string> = {}, name = 'video.mp4') {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([await readFile(path)]), name);
    const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form, headers: hdrs });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function getJob(id: string): Promise<Job> {
    return (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as Job;
  }

  const until = (id: string, pred: (j: Job) => boolean, what: string, ms = 120_000) =>
    eventually(
      async () => {
        const j = await getJob(id);
        return pred(j) ? j : undefined;
      },
      ms,
      what,
    );

  const finished = (id: string) => until(id, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), `job ${id} to finish`);

  async function rows(id: string): Promise<{ total: number; distinct: number; indices: number[] }> {
    const r = (await sys.db.dataSource.query(
      'SELECT count(*)::int AS total, count(DISTINCT frame_index)::int AS distinct, array_agg(frame_index ORDER BY frame_index) AS indices FROM frame_results WHERE job_id = $1',
      [id],
    )) as Array<{ total: number; distinct: number; indices: number[] | null }>;
    return { total: r[0].total, distinct: r[0].distinct, indices: r[0].indices ?? [] };
  }

  function replicas(app: string): RunningApp[] {
    return sys.apps.filter((a) => a.app === app && a.proc.exitCode === null && a.proc.signalCode === null);
  }

  const range = (n: number, stride: number) => Array.from({ length: n }, (_, k) => k * stride);

  it('SIGKILL of an inference replica mid-job loses no frame and doubles none', async () => {
    const { body } = await submit(long, { pipeline_id: 'text_regions', frame_stride: '2' });
    const id = body.job_id as string;
    await until(id, (j) => j.progress.frames_done >= 5, 'some frames done');
    const victim = replicas('inference')[0];
    victim.proc.kill('SIGKILL');
    await victim.exited;
    await sys.start('inference');
    const job = await finished(id);
    expect(job.status).toBe('completed');
    expect(job.progress).toMatchObject({ frames_done: 90, frames_failed: 0, frames_total: 90 });
    expect(await rows(id)).toEqual({ total: 90, distinct: 90, indices: range(90, 2) });
  });

  it('SIGKILL of the extractor mid-decode: the job is extracted again elsewhere, exactly once in the results', async () => {
    const { body } = await submit(long, { pipeline_id: 'text_regions', frame_stride: '3' });
    const id = body.job_id as string;
    const victim = replicas('extractor')[0];
    victim.proc.kill('SIGKILL');
    await victim.exited;
    await sys.start('extractor');
    const job = await finished(id);
    expect(job.status).toBe('completed');
    expect(await rows(id)).toEqual({ total: 60, distinct: 60, indices: range(60, 3) });
  });

  it('SIGTERM stops a replica gracefully (exit 0, in bounded time) and its work is finished by the others', async () => {
    const { body } = await submit(long, { pipeline_id: 'text_regions', frame_stride: '4' });
    const id = body.job_id as string;
    await until(id, (j) => j.progress.frames_done >= 3, 'some frames done');
    const victim = replicas('inference')[0];
    const t0 = Date.now();
    victim.proc.kill('SIGTERM');
    const exit = await victim.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(15_000);
    await sys.start('inference');
    const job = await finished(id);
    expect(job.status).toBe('completed');
    expect(await rows(id)).toEqual({ total: 45, distinct: 45, indices: range(45, 4) });
  });

  it('a NATS restart in the middle of a job delays it but loses nothing', async () => {
    const { body } = await submit(long, { pipeline_id: 'text_regions', frame_stride: '5' });
    const id = body.job_id as string;
    await until(id, (j) => j.progress.frames_done >= 3, 'some frames done');
    await sys.nats.restart(1000);
    const job = await finished(id);
    expect(job.status).toBe('completed');
    expect(await rows(id)).toEqual({ total: 36, distinct: 36, indices: range(36, 5) });
    // And the system still takes new work.
    const next = await submit(small, { pipeline_id: 'text_regions', frame_stride: '10' });
    expect(next.status).toBe(202);
    expect((await finished(next.body.job_id as string)).status).toBe('completed');
  });

  it('cancels a running job: every stage stops spending work on it; finished jobs answer 409', async () => {
    const { body } = await submit(long, { pipeline_id: 'text_regions', frame_stride: '1' });
    const id = body.job_id as string;
    await until(id, (j) => j.progress.frames_done >= 3, 'some frames done');
    const res = await fetch(`${sys.baseUrl}/v1/jobs/${id}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"reason":"test"}',
    });
    expect(res.status).toBe(202);
    // The answer is the row the projection wrote, not intake's word for it: a read right after agrees.
    expect(((await res.json()) as { status: string }).status).toBe('cancelled');
    const job = (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as { status: string };
    expect(job.status).toBe('cancelled');
    // Work stops: the rows stop growing well short of the 180 frames.
    const a = await rows(id);
    await new Promise((r) => setTimeout(r, 2000));
    const b = await rows(id);
    expect(b.total).toBe(a.total);
    expect(b.total).toBeLessThan(180);
    // DELETE no longer cancels: a cancelled job is finished, so it is deleted, with its results.
    const removed = await fetch(`${sys.baseUrl}/v1/jobs/${id}`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).status).toBe(404);
    expect((await rows(id)).total).toBe(0);
    expect((await fetch(`${sys.baseUrl}/v1/jobs/${id}`, { method: 'DELETE' })).status).toBe(404);

    const done = await submit(small, { pipeline_id: 'text_regions', frame_stride: '20' });
    await finished(done.body.job_id as string);
    const late = await fetch(`${sys.baseUrl}/v1/jobs/${done.body.job_id as string}/cancel`, { method: 'POST' });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({
      code: 'CONFLICT',
      detail: expect.stringMatching(/already completed; only pending or running jobs can be cancelled/),
    });
    expect((await fetch(`${sys.baseUrl}/v1/jobs/${randomUUID()}/cancel`, { method: 'POST' })).status).toBe(404);
  });

  it('an Idempotency-Key returns the same job for the same request, and a 409 for a different one', async () => {
    const key = `k-${randomUUID()}`;
    const a = await submit(small, { pipeline_id: 'text_regions', frame_stride: '10' }, { 'idempotency-key': key });
    const b = await submit(small, { pipeline_id: 'text_regions', frame_stride: '10' }, { 'idempotency-key': key });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.job_id).toBe(a.body.job_id);
    const c = await submit(small, { pipeline_id: 'text_regions', frame_stride: '5' }, { 'idempotency-key': key });
    expect(c.status).toBe(409);
    expect(c.body).toMatchObject({ code: 'CONFLICT', detail: expect.stringMatching(/differs in: frame_stride/) });
    const n = (await sys.db.dataSource.query('SELECT count(*)::int AS n FROM jobs WHERE idempotency_key = $1', [key])) as Array<{
      n: number;
    }>;
    expect(n[0].n).toBe(1);
    await finished(a.body.job_id as string);
  });

  it('a huge job cannot starve a small one: frames in flight are bounded per job', async () => {
    const hugeVideo = await makeVideo({ path: join(fixtures, 'huge.mp4'), width: 320, height: 240, frames: 180 });
    const huge = await submit(hugeVideo, { pipeline_id: 'text_regions', frame_stride: '1' });
    const hugeId = huge.body.job_id as string;
    await until(hugeId, (j) => j.status === 'running', 'the huge job to start');
    const smallJob = await submit(small, { pipeline_id: 'text_regions', frame_stride: '10' });
    const smallId = smallJob.body.job_id as string;
    const s = await finished(smallId);
    const h = await getJob(hugeId);
    expect(s.status).toBe('completed');
    // The small job's 4 frames waited behind at most a window of the huge job's, not all 180.
    expect(h.status).toBe('running');
    expect(h.progress.frames_done).toBeLessThan(150);
    await finished(hugeId);
    expect(await rows(hugeId)).toEqual({ total: 180, distinct: 180, indices: range(180, 1) });
  });

  it('refuses a frame budget above the server limit', async () => {
    const res = await submit(small, { pipeline_id: 'text_regions', max_frames: '501' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/max_frames: must be <= 500/);
  });

  it('lists dead letters with their reason and replays one back to work', async () => {
    const { body } = await submit(small, { pipeline_id: 'text_regions', frame_stride: '10' });
    const id = body.job_id as string;
    await finished(id);
    // A dead letter as a worker leaves it: the original extract message plus why it died.
    const nc = await connect({ servers: sys.nats.url });
    const h = headers();
    h.set('Fw-Job-Id', id);
    h.set('Fw-Dlq-Reason', 'max retries exceeded: object store unreachable');
    h.set('Fw-Dlq-Subject', 'fw.work.extract');
    h.set('Fw-Dlq-Deliveries', '4');
    const work = { v: 1, job_id: id, input_key: `inputs/${id}/video`, pipeline_id: 'text_regions', frame_stride: 10, max_frames: null };
    const ack = await jetstream(nc).publish('fw.dlq.extract', JSON.stringify(work), { headers: h, msgID: `test-dlq-${id}` });
    await nc.close();

    const list = (await (await fetch(`${sys.baseUrl}/v1/dlq?limit=500`)).json()) as {
      items: Array<{ seq: number; job_id: string; reason: string; deliveries: number; kind: string }>;
    };
    const entry = list.items.find((i) => i.seq === ack.seq);
    expect(entry).toMatchObject({ job_id: id, kind: 'extract', deliveries: 4, reason: 'max retries exceeded: object store unreachable' });

    const replay = await fetch(`${sys.baseUrl}/v1/dlq/${ack.seq}/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ seq: ack.seq, subject: 'fw.work.extract', job_id: id });
    // The replayed extraction re-runs; upserts keep exactly one row per frame.
    await eventually(async () => sys.logsOf('extractor').split(id).length > 2, 30_000, 'the replayed extraction');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rows(id)).toEqual({ total: 4, distinct: 4, indices: [0, 10, 20, 30] });
    // The job's own extract message carried intake's probe; the replayed one, shaped like a message queued before it did, is probed.
    const decoding = sys
      .logsOf('extractor')
      .split('\n')
      .filter((l) => l.includes(id) && l.includes('"msg":"decoding"'));
    expect(decoding.map((l) => (JSON.parse(l) as { probed_by?: string }).probed_by)).toEqual(['intake', 'extractor']);
    const after = (await (await fetch(`${sys.baseUrl}/v1/dlq?limit=500`)).json()) as { items: Array<{ seq: number }> };
    expect(after.items.some((i) => i.seq === ack.seq)).toBe(false);
    expect((await fetch(`${sys.baseUrl}/v1/dlq/${ack.seq}/replay`, { method: 'POST' })).status).toBe(404);
  });

  describe('bad input, checked by content', () => {
    it.each([
      [
        'an empty file',
        async () => writeFile(join(fixtures, 'empty.mp4'), Buffer.alloc(0)).then(() => join(fixtures, 'empty.mp4')),
        {},
        422,
        'INVALID_VIDEO',
        /file is empty/,
      ],
      [
        'an upload that declares more than the size limit',
        async () =>
          writeFile(join(fixtures, 'big.mp4'), Buffer.concat([await readFile(long), Buffer.alloc(3 * 1024 * 1024)])).then(() =>
            join(fixtures, 'big.mp4'),
          ),
        {},
        413,
        'PAYLOAD_TOO_LARGE',
        /the limit is 2097152 bytes/,
      ],
      ['an absurd stride', async () => small, { frame_stride: '1000000000' }, 400, 'INVALID_ARGUMENT', /frame_stride must be <=/],
      ['an unknown field', async () => small, { 'x; rm -rf /': '1' }, 400, 'INVALID_ARGUMENT', /unknown field/],
      ['an overlong client tag', async () => small, { client_tag: 'x'.repeat(300) }, 400, 'INVALID_ARGUMENT', /client_tag/],
    ])('%s', async (_name, file, fields, status, code, detail) => {
      const before = (await readdir(join(sys.dataDir, 'objects', 'inputs')).catch(() => [])).length;
      const res = await submit(await file(), { pipeline_id: 'text_regions', ...fields });
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ code });
      expect(res.body.detail).toMatch(detail);
      expect((await readdir(join(sys.dataDir, 'objects', 'inputs')).catch(() => [])).length).toBe(before);
      expect(await readdir(join(sys.dataDir, 'uploads'))).toEqual([]);
    });

    it('an upload over the size limit sent without a length is refused while it streams', async () => {
      const boundary = 'fwboundary';
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="pipeline_id"\r\n\r\ntext_regions\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
      );
      const video = await readFile(long);
      let sent = 0;
      const chunk = Buffer.alloc(256 * 1024);
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(head);
          c.enqueue(video);
        },
        pull(c) {
          // 64 MiB at most: far past the limit; the server must answer long before.
          if (sent > 64 * 1024 * 1024) return c.close();
          sent += chunk.length;
          c.enqueue(chunk);
        },
      });
      const res = await fetch(`${sys.baseUrl}/v1/jobs`, {
        method: 'POST',
        body,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        duplex: 'half',
      });
      const answer = await res.json();
      expect({ status: res.status, answer }).toMatchObject({
        status: 413,
        answer: { code: 'PAYLOAD_TOO_LARGE', detail: 'file is larger than the limit of 2097152 bytes' },
      });
      expect(sent).toBeLessThan(64 * 1024 * 1024);
      expect(await readdir(join(sys.dataDir, 'uploads'))).toEqual([]);
    });

    it('a path-like file name is only a name: the video is stored under a key the server chose', async () => {
      const res = await submit(small, { pipeline_id: 'text_regions', frame_stride: '20' }, {}, '../../../etc/passwd.mp4');
      expect(res.status).toBe(202);
      const id = res.body.job_id as string;
      expect((await sys.db.dataSource.query('SELECT input_key FROM jobs WHERE id = $1', [id])) as unknown[]).toEqual([
        { input_key: `inputs/${id}/video` },
      ]);
      expect((await finished(id)).status).toBe('completed');
    });

    it.each<[string, Partial<MakeVideoOptions>]>([
      ['an MOV', { container: 'mov' }],
      ['odd frame sizes', { width: 322, height: 242 }],
      ['a variable frame rate', { vfr: true, container: 'mkv' }],
    ])('%s is valid and works', async (name, opts) => {
      const path = await makeVideo({
        path: join(fixtures, `valid-${name.replace(/\W+/g, '-')}.${opts.container ?? 'mp4'}`),
        frames: 12,
        ...opts,
      });
      const res = await submit(path, { pipeline_id: 'text_regions', frame_stride: '3' });
      expect(res.status).toBe(202);
      const job = await finished(res.body.job_id as string);
      expect(job).toMatchObject({ status: 'completed', progress: { frames_total: 4, frames_done: 4 } });
    });
  });

  it('no job is left running, and no frame row is duplicated anywhere', async () => {
    const running = (await sys.db.dataSource.query(`SELECT id, status FROM jobs WHERE status IN ('pending','running')`)) as unknown[];
    expect(running).toEqual([]);
    const dups = (await sys.db.dataSource.query(
      'SELECT job_id, frame_index, count(*) FROM frame_results GROUP BY 1, 2 HAVING count(*) > 1',
    )) as unknown[];
    expect(dups).toEqual([]);
  });
});
