import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import type { WebhookRequestV1 } from '@framewire/contracts';
import { Consume, type HandlerContext } from '@framewire/messaging';
import { Metrics } from '@framewire/observability';
import { JobsRepository, WebhookDeliveriesRepository, type WebhookDeliveryInput } from '@framewire/persistence';
import { APP_CONFIG, LOGGER, type Logger } from '@framewire/runtime';
import type { StatusConfig } from '../config';
import { webhookBody, webhookHeaders } from './webhook-body';
import { WebhookSender } from './webhook-sender';

/** A webhook attempt that got no 2xx: the message is nak-ed and retried with backoff (FW_WEBHOOK_RETRY_BASE_MS, doubling). */
export class WebhookAttemptFailed extends Error {
  override readonly name = 'WebhookAttemptFailed';
}

/**
 * fw.work.webhook: POST a job's webhook until a 2xx or FW_WEBHOOK_MAX_AGE.
 * Every attempt is recorded in webhook_deliveries (shown on the job). A
 * webhook already delivered or given up is not POSTed again, so a duplicate
 * message makes no second delivery.
 *
 * It runs in the status service: status decides terminal states, owns the
 * job projection it reads, and keeps outbound calls to clients' servers off
 * intake, which serves the API.
 */
@Injectable()
export class WebhookService implements OnModuleInit {
  /** Attempts that got their answer but could not be recorded yet (database down): recorded, not re-POSTed, on the retry. */
  private readonly unrecorded = new Map<string, WebhookDeliveryInput>();
  private attempts!: Counter<'outcome'>;
  private givenUp!: Counter;
  private seconds!: Histogram<'outcome'>;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly sender: WebhookSender,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: StatusConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    this.attempts = new Counter({
      name: 'framewire_webhook_attempts_total',
      help: 'Webhook POSTs by outcome: delivered (2xx) or failed (any other status, a refused address, a connection error or a timeout)',
      labelNames: ['outcome'],
      registers,
    });
    this.givenUp = new Counter({
      name: 'framewire_webhook_given_up_total',
      help: 'Webhooks given up undelivered after FW_WEBHOOK_MAX_AGE',
      registers,
    });
    this.seconds = new Histogram({
      name: 'framewire_webhook_duration_seconds',
      help: 'Time of one webhook POST, by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    if (this.config.webhookSecret === null)
      this.logger.warn('FW_WEBHOOK_SECRET is not set: webhooks are not sent (each attempt is recorded as failed) until it is');
  }

  @Consume({
    kind: 'webhook',
    mode: 'single',
    concurrency: (c: StatusConfig) => c.webhookConcurrency,
    backoff: (c: StatusConfig) => ({ baseDelayMs: c.webhookRetryBaseMs, maxDelayMs: c.webhookRetryMaxMs }),
  })
  async deliver(req: WebhookRequestV1, ctx: HandlerContext): Promise<void> {
    const pending = this.unrecorded.get(ctx.msgId);
    if (pending) {
      await this.deliveries.record(pending);
      this.unrecorded.delete(ctx.msgId);
      if (pending.outcome === 'delivered') return;
      throw new WebhookAttemptFailed(`webhook attempt ${pending.attempt} failed: ${pending.error ?? `HTTP ${pending.http_status}`}`);
    }
    const job = await this.jobs.get(req.job_id);
    if (!job?.callback_url) {
      this.logger.info({ event: req.event }, 'no webhook to deliver: the job is gone or has no callback_url');
      return;
    }
    const progress = await this.deliveries.progress(job.id, req.event);
    if (progress.settled) return;
    const ageMs = Date.now() - Date.parse(req.at);
    if (ageMs >= this.config.webhookMaxAgeMs) {
      await this.deliveries.record({
        job_id: job.id,
        event: req.event,
        attempt: progress.attempts,
        at: new Date(),
        outcome: 'given_up',
        http_status: null,
        error: `not delivered within FW_WEBHOOK_MAX_AGE (${this.config.webhookMaxAgeMs} ms) after ${progress.attempts} attempt(s)`,
        duration_ms: null,
      });
      this.givenUp.inc();
      this.logger.warn({ event: req.event, attempts: progress.attempts, age_ms: ageMs }, 'webhook given up: FW_WEBHOOK_MAX_AGE ran out');
      return;
    }
    const attempt = progress.attempts + 1;
    const at = new Date();
    const result = await this.post(job, req, attempt, at);
    const delivered = result.status !== null && result.status >= 200 && result.status < 300;
    const outcome = delivered ? 'delivered' : 'failed';
    this.attempts.inc({ outcome });
    this.seconds.observe({ outcome }, result.durationMs / 1000);
    const row: WebhookDeliveryInput = {
      job_id: job.id,
      event: req.event,
      attempt,
      at,
      outcome,
      http_status: result.status,
      error: result.error ?? (delivered ? null : `HTTP ${result.status}`),
      duration_ms: result.durationMs,
    };
    this.unrecorded.set(ctx.msgId, row);
    await this.deliveries.record(row);
    this.unrecorded.delete(ctx.msgId);
    if (delivered) {
      this.logger.info({ event: req.event, attempt, http_status: result.status }, 'webhook delivered');
      return;
    }
    throw new WebhookAttemptFailed(`webhook attempt ${attempt} failed: ${row.error}`);
  }

  private async post(
    job: Parameters<typeof webhookBody>[0],
    req: WebhookRequestV1,
    attempt: number,
    at: Date,
  ): Promise<{ status: number | null; error: string | null; durationMs: number }> {
    const secret = this.config.webhookSecret;
    if (secret === null) return { status: null, error: 'FW_WEBHOOK_SECRET is not set on the status service', durationMs: 0 };
    const body = JSON.stringify(webhookBody(job, req.event));
    return this.sender.send(job.callback_url!, body, webhookHeaders(secret, body, req.event, job.id, attempt, at));
  }
}
