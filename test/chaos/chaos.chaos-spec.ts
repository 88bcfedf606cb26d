/**
 * Chaos: every app as real processes (two inference and two extractor
 * replicas) on the S3 driver, two waves of jobs, and while they run:
 *
 *   - a Postgres outage of CHAOS_OUTAGE_MS (30 s) mid-job, cut through a TCP
 *     proxy, with kills, a NATS restart and poison messages (a frame result for
 *     a job that does not exist on fw.work.persist; junk and an extract for a
 *     job that does not exist on fw.work.extract) inside it;
 *   - a frame-size bomb (a small MKV of 1920×30000 frames) submitted;
 *   - an object-store outage of CHAOS_OUTAGE_MS right after the second wave
 *     was uploaded (its extraction waits on the store), with kills inside it;
 *   - a restart of the machine's Postgres cluster, and the rest of the kills.
 *
 * Outages and poison delay work, never fail it: every job must complete with
 * exactly its expected frame rows, none duplicated; the bomb is refused at
 * submit; the poison leaves no row, no job and no dead letter of a real job.
 *
 *   npm run chaos                     20 jobs, 8 kills (CHAOS_JOBS, CHAOS_KILLS override)
 *   jest --selectProjects chaos       the short version CI runs (6 jobs, 3 kills)
 * CHAOS_RESTART_POSTGRES=0 skips the Postgres restart (it restarts the machine's cluster).
 */
import { STAGES } from '@framewire/contracts';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { makeFixtureDir, makeFrameSizeBomb, makeVideo, removeFixtureDir } from '../support/fixtures';
import { eventually, startSystem, type TestSystem } from '../support/system';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const JOBS = Number(process.env.CHAOS_JOBS ?? 6);
const KILLS = Number(process.env.CHAOS_KILLS ?? 3);
const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);
const RESTART_POSTGRES = process.env.CHAOS_RESTART_POSTGRES !== '0';
jest.setTimeout(Math.max(900_000, JOBS * 60_000));

const TERMINAL = ['completed', 'failed', 'cancelled'];

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

interface Spec {
  video: string;
  stride: number;
  maxFrames: number | null;
  expected: number[];
}

function restartPostgres(): void {
  const version = execFileSync('ls', ['/etc/postgresql']).toString().trim().split('\n')[0]!;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'ignore' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chaos: kills, outages and poison lose no job, fail no job and double no row', () => {
  let sys: TestSystem;
  let fixtures: string;
  let s3: S3rverInstance;
  let s3Dir: string;
  let pg: TcpProxy;
  let store: TcpProxy;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    s3Dir = await mkdtemp(join(tmpdir(), 'fw-chaos-s3-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
    const { port: s3Port } = await s3.run();
    store = await startTcpProxy('127.0.0.1', s3Port);
    pg = await startTcpProxy('127.0.0.1', 5432);
    sys = await startSystem({
      replicas: { inference: 2, extractor: 2 },
      databasePort: pg.port,
      env: {
        FW_ACK_WAIT_MS: '3000',
        // Temporal reuse on, as shipped (the test systems turn it off): the videos' static text makes most frames reused, so
        // reused rows and their anchors land in either order through the kills and outages.
        FW_REUSE_THRESHOLD: '2',
        FW_STORAGE_DRIVER: 's3',
        FW_S3_BUCKET: 'framewire-chaos',
        FW_S3_ENDPOINT: `http://127.0.0.1:${store.port}`,
        FW_S3_ACCESS_KEY_ID: 'S3RVER',
        FW_S3_SECRET_ACCESS_KEY: 'S3RVER',
      },
    });
  });

  afterAll(async () => {
    await sys?.stop();
    await pg?.close();
    await store?.close();
    await s3?.close();
    if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
    await removeFixtureDir(fixtures);
  });

  it(`${JOBS} jobs in two waves through ${KILLS} kills, ${OUTAGE_MS / 1000} s Postgres and object-store outages, poison messages and a frame-size bomb`, async () => {
    const videos = await Promise.all(
      [30, 45, 60].map((frames, i) =>
        makeVideo({
          path: join(fixtures, `v${i}.mp4`),
          width: 320,
          height: 240,
          frames,
          texts: [{ text: `JOB ${i}`, fromFrame: 0, toFrame: frames - 1, x: 20, y: 40, fontSize: 36 }],
        }),
      ),
    );
    const bomb = await makeFrameSizeBomb(join(fixtures, 'bomb.mkv'));
    const specs: Spec[] = Array.from({ length: JOBS }, (_, j) => {
      const frames = [30, 45, 60][j % 3]!;
      const stride = 1 + (j % 4);
      const maxFrames = j % 5 === 4 ? 7 : null;
      const all = Array.from({ length: Math.ceil(frames / stride) }, (_, k) => k * stride);
      return { video: videos[j % 3]!, stride, maxFrames, expected: maxFrames === null ? all : all.slice(0, maxFrames) };
    });
    // The second wave is uploaded just before the object store goes away, so its extraction has to wait for it.
    const waveTwo = Math.max(1, Math.floor(JOBS / 3));
    const ids: string[] = [];
    const submit = async (s: Spec) => {
      const form = new FormData();
      form.append('pipeline_id', 'text_regions');
      form.append('frame_stride', String(s.stride));
      if (s.maxFrames !== null) form.append('max_frames', String(s.maxFrames));
      form.append('file', new Blob([await readFile(s.video)]), 'v.mp4');
      const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { job_id: string }).job_id);
    };
    for (const s of specs.slice(0, JOBS - waveTwo)) await submit(s);

    const log: string[] = [];
    // A replica restarted during an outage waits for the dependency before it reports started: don't block the outage on it.
    const restarting: Array<Promise<unknown>> = [];
    const kill = async () => {
      const stage = STAGES[Math.floor(Math.random() * STAGES.length)]!;
      // Only replicas that have started: one still waiting out an outage to start is no kill of a working replica.
      const live = sys.apps.filter((a) => a.app === stage && a.started && a.proc.exitCode === null && a.proc.signalCode === null);
      const victim = live[Math.floor(Math.random() * live.length)];
      if (!victim) return log.push(`no live ${stage}`);
      victim.proc.kill('SIGKILL');
      await victim.exited;
      await sleep(300 + Math.random() * 1000);
      const restarted = sys.start(stage, {}, 4 * OUTAGE_MS + 60_000);
      restarted.catch(() => undefined); // awaited below, with every other restart
      restarting.push(restarted);
      log.push(`killed and restarted ${stage}`);
    };
    const killsDuringPg = Math.ceil(KILLS / 3);
    const killsDuringStore = Math.ceil((KILLS - killsDuringPg) / 2);
    const killsAfter = KILLS - killsDuringPg - killsDuringStore;
    /** Run `acts` spread over `ms` while a dependency is cut. */
    const during = async (ms: number, acts: Array<() => Promise<unknown>>) => {
      const until = Date.now() + ms;
      for (const act of acts) {
        await sleep(Math.min(Math.max(0, until - Date.now()), ms / (acts.length + 1)));
        await act();
      }
      await sleep(Math.max(0, until - Date.now()));
    };

    // Poison: published straight onto the work subjects, as a forger or a buggy client would.
    const nc = await connect({ servers: sys.nats.url });
    const js = jetstream(nc);
    const poisonJob = randomUUID();
    const poisonPersist = async () => {
      const result = { v: 1, job_id: poisonJob, frame_index: 0, pts_ms: 0, result: null, error: null, timings_ms: {}, worker_id: 'forger' };
      await js.publish('fw.work.persist', JSON.stringify(result), { msgID: `${poisonJob}:0:persist` });
      log.push('poisoned fw.work.persist');
    };
    const poisonExtract = async () => {
      await js.publish('fw.work.extract', 'this is not json {', { msgID: `junk-${randomUUID()}` });
      const req = { v: 1, job_id: poisonJob, input_key: `inputs/${poisonJob}/video`, frame_stride: 1, max_frames: null };
      await js.publish('fw.work.extract', JSON.stringify(req), { msgID: `${poisonJob}:extract` });
      log.push('poisoned fw.work.extract');
    };

    // 1. Postgres goes away mid-job; kills, a NATS restart and poison land inside the outage.
    await pg.cut();
    log.push(`cut Postgres for ${OUTAGE_MS} ms`);
    await during(OUTAGE_MS, [
      ...Array.from({ length: killsDuringPg }, () => kill),
      async () => {
        await sys.nats.restart(1000);
        log.push('restarted NATS');
      },
      poisonPersist,
      poisonExtract,
    ]);
    await pg.heal();
    // A replica killed inside the outage starts once Postgres is back (intake among them, maybe): wait for them.
    await Promise.all(restarting);

    // 2. A frame-size bomb is refused at the door.
    const bombForm = new FormData();
    bombForm.append('pipeline_id', 'text_regions');
    bombForm.append('file', new Blob([await readFile(bomb)]), 'bomb.mkv');
    const bombRes = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: bombForm });
    const bombBody = (await bombRes.json()) as { code?: string };
    log.push(`frame-size bomb: ${bombRes.status} ${bombBody.code}`);

    // 3. The object store goes away right after the second wave was uploaded.
    for (const s of specs.slice(JOBS - waveTwo)) await submit(s);
    await store.cut();
    log.push(`cut the object store for ${OUTAGE_MS} ms`);
    await during(
      OUTAGE_MS,
      Array.from({ length: killsDuringStore }, () => kill),
    );
    await store.heal();

    // 4. The machine's Postgres restarts, and the last kills.
    if (RESTART_POSTGRES) {
      restartPostgres();
      log.push('restarted Postgres');
    }
    for (let k = 0; k < killsAfter; k++) {
      await sleep(1000 + Math.random() * 2000);
      await kill();
    }

    await Promise.all(restarting); // every restarted replica came up once its dependencies were back
    const terminal = await eventually(
      async () => {
        const rows = (await sys.db.dataSource.query(`SELECT id, status, error_message FROM jobs WHERE id = ANY($1::uuid[])`, [
          ids,
        ])) as Array<{ id: string; status: string; error_message: string | null }>;
        return rows.length === ids.length && rows.every((r) => TERMINAL.includes(r.status)) ? rows : undefined;
      },
      600_000,
      'every job to reach a terminal state',
    );

    const byId = new Map(terminal.map((r) => [r.id, r]));
    let lost = 0;
    const failures: string[] = [];
    for (const [i, id] of ids.entries()) {
      const job = byId.get(id)!;
      if (job.status !== 'completed') {
        failures.push(`${id}: ${job.status} (${job.error_message})`);
        continue;
      }
      const got = (await sys.db.dataSource.query('SELECT frame_index FROM frame_results WHERE job_id = $1 ORDER BY frame_index', [
        id,
      ])) as Array<{ frame_index: number }>;
      if (JSON.stringify(got.map((g) => g.frame_index)) !== JSON.stringify(specs[i]!.expected)) lost++;
    }
    const dup = (await sys.db.dataSource.query(
      'SELECT count(*)::int AS n FROM (SELECT job_id, frame_index FROM frame_results GROUP BY 1, 2 HAVING count(*) > 1) d',
    )) as Array<{ n: number }>;
    const poisonRows = (await sys.db.dataSource.query('SELECT count(*)::int AS n FROM frame_results WHERE job_id = $1', [
      poisonJob,
    ])) as Array<{ n: number }>;
    // Temporal reuse through the kills: every reused row of a completed job holds its anchor's result, none still pending.
    const [reuse] = (await sys.db.dataSource.query(
      `SELECT count(*) FILTER (WHERE r.reused_from IS NOT NULL)::int AS reused,
              count(*) FILTER (WHERE r.reuse_pending)::int AS pending,
              count(*) FILTER (WHERE r.reused_from IS NOT NULL
                AND (a.frame_index IS NULL OR r.result IS DISTINCT FROM a.result OR r.error IS DISTINCT FROM a.error))::int AS wrong
       FROM frame_results r LEFT JOIN frame_results a ON a.job_id = r.job_id AND a.frame_index = r.reused_from
       WHERE r.job_id = ANY($1::uuid[])`,
      [ids],
    )) as Array<{ reused: number; pending: number; wrong: number }>;
    const deadLetters = (await (await fetch(`${sys.baseUrl}/v1/dlq?limit=500`)).json()) as { items?: Array<{ job_id?: string | null }> };
    const realDeadLetters = (deadLetters.items ?? []).filter((d) => d.job_id && ids.includes(d.job_id)).length;
    await nc.close();

    const summary = {
      jobs: ids.length,
      completed: terminal.filter((t) => t.status === 'completed').length,
      wrongly_failed: failures.length,
      kills: log.filter((l) => l.startsWith('killed')).length,
      outages: log.filter((l) => l.startsWith('cut')),
      restarts: log.filter((l) => l.startsWith('restarted')),
      poison: log.filter((l) => l.startsWith('poisoned')).length,
      bomb: `${bombRes.status} ${bombBody.code}`,
      lost,
      duplicated: dup[0]!.n,
      poison_rows: poisonRows[0]!.n,
      dead_letters_of_real_jobs: realDeadLetters,
      reused_rows: reuse!.reused,
      reused_pending: reuse!.pending,
      reused_wrong: reuse!.wrong,
    };
    process.stdout.write(`\nchaos summary: ${JSON.stringify(summary)}\n${failures.map((f) => `  failed: ${f}\n`).join('')}`);
    process.stdout.write(`chaos log: ${log.join(' · ')}\n`);
    expect(failures).toEqual([]);
    expect(lost).toBe(0);
    expect(summary.duplicated).toBe(0);
    expect(summary.poison_rows).toBe(0);
    expect(realDeadLetters).toBe(0);
    expect(summary.reused_rows).toBeGreaterThan(0);
    expect(summary.reused_pending).toBe(0);
    expect(summary.reused_wrong).toBe(0);
    expect(bombRes.status).toBe(422);
    expect(bombBody.code).toBe('VIDEO_TOO_LARGE');
  });
});
