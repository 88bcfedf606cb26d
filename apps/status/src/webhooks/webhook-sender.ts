import { Inject, Injectable } from '@nestjs/common';
import { describeError } from '@framewire/contracts';
import { APP_CONFIG } from '@framewire/runtime';
import { postWebhook, resolveWebhookTarget } from '@framewire/webhooks';
import type { StatusConfig } from '../config';

/** How one POST ended: a status (any, 2xx or not), or an error before one came (refused address, DNS, connection, timeout). */
export type SendResult = { status: number; error: null; durationMs: number } | { status: null; error: string; durationMs: number };

/**
 * The network side of a webhook: resolve the callback_url once, refuse a
 * private address unless FW_WEBHOOK_ALLOW_PRIVATE=1 (DNS may have changed
 * since submit), connect to that address only, POST with FW_WEBHOOK_TIMEOUT_MS.
 */
@Injectable()
export class WebhookSender {
  constructor(@Inject(APP_CONFIG) private readonly config: StatusConfig) {}

  async send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);
    try {
      const target = await resolveWebhookTarget(url, { allowPrivate: this.config.webhookAllowPrivate });
      const res = await postWebhook(target, body, headers, this.config.webhookTimeoutMs);
      return { status: res.status, error: null, durationMs: res.durationMs };
    } catch (err) {
      return { status: null, error: describeError(err).slice(0, 500), durationMs: elapsed() };
    }
  }
}
