/**
 * What the people who run Framewire look at: every app's liveness,
 * readiness (which fails while a dependency is down, and recovers) and
 * Prometheus metrics (which move when a job runs).
 */
import { readFile } from 'node:fs/promises';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { HEADERS, STREAMS } from '@framewire/contracts';
import { join } from 'node:path';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import { parseExposition, sampleSum, type Sample } from '../support/prometheus';
import { eventually, startSystem, type AppName, type RunningApp, type TestSystem } from '../support/system';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(180_000);

const FRAMES = 12;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** What each app's readiness checks: what it needs to do its work. */
const CHECKS: Record<AppName, string[]> = {
  intake: ['lifecycle', 'nats', 'object_store', 'postgres'],
  extractor: ['lifecycle', 'nats', 'object_store', 'outage'],
  inference: ['lifecycle', 'models', 'nats', 'object_store', 'outage'],
  persister: ['lifecycle', 'nats', 'outage', 'postgres'],
  status: ['lifecycle', 'nats', 'object_store', 'outage', 'postgres'],
};

async function readiness(app: RunningApp): Promise<{ status: number; body: { status: string; checks: Record<string, { ok: boolean }> } }> {
  const res = await fetch(`${app.opsUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> } };
}

async function scrape(app: RunningApp): Promise<Sample[]> {
  const res = await fetch(`${app.opsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await res.text());
}

describe('operations: health, readiness and metrics of every app', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;
  const appOf = (name: AppName) => sys.apps.find((a) => a.app === name)!;
  let jobId = '';

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({
      path: join(fixtures, 'ops.mp4'),
      width: 320,
      height: 240,
      fps: 10,
      frames: FRAMES,
      texts: [{ text: 'OPS 7', fromFrame: 0, toFrame: FRAMES - 1, x: 20, y: 80, fontSize: 40 }],
    });
    sys = await startSystem();
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  it('every app answers liveness, and readiness with a check of each thing it needs', async () => {
    for (const app of sys.apps) {
      expect(app.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const live = await fetch(`${app.opsUrl}/healthz`);
      expect([app.app, live.status]).toEqual([app.app, 200]);
      expect(await live.json()).toEqual({ status: 'ok', phase: 'serving' });
      const ready = await readiness(app);
      expect([app.app, ready.status, ready.body.status]).toEqual([app.app, 200, 'ok']);
      expect([app.app, Object.keys(ready.body.checks).sort()]).toEqual([app.app, CHECKS[app.app]]);
    }
  });

  it('/metrics on every app exposes the named series, and they move when a job runs', async () => {
    const before = new Map<AppName, Sample[]>();
    for (const app of sys.apps) before.set(app.app, await scrape(app));
    for (const [name, samples] of before) {
      expect([name, sampleSum(samples, 'framewire_process_resident_memory_bytes')! > 0]).toEqual([name, true]);
      expect([name, sampleSum(samples, 'framewire_nodejs_eventloop_lag_seconds') !== undefined]).toEqual([name, true]);
    }

    const form = new FormData();
    form.append('pipeline_id', 'text_regions');
    form.append('file', new Blob([await readFile(video)]), 'ops.mp4');
    const submitted = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form, headers: { traceparent: TRACEPARENT } });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get('x-trace-id')).toBe(TRACE_ID);
    const { job_id } = (await submitted.json()) as { job_id: string };
    jobId = job_id;
    await eventually(
      async () => {
        const job = (await (await fetch(`${sys.baseUrl}/v1/jobs/${job_id}`)).json()) as { status: string };
        return job.status === 'completed' ? job : undefined;
      },
      120_000,
      'the job to complete',
    );

    const moved = async (app: AppName, name: string, labels: Record<string, string> = {}) => {
      const after = await scrape(appOf(app));
      return (sampleSum(after, name, labels) ?? 0) - (sampleSum(before.get(app)!, name, labels) ?? 0);
    };
    expect(await moved('extractor', 'framewire_frames_processed_total')).toBe(FRAMES);
    expect(await moved('extractor', 'framewire_jobs_processed_total')).toBe(1);
    expect(await moved('extractor', 'framewire_stage_duration_seconds_count', { consumer: 'extractor', outcome: 'ack' })).toBe(1);
    expect(await moved('inference', 'framewire_frames_processed_total')).toBe(FRAMES);
    expect(await moved('inference', 'framewire_messages_total', { consumer: 'inference', outcome: 'ack' })).toBe(FRAMES);
    expect(await moved('inference', 'framewire_node_duration_seconds_count', { pipeline: 'text_regions', node: 'detect' })).toBe(FRAMES);
    expect(await moved('inference', 'framewire_node_duration_seconds_sum', { pipeline: 'text_regions', node: 'detect' })).toBeGreaterThan(
      0,
    );
    // Persisted once each; the persister may still ack the last batch as the job completes.
    await eventually(async () => (await moved('persister', 'framewire_frames_processed_total')) === FRAMES, 10_000, 'persisted frames');
    expect(await moved('status', 'framewire_messages_total', { consumer: 'status', outcome: 'ack' })).toBeGreaterThanOrEqual(3);
    expect(
      await moved('intake', 'framewire_http_request_duration_seconds_count', { route: '/v1/jobs', method: 'POST', status: '202' }),
    ).toBe(1);
    const redeliveries = sampleSum(await scrape(appOf('inference')), 'framewire_redeliveries_total');
    expect(redeliveries ?? 0).toBe(0);

    // The cluster's gauges, from the status service.
    const cluster = await eventually(
      async () => {
        const s = await scrape(appOf('status'));
        return (sampleSum(s, 'framewire_jobs', { status: 'completed' }) ?? 0) >= 1 ? s : undefined;
      },
      10_000,
      'the completed job in framewire_jobs',
    );
    expect(sampleSum(cluster, 'framewire_jobs', { status: 'failed' })).toBe(0);
    expect(sampleSum(cluster, 'framewire_dlq_messages')).toBe(0);
    for (const consumer of ['extractor', 'inference', 'persister', 'status']) {
      expect([consumer, sampleSum(cluster, 'framewire_consumer_pending', { consumer })]).toEqual([consumer, 0]);
      expect([consumer, sampleSum(cluster, 'framewire_consumer_ack_pending', { consumer })]).toEqual([consumer, 0]);
    }
  });

  it("the caller's trace id travels in NATS headers through every stage and onto their log lines", async () => {
    expect(jobId).not.toBe('');
    const nc = await connect({ servers: sys.nats.url });
    try {
      const js = jetstream(nc);
      const consumer = await js.consumers.get(STREAMS.events, {
        filter_subjects: `fw.events.${jobId}.>`,
        deliver_policy: DeliverPolicy.All,
      });
      const seen: Array<{ type: string; trace: string | undefined }> = [];
      const messages = await consumer.consume();
      for await (const m of messages) {
        seen.push({ type: m.subject.split('.').pop()!, trace: m.headers?.get(HEADERS.traceId) });
        if (m.info.pending === 0) break;
      }
      // submitted: intake; extracting, extracted: the extractor; frames: the persister, from inference's results; tracks, completed: the status service.
      expect(new Set(seen.map((e) => e.type))).toEqual(new Set(['submitted', 'extracting', 'extracted', 'frames', 'tracks', 'completed']));
      expect(seen.filter((e) => e.trace !== TRACE_ID)).toEqual([]);
    } finally {
      await nc.close();
    }
    for (const app of ['intake', 'extractor'] as const) {
      expect([app, sys.logsOf(app).includes(`"trace_id":"${TRACE_ID}","job_id":"${jobId}"`)]).toEqual([app, true]);
    }
  });

  it('readiness fails on every app while NATS is down, and recovers', async () => {
    const outage = sys.nats.restart(8000);
    for (const app of sys.apps) {
      const down = await eventually(
        async () => {
          const r = await readiness(app);
          return r.status === 503 ? r : undefined;
        },
        7000,
        `${app.app} to report NATS down`,
      );
      expect([app.app, down.body.checks.nats.ok]).toEqual([app.app, false]);
      // Liveness holds: the process is fine, only a dependency is not.
      expect((await fetch(`${app.opsUrl}/healthz`)).status).toBe(200);
    }
    await outage;
    for (const app of sys.apps) {
      await eventually(async () => (await readiness(app)).status === 200, 20_000, `${app.app} to be ready again`);
    }
  });

  it('readiness fails while Postgres is unreachable, and recovers', async () => {
    const url = new URL(sys.db.url);
    const proxy: TcpProxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    try {
      url.host = `127.0.0.1:${proxy.port}`;
      const status = await sys.start('status', { FW_DATABASE_URL: url.toString() });
      const persister = await sys.start('persister', { FW_DATABASE_URL: url.toString() });
      for (const app of [status, persister]) expect((await readiness(app)).status).toBe(200);
      await proxy.cut();
      for (const app of [status, persister]) {
        const down = await eventually(
          async () => {
            const r = await readiness(app);
            return r.status === 503 ? r : undefined;
          },
          10_000,
          `${app.app} to report Postgres down`,
        );
        expect([app.app, down.body.checks.postgres.ok, down.body.checks.nats.ok]).toEqual([app.app, false, true]);
      }
      await proxy.heal();
      for (const app of [status, persister]) {
        await eventually(async () => (await readiness(app)).status === 200, 20_000, `${app.app} to be ready again`);
      }
    } finally {
      await proxy.close();
    }
  });
});
