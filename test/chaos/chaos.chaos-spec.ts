/**
 * Chaos: every app as real processes (two inference replicas), a batch of jobs,
 * and while they run: SIGKILL of random replicas of every stage, one NATS
 * restart and one Postgres restart. Every job must reach a terminal state,
 * every completed job must have exactly its expected frame rows, and no row
 * may be duplicated.
 *
 *   npm run chaos                     20 jobs, 8 kills (CHAOS_JOBS, CHAOS_KILLS override)
 *   jest --selectProjects chaos       the short version CI runs (6 jobs, 3 kills)
 * CHAOS_RESTART_POSTGRES=0 skips the Postgres restart (it restarts the machine's cluster).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { eventually, startSystem, type AppName, type TestSystem } from '../support/system';

const JOBS = Number(process.env.CHAOS_JOBS ?? 6);
const KILLS = Number(process.env.CHAOS_KILLS ?? 3);
const RESTART_POSTGRES = process.env.CHAOS_RESTART_POSTGRES !== '0';
jest.setTimeout(Math.max(600_000, JOBS * 60_000));

const STAGES: AppName[] = ['intake', 'extractor', 'inference', 'persister', 'status'];

interface Spec {
  video: string;
  stride: number;
  maxFrames: number | null;
  expected: number[];
}

function restartPostgres(): void {
  const version = readdirSync('/etc/postgresql')[0]!;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'ignore' });
}

describe('chaos: kills and outages lose no job and double no row', () => {
  let sys: TestSystem;
  let fixtures: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    sys = await startSystem({ replicas: { inference: 2, extractor: 2 }, env: { FW_ACK_WAIT_MS: '3000' } });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  it(`${JOBS} jobs through ${KILLS} kills, a NATS restart${RESTART_POSTGRES ? ' and a Postgres restart' : ''}`, async () => {
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
    const specs: Spec[] = Array.from({ length: JOBS }, (_, j) => {
      const frames = [30, 45, 60][j % 3]!;
      const stride = 1 + (j % 4);
      const maxFrames = j % 5 === 4 ? 7 : null;
      const all = Array.from({ length: Math.ceil(frames / stride) }, (_, k) => k * stride);
      return { video: videos[j % 3]!, stride, maxFrames, expected: maxFrames === null ? all : all.slice(0, maxFrames) };
    });

    const ids: string[] = [];
    for (const s of specs) {
      const form = new FormData();
      form.append('pipeline_id', 'text_regions');
      form.append('frame_stride', String(s.stride));
      if (s.maxFrames !== null) form.append('max_frames', String(s.maxFrames));
      form.append('file', new Blob([await readFile(s.video)]), 'v.mp4');
      const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { job_id: string }).job_id);
    }

    // Chaos while the jobs run: kills spread over the run, NATS and Postgres restarts between them.
    const actions: Array<() => Promise<string>> = [];
    for (let k = 0; k < KILLS; k++) {
      actions.push(async () => {
        const stage = STAGES[Math.floor(Math.random() * STAGES.length)]!;
        const live = sys.apps.filter((a) => a.app === stage && a.proc.exitCode === null && a.proc.signalCode === null);
        const victim = live[Math.floor(Math.random() * live.length)];
        if (!victim) return `no live ${stage}`;
        victim.proc.kill('SIGKILL');
        await victim.exited;
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1000));
        await sys.start(stage);
        return `killed and restarted ${stage}`;
      });
    }
    actions.splice(Math.floor(actions.length / 2), 0, async () => {
      await sys.nats.restart(1000);
      return 'restarted NATS';
    });
    if (RESTART_POSTGRES) {
      actions.push(async () => {
        restartPostgres();
        return 'restarted Postgres';
      });
    }
    const log: string[] = [];
    for (const act of actions) {
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 2000));
      log.push(await act());
    }

    const terminal = await eventually(
      async () => {
        const rows = (await sys.db.dataSource.query(`SELECT id, status, error_message FROM jobs WHERE id = ANY($1::uuid[])`, [
          ids,
        ])) as Array<{ id: string; status: string; error_message: string | null }>;
        return rows.every((r) => ['completed', 'failed', 'cancelled'].includes(r.status)) ? rows : undefined;
      },
      300_000,
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

    const summary = {
      jobs: ids.length,
      completed: terminal.filter((t) => t.status === 'completed').length,
      failed: failures.length,
      kills: log.filter((l) => l.startsWith('killed')).length,
      restarts: log.filter((l) => l.startsWith('restarted')),
      lost,
      duplicated: dup[0]!.n,
    };
    process.stdout.write(`\nchaos summary: ${JSON.stringify(summary)}\n${failures.map((f) => `  failed: ${f}\n`).join('')}`);
    expect(lost).toBe(0);
    expect(summary.duplicated).toBe(0);
    expect(summary.completed + summary.failed).toBe(ids.length);
    // A failed job must say why.
    for (const f of failures) expect(f).not.toMatch(/\(null\)$/);
  });
});
