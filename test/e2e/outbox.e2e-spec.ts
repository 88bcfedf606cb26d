/**
 * Submit has no crash window: intake is killed right after a submit commits
 * (the job row and its messages in the outbox) and before it publishes. The
 * restarted intake's relay publishes the job, it runs to completion, and the
 * client's retry with the same Idempotency-Key gets that job. A submit while
 * NATS is down is accepted (202) and runs once NATS is back.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { STREAMS } from '@framewire/contracts';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { eventually, startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

describe('outbox: a submit survives a crash between its commit and its publish, and a NATS outage', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({
      path: join(fixtures, 'small.mp4'),
      width: 320,
      height: 240,
      frames: 30,
      texts: [{ text: 'OUTBOX 7', fromFrame: 0, toFrame: 29, x: 20, y: 40, fontSize: 36 }],
    });
    sys = await startSystem({ env: { FW_OUTBOX_RELAY_INTERVAL_MS: '500', FW_OUTBOX_RELAY_MIN_AGE_MS: '1000' } });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function submit(key: string): Promise<Response> {
    const form = new FormData();
    form.append('pipeline_id', 'text_regions');
    form.append('frame_stride', '10');
    form.append('file', new Blob([await readFile(video)]), 'video.mp4');
    return fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form, headers: { 'idempotency-key': key } });
  }

  async function finished(id: string): Promise<{ status: string; progress: { frames_done: number } }> {
    return eventually(
      async () => {
        const j = (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as { status: string; progress: { frames_done: number } };
        return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
      },
      120_000,
      `job ${id} to finish`,
    );
  }

  it('the job runs to completion after intake restarts, and the same Idempotency-Key returns it', async () => {
    const running = sys.apps.find((a) => a.app === 'intake' && a.proc.exitCode === null && a.proc.signalCode === null);
    running?.proc.kill('SIGTERM');
    await running?.exited;
    const crashing = await sys.start('intake', { FW_TEST_CRASH_AFTER_OUTBOX_COMMIT: 'true' });

    const key = `crash-${randomUUID()}`;
    await expect(submit(key)).rejects.toThrow(); // the connection dies with the process
    expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // Committed, not published: the job and both of its messages wait in the outbox.
    const rows = (await sys.db.dataSource.query(
      `SELECT j.id, j.status, (SELECT count(*)::int FROM outbox o WHERE o.job_id = j.id) AS outbox FROM jobs j WHERE j.idempotency_key = $1`,
      [key],
    )) as Array<{ id: string; status: string; outbox: number }>;
    expect(rows).toEqual([{ id: expect.any(String) as string, status: 'pending', outbox: 2 }]);
    const id = rows[0].id;

    await sys.start('intake');
    const retry = await submit(key);
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as { job_id: string }).job_id).toBe(id);

    const job = await finished(id);
    expect(job).toMatchObject({ status: 'completed', progress: { frames_done: 3 } });
    const left = (await sys.db.dataSource.query(`SELECT count(*)::int AS n FROM outbox`)) as Array<{ n: number }>;
    expect(left[0].n).toBe(0);
    expect(sys.logsOf('intake')).toMatch(/outbox relay published messages left behind/);
    // Published once: the stream holds one submitted event.
    const nc = await connect({ servers: sys.nats.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(STREAMS.events, { subjects_filter: `fw.events.${id}.submitted` });
      expect(info.state.subjects).toEqual({ [`fw.events.${id}.submitted`]: 1 });
    } finally {
      await nc.close();
    }
  });

  it('a submit while NATS is down is accepted and runs once NATS is back', async () => {
    const outage = sys.nats.restart(6000);
    await new Promise((r) => setTimeout(r, 500));
    const res = await submit(`outage-${randomUUID()}`);
    expect(res.status).toBe(202);
    const { job_id: id } = (await res.json()) as { job_id: string };
    await outage;
    expect(await finished(id)).toMatchObject({ status: 'completed', progress: { frames_done: 3 } });
  });
});
