import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomainError, WEBHOOK_HEADERS, webhookBodyV1, type WebhookRequestV1 } from '@framewire/contracts';
import type { HandlerContext } from '@framewire/messaging';
import { Metrics } from '@framewire/observability';
import { JobsRepository, WebhookDeliveriesRepository } from '@framewire/persistence';
import { createTestDatabase, type TestDatabase } from '@framewire/persistence/testing';
import { loadConfig } from '@framewire/runtime';
import { verifySignature, WEBHOOK_DELIVERY_CONFIG } from '@framewire/webhooks';
import pino from 'pino';
import type { StatusConfig } from '../../apps/status/src/config';
import { WebhookSender } from '../../apps/status/src/webhooks/webhook-sender';
import { WebhookAttemptFailed, WebhookService } from '../../apps/status/src/webhooks/webhook.service';

jest.setTimeout(60_000);
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });
const SECRET = 'integration-secret-0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * The status service's webhook handler against a real Postgres and a real
 * HTTP receiver on 127.0.0.1: signed POSTs, one row per attempt, no second
 * delivery once delivered, given up after FW_WEBHOOK_MAX_AGE, private
 * addresses refused at delivery, timeouts.
 */
describe('webhooks: the status service delivers and records each attempt', () => {
  let db: TestDatabase;
  let jobs: JobsRepository;
  let deliveries: WebhookDeliveriesRepository;
  let server: Server;
  let url: string;
  let received: Received[];
  /** Status codes the receiver answers with, in order; 200 once they run out; 0: never answer. */
  let answers: number[];

  beforeAll(async () => {
    db = await createTestDatabase();
    jobs = new JobsRepository(db.dataSource);
    deliveries = new WebhookDeliveriesRepository(db.dataSource);
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        const status = answers.shift() ?? 200;
        if (status !== 0) res.writeHead(status).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/fw`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.drop();
  });

  beforeEach(() => {
    received = [];
    answers = [];
  });

  function service(env: Record<string, string> = {}, repo: WebhookDeliveriesRepository = deliveries): WebhookService {
    const config = loadConfig(WEBHOOK_DELIVERY_CONFIG, {
      FW_WEBHOOK_SECRET: SECRET,
      FW_WEBHOOK_ALLOW_PRIVATE: '1',
      FW_WEBHOOK_TIMEOUT_MS: '2000',
      ...env,
    }) as unknown as StatusConfig;
    const s = new WebhookService(jobs, repo, new WebhookSender(config), new Metrics('status', { defaultMetrics: false }), config, logger);
    s.onModuleInit();
    return s;
  }

  async function job(callbackUrl: string | null = url): Promise<string> {
    const { job } = await jobs.createPending({
      pipeline_id: 'p',
      input_key: 'k',
      input_size: 1,
      input_sha256: 's',
      frame_stride: 1,
      max_frames: null,
      callback_url: callbackUrl,
    });
    return job.id;
  }

  const request = (jobId: string, at = new Date()): WebhookRequestV1 => ({ v: 1, job_id: jobId, event: 'completed', at: at.toISOString() });
  const ctx = (jobId: string) => ({ msgId: `${jobId}:webhook:completed`, deliveryCount: 1 }) as HandlerContext;

  it('POSTs a signed JSON body once; a repeated message makes no second delivery', async () => {
    const id = await job();
    const s = service();
    await s.deliver(request(id), ctx(id));
    await s.deliver(request(id), ctx(id));
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [Received];
    expect(verifySignature(SECRET, headers[WEBHOOK_HEADERS.signature.toLowerCase()] as string, body)).toBe(true);
    expect(headers[WEBHOOK_HEADERS.event.toLowerCase()]).toBe('job.completed');
    expect(headers[WEBHOOK_HEADERS.delivery.toLowerCase()]).toBe(`${id}:completed`);
    expect(headers[WEBHOOK_HEADERS.attempt.toLowerCase()]).toBe('1');
    expect(headers['content-type']).toBe('application/json');
    expect(webhookBodyV1.parse(JSON.parse(body))).toMatchObject({ event: 'job.completed', job_id: id, status: 'completed' });
    expect(await deliveries.list(id)).toEqual([
      expect.objectContaining({ event: 'completed', attempt: 1, outcome: 'delivered', http_status: 200, error: null }),
    ]);
  });

  it('records a non-2xx answer as a failed attempt and throws (the message is retried), then delivers', async () => {
    const id = await job();
    const s = service();
    answers = [500];
    await expect(s.deliver(request(id), ctx(id))).rejects.toThrow(WebhookAttemptFailed);
    await s.deliver(request(id), ctx(id));
    expect(received.map((r) => r.headers[WEBHOOK_HEADERS.attempt.toLowerCase()])).toEqual(['1', '2']);
    expect(await deliveries.list(id)).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'failed', http_status: 500, error: 'HTTP 500' }),
      expect.objectContaining({ attempt: 2, outcome: 'delivered', http_status: 200 }),
    ]);
  });

  it('gives up after FW_WEBHOOK_MAX_AGE without another POST, recorded once', async () => {
    const id = await job();
    const s = service({ FW_WEBHOOK_MAX_AGE: '1m' });
    answers = [503];
    await expect(s.deliver(request(id), ctx(id))).rejects.toThrow(WebhookAttemptFailed);
    const old = new Date(Date.now() - 120_000);
    await s.deliver(request(id, old), ctx(id));
    await s.deliver(request(id, old), ctx(id));
    expect(received).toHaveLength(1);
    expect(await deliveries.list(id)).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'failed', http_status: 503 }),
      expect.objectContaining({ attempt: 1, outcome: 'given_up', error: expect.stringMatching(/FW_WEBHOOK_MAX_AGE/) }),
    ]);
  });

  it('refuses a private address at delivery unless FW_WEBHOOK_ALLOW_PRIVATE=1 (DNS can change after submit)', async () => {
    const id = await job();
    await expect(service({ FW_WEBHOOK_ALLOW_PRIVATE: '0' }).deliver(request(id), ctx(id))).rejects.toThrow(/loopback/);
    expect(received).toEqual([]);
    expect(await deliveries.list(id)).toEqual([
      expect.objectContaining({ outcome: 'failed', http_status: null, error: expect.stringMatching(/loopback/) }),
    ]);
  });

  it('counts a receiver that does not answer within FW_WEBHOOK_TIMEOUT_MS as a failed attempt', async () => {
    const id = await job();
    answers = [0];
    await expect(service({ FW_WEBHOOK_TIMEOUT_MS: '300' }).deliver(request(id), ctx(id))).rejects.toThrow(/no response within 300 ms/);
    expect(await deliveries.list(id)).toEqual([expect.objectContaining({ outcome: 'failed', http_status: null })]);
  });

  it('sends nothing unsigned: without FW_WEBHOOK_SECRET each attempt is recorded as failed', async () => {
    const id = await job();
    await expect(service({ FW_WEBHOOK_SECRET: '' }).deliver(request(id), ctx(id))).rejects.toThrow(/FW_WEBHOOK_SECRET is not set/);
    expect(received).toEqual([]);
  });

  it('records a delivery the database could not take yet on the retry, without POSTing it again', async () => {
    const id = await job();
    let down = true;
    const flaky = Object.create(deliveries) as WebhookDeliveriesRepository;
    flaky.record = (d) => (down ? Promise.reject(new DomainError('DATABASE_UNAVAILABLE', 'database down')) : deliveries.record(d));
    const s = service({}, flaky);
    await expect(s.deliver(request(id), ctx(id))).rejects.toThrow(/database down/);
    down = false;
    await s.deliver(request(id), ctx(id));
    expect(received).toHaveLength(1);
    expect(await deliveries.list(id)).toEqual([expect.objectContaining({ attempt: 1, outcome: 'delivered', http_status: 200 })]);
  });

  it('does nothing for a job without a callback_url, or one deleted meanwhile', async () => {
    const id = await job(null);
    await service().deliver(request(id), ctx(id));
    const gone = '00000000-0000-4000-8000-00000000dead';
    await service().deliver(request(gone), ctx(gone));
    expect(received).toEqual([]);
    expect(await deliveries.list(id)).toEqual([]);
  });
});
