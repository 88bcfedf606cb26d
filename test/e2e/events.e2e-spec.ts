/**
 * Job events end to end: the SSE route (replay then live, resumable with
 * Last-Event-ID), the NATS helper (@framewire/events) seeing the same
 * sequence, progress throttled at the source, the OpenAPI document, and
 * webhooks (a job's terminal state POSTed to a local receiver that answers
 * 500 once, then 200; FW_WEBHOOK_ALLOW_PRIVATE=1 lets it be on 127.0.0.1).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jobEventSchema, WEBHOOK_HEADERS, webhookBodyV1, type JobEvent } from '@framewire/contracts';
import { verifySignature } from '@framewire/webhooks';
import { JobEventsClient, type ReceivedJobEvent } from '@framewire/events';
import { makeFixtureDir, makeVideo, removeFixtureDir } from '../support/fixtures';
import {
  jobPageSchema,
  jobSchema,
  pipelineListSchema,
  pipelineSchema,
  pipelineSummarySchema,
  problemSchema,
  resultsPageSchema,
} from '../../apps/intake/src/http/schemas';
import { readSse, type SseEvent } from '../support/sse';
import { eventually, startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

const FRAMES = 90;
/** The persister's progress throttle in this suite (FW_PROGRESS_INTERVAL_MS). */
const PROGRESS_INTERVAL_MS = 500;
const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';

describe('job events: SSE and NATS', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;
  let events: JobEventsClient;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({
      path: join(fixtures, 'events.mp4'),
      width: 320,
      height: 240,
      frames: FRAMES,
      texts: [{ text: 'EVENTS', fromFrame: 20, toFrame: 40, x: 30, y: 90, fontSize: 40 }],
    });
    sys = await startSystem({
      env: {
        FW_PROGRESS_INTERVAL_MS: String(PROGRESS_INTERVAL_MS),
        FW_WEBHOOK_SECRET: WEBHOOK_SECRET,
        FW_WEBHOOK_ALLOW_PRIVATE: '1',
        FW_WEBHOOK_RETRY_BASE_MS: '200',
        FW_WEBHOOK_RETRY_MAX_MS: '1000',
      },
    });
    events = await JobEventsClient.connect({ servers: sys.nats.url });
  });

  afterAll(async () => {
    await events?.close();
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function submit(fields: Record<string, string>): Promise<string> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([await readFile(video)]), 'events.mp4');
    const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    return ((await res.json()) as { job_id: string }).job_id;
  }

  function asSse(received: ReceivedJobEvent[]): SseEvent[] {
    return received.map((r) => ({ id: String(r.sequence), event: r.event.type, data: JSON.stringify(r.event) }));
  }

  async function collect(iterable: AsyncIterable<ReceivedJobEvent>, jobId?: string): Promise<ReceivedJobEvent[]> {
    const out: ReceivedJobEvent[] = [];
    for await (const r of iterable) {
      if (jobId !== undefined && r.event.job_id !== jobId) continue;
      out.push(r);
      if (jobId !== undefined && ['completed', 'failed', 'cancelled'].includes(r.event.type)) break;
    }
    return out;
  }

  it('streams the full event sequence in order over SSE, and a NATS subscriber sees the same, live and replayed', async () => {
    // A live subscriber to every job, listening before the job exists.
    const abort = new AbortController();
    const liveEvents: ReceivedJobEvent[] = [];
    let jobId = '';
    const listening = (async () => {
      for await (const r of events.all({ from: 'now', signal: abort.signal })) {
        liveEvents.push(r);
        if (jobId && r.event.job_id === jobId && ['completed', 'failed', 'cancelled'].includes(r.event.type)) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));

    jobId = await submit({ pipeline_id: 'text_regions', frame_stride: '2' });
    const sse = await readSse(`${sys.baseUrl}/v1/jobs/${jobId}/events`);
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    expect(sse.ended).toBe(true);
    expect(sse.retry).toBeGreaterThan(0);

    const parsed: JobEvent[] = sse.events.map((e) => jobEventSchema.parse(JSON.parse(e.data)));
    const types = parsed.map((e) => e.type);
    expect(types[0]).toBe('submitted');
    expect(types.at(-1)).toBe('completed');
    expect(types.filter((t) => t === 'completed')).toHaveLength(1);
    expect(types).toEqual(expect.arrayContaining(['extracting', 'extracted', 'frames']));
    expect(types.indexOf('extracting')).toBeLessThan(types.indexOf('extracted'));
    // The final text tracks are stored and announced before completion.
    expect(types.filter((t) => t === 'tracks')).toHaveLength(1);
    expect(types.indexOf('tracks')).toBeLessThan(types.indexOf('completed'));
    for (const [i, e] of sse.events.entries()) {
      expect(e.event).toBe(parsed[i].type);
      expect(parsed[i].job_id).toBe(jobId);
    }
    const ids = sse.events.map((e) => Number(e.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    const completed = parsed.at(-1) as Extract<JobEvent, { type: 'completed' }>;
    expect(completed).toMatchObject({ frames_total: FRAMES / 2, frames_done: FRAMES / 2, frames_failed: 0 });

    // Replayed through the helper: the same events, the same sequence numbers.
    const replayed = await collect(events.job(jobId));
    expect(asSse(replayed)).toEqual(sse.events);

    // Live through the helper, subscribed before the job was submitted.
    await listening;
    abort.abort();
    expect(asSse(liveEvents.filter((r) => r.event.job_id === jobId))).toEqual(sse.events);

    // Only some types, and a resume point.
    const onlyFrames = await collect(events.job(jobId, { types: ['frames', 'completed'] }));
    expect(onlyFrames.map((r) => r.event.type)).toEqual(types.filter((t) => t === 'frames' || t === 'completed'));
    const after = await collect(events.job(jobId, { from: { afterSequence: ids[2] } }));
    expect(asSse(after)).toEqual(sse.events.slice(3));
  });

  it('resumes after a disconnect with Last-Event-ID, losing and repeating nothing, then answers 204', async () => {
    const jobId = await submit({ pipeline_id: 'text_regions', frame_stride: '1' });
    const first = await readSse(`${sys.baseUrl}/v1/jobs/${jobId}/events`, { stopAfter: 3 });
    expect(first.events).toHaveLength(3);
    expect(first.ended).toBe(false);
    const job = (await (await fetch(`${sys.baseUrl}/v1/jobs/${jobId}`)).json()) as { status: string };
    expect(job.status).not.toBe('completed'); // the disconnect happened while the job ran

    const rest = await readSse(`${sys.baseUrl}/v1/jobs/${jobId}/events`, { lastEventId: first.events.at(-1)!.id! });
    expect(rest.status).toBe(200);
    expect(rest.ended).toBe(true);
    const resumed = [...first.events, ...rest.events];
    const full = await readSse(`${sys.baseUrl}/v1/jobs/${jobId}/events`);
    expect(resumed).toEqual(full.events);
    expect(new Set(resumed.map((e) => e.id)).size).toBe(resumed.length);
    expect(resumed.at(-1)!.event).toBe('completed');

    // Nothing after the terminal event: 204 tells an EventSource to stop reconnecting.
    const after = await fetch(`${sys.baseUrl}/v1/jobs/${jobId}/events`, { headers: { 'last-event-id': resumed.at(-1)!.id! } });
    expect(after.status).toBe(204);
    // Live only, on a finished job: nothing to stream either.
    expect((await fetch(`${sys.baseUrl}/v1/jobs/${jobId}/events?from=now`)).status).toBe(204);

    // Progress is throttled at the source: far fewer `frames` events than frames, counts only grow, the last one is complete.
    const frames = full.events.filter((e) => e.event === 'frames').map((e) => JSON.parse(e.data) as Extract<JobEvent, { type: 'frames' }>);
    const span = new Date(frames.at(-1)!.at).getTime() - new Date(frames[0].at).getTime();
    expect(frames.length).toBeLessThan(FRAMES / 3);
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(span / PROGRESS_INTERVAL_MS) + 2);
    expect(frames.at(-1)).toMatchObject({ frames_done: FRAMES, frames_failed: 0, frames_total: FRAMES });
    const seen = frames.map((f) => f.frames_done + f.frames_failed);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('refuses bad resume points and unknown jobs', async () => {
    const missing = await fetch(`${sys.baseUrl}/v1/jobs/00000000-0000-4000-8000-000000000000/events`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const jobs = (await (await fetch(`${sys.baseUrl}/v1/jobs?limit=1`)).json()) as { items: Array<{ job_id: string }> };
    const bad = await fetch(`${sys.baseUrl}/v1/jobs/${jobs.items[0].job_id}/events`, { headers: { 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_ARGUMENT', detail: expect.stringMatching(/Last-Event-ID/) });
  });

  it('serves a generated OpenAPI document describing every route, with request, response and error schemas', async () => {
    const res = await fetch(`${sys.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            summary?: string;
            responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
            requestBody?: unknown;
          }
        >
      >;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Job', 'JobPage', 'ResultsPage', 'FrameResult', 'Problem', 'JobEvent']),
    );
    expect(doc.paths['/v1/jobs'].post.requestBody).toMatchObject({ content: { 'multipart/form-data': expect.anything() } });
    expect(doc.paths['/v1/jobs'].post.responses['202'].content!['application/json'].schema.$ref).toBe('#/components/schemas/Job');
    expect(doc.paths['/v1/jobs/{id}'].get.responses['404'].content!['application/problem+json'].schema.$ref).toBe(
      '#/components/schemas/Problem',
    );
    expect(doc.paths['/v1/jobs/{id}/events'].get.responses['200'].content!['text/event-stream']).toBeDefined();
    const undocumented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !op.summary || !Object.keys(op.responses).some((s) => s.startsWith('2')))
        .map(([method]) => `${method.toUpperCase()} ${path} (add it to apps/intake/src/http/openapi.ts)`),
    );
    expect(undocumented).toEqual([]);
    expect((await fetch(`${sys.baseUrl}/docs`)).status).toBe(200);

    // The schemas describe what the routes really answer.
    const get = async (path: string) => (await (await fetch(`${sys.baseUrl}${path}`)).json()) as unknown;
    await submit({ pipeline_id: 'text_regions', frame_stride: '30' });
    const jobs = jobPageSchema.parse(await get('/v1/jobs?limit=5'));
    expect(jobs.items.length).toBeGreaterThan(0);
    for (const j of jobs.items) jobSchema.strict().parse(j);
    resultsPageSchema.parse(await get(`/v1/jobs/${jobs.items[0].job_id}/results?limit=2`));
    problemSchema.strict().parse(await get('/v1/jobs/00000000-0000-4000-8000-000000000000'));
    const pipelines = pipelineListSchema.parse(await get('/v1/pipelines'));
    for (const p of pipelines.items) {
      pipelineSummarySchema.strict().parse(p);
      pipelineSchema.strict().parse(await get(`/v1/pipelines/${p.id}`));
    }
    await eventually(async () => !/routes without an entry/.test(sys.logsOf('intake')), 1000, 'no undocumented-route warning');
  });

  describe('webhooks', () => {
    let server: Server;
    let hookUrl: string;
    const received: Array<{ headers: IncomingHttpHeaders; body: string; answered: number }> = [];
    /** The receiver fails the first POST of each delivery id with a 500. */
    const failedOnce = new Set<string>();

    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => {
          const id = String(req.headers[WEBHOOK_HEADERS.delivery.toLowerCase()]);
          const answered = failedOnce.has(id) ? 200 : 500;
          failedOnce.add(id);
          received.push({ headers: req.headers, body, answered });
          res.writeHead(answered).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/framewire`;
    });

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    });

    async function post(fields: Record<string, string>): Promise<Response> {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([await readFile(video)]), 'events.mp4');
      return fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
    }

    it('refuses a callback_url that is no http(s) URL with 400', async () => {
      const res = await post({ pipeline_id: 'text_regions', callback_url: 'ftp://example.com/hook' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'INVALID_ARGUMENT',
        errors: ['callback_url: callback_url must be an http or https URL'],
      });
    });

    it('POSTs the completed state, signed, retried after a 500, delivered exactly once, attempts on the job', async () => {
      const res = await post({ pipeline_id: 'text_regions', callback_url: hookUrl, client_tag: 'hooked' });
      expect(res.status).toBe(202);
      const jobId = ((await res.json()) as { job_id: string }).job_id;

      const job = await eventually(
        async () => {
          const r = await fetch(`${sys.baseUrl}/v1/jobs/${jobId}`);
          const j = (await r.json()) as { status: string; webhook: { url: string; deliveries: Array<Record<string, unknown>> } };
          return j.webhook.deliveries.some((d) => d.outcome === 'delivered') ? j : null;
        },
        60_000,
        'the webhook delivered',
      );
      expect(job.status).toBe('completed');
      expect(job.webhook.url).toBe(hookUrl);
      expect(job.webhook.deliveries).toEqual([
        expect.objectContaining({ event: 'completed', attempt: 1, outcome: 'failed', http_status: 500, error: 'HTTP 500' }),
        expect.objectContaining({ event: 'completed', attempt: 2, outcome: 'delivered', http_status: 200, error: null }),
      ]);

      expect(received.map((r) => r.answered)).toEqual([500, 200]);
      for (const r of received) {
        expect(verifySignature(WEBHOOK_SECRET, r.headers[WEBHOOK_HEADERS.signature.toLowerCase()] as string, r.body)).toBe(true);
        expect(verifySignature('not-the-secret-0123456789', r.headers[WEBHOOK_HEADERS.signature.toLowerCase()] as string, r.body)).toBe(
          false,
        );
        expect(r.headers[WEBHOOK_HEADERS.delivery.toLowerCase()]).toBe(`${jobId}:completed`);
      }
      const body = webhookBodyV1.parse(JSON.parse(received[1]!.body));
      expect(body).toMatchObject({ event: 'job.completed', job_id: jobId, status: 'completed', client_tag: 'hooked', error: null });
      expect(body.counts.frames_done).toBeGreaterThan(0);

      // Nothing more arrives: the redelivered `completed` event and the stream's copy make no second delivery.
      await new Promise((r) => setTimeout(r, 1500));
      expect(received).toHaveLength(2);
    });
  });
});
