/**
 * The whole system against a NATS server that requires credentials: every app
 * gets them from its FW_NATS_* variables, a job completes (so each stage
 * connected, consumed and published), an app with a wrong password stops at
 * start with a message naming the variables, and no log line holds the password.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { APPS, eventually, startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

const PASSWORD = 'e2e-nats-pw-5d2f81';

describe('NATS with authentication: every app passes its credentials', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({ path: join(fixtures, 'small.mp4'), frames: 20 });
    sys = await startSystem({ natsAuth: { user: 'framewire', password: PASSWORD } });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  it('runs a job to completion', async () => {
    const form = new FormData();
    form.append('pipeline_id', 'frame_stats');
    form.append('frame_stride', '2');
    form.append('file', new Blob([await readFile(video)]), 'small.mp4');
    const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as { job_id: string };
    const job = await eventually(
      async () => {
        const r = await fetch(`${sys.baseUrl}/v1/jobs/${job_id}`);
        const j = (await r.json()) as { status: string; progress: { frames_done: number } };
        return j.status === 'completed' || j.status === 'failed' ? j : null;
      },
      60_000,
      'the job to end',
    );
    expect(job).toMatchObject({ status: 'completed', progress: { frames_done: 10 } });
  });

  it('every app logged its connection with the user, never the password', () => {
    for (const app of APPS) {
      const logs = sys.logsOf(app);
      expect(logs).toMatch(/"nats_auth":"user","nats_user":"framewire".*"msg":"connected to NATS"/);
      expect(logs).not.toContain(PASSWORD);
    }
  });

  it('refuses a client without credentials', async () => {
    await expect(connect({ servers: sys.nats.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/i);
  });

  it('stops an app with a wrong password at start, naming the variables', async () => {
    await expect(sys.start('persister', { FW_NATS_PASSWORD: 'not-the-password' })).rejects.toThrow(
      /refused the connection.*check FW_NATS_USER and FW_NATS_PASSWORD/,
    );
    const failed = sys.apps[sys.apps.length - 1];
    expect((await failed.exited).code).toBe(1);
    expect(failed.logs.join('')).not.toContain('not-the-password');
  });
});
