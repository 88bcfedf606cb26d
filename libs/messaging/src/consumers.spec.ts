import 'reflect-metadata';
import { Consume, CONSUMER_METADATA, resolveSetting } from './decorators';
import { backoffDelay } from './ack-policy';
import {
  consumerHandlerProblem,
  DEFAULT_TOPOLOGY,
  STAGE_CONSUMERS,
  UNBOUNDED_CONSUMERS,
  webhookConsumerConfig,
  workConsumerConfig,
} from './topology';
import type { ConsumedPayloads } from './decoders';
import type { Delivery, HandlerContext } from './worker';

describe('consumerHandlerProblem (start-up check of the @Consume handlers)', () => {
  it('accepts exactly one handler per consumer of the stage', () => {
    expect(consumerHandlerProblem('extractor', ['extract'])).toBeNull();
    expect(consumerHandlerProblem('status', ['advisories', 'events', 'webhook'])).toBeNull();
    expect(consumerHandlerProblem('intake', [])).toBeNull();
  });

  it('refuses a consumer of the stage without a handler', () => {
    expect(consumerHandlerProblem('inference', [])).toBe("inference: consumer 'infer' needs exactly one @Consume handler, found 0");
    expect(consumerHandlerProblem('status', ['events', 'webhook'])).toBe(
      "status: consumer 'advisories' needs exactly one @Consume handler, found 0",
    );
  });

  it('refuses two handlers of one consumer', () => {
    expect(consumerHandlerProblem('persister', ['persist', 'persist'])).toBe(
      "persister: consumer 'persist' needs exactly one @Consume handler, found 2",
    );
  });

  it("refuses a handler of another stage's consumer", () => {
    expect(consumerHandlerProblem('extractor', ['extract', 'infer'])).toBe(
      "extractor: @Consume('infer') found but this app does not consume 'infer'",
    );
    expect(consumerHandlerProblem('intake', ['events'])).toBe("intake: @Consume('events') found but this app does not consume 'events'");
  });

  it('gives every work consumer to exactly one stage', () => {
    const owners = Object.values(STAGE_CONSUMERS).flat();
    expect([...owners].sort()).toEqual(['advisories', 'events', 'extract', 'infer', 'persist', 'webhook']);
  });
});

describe('the webhook consumer', () => {
  it('is not bounded by the MaxDeliver of work: the server never gives up on a webhook, its handler does (FW_WEBHOOK_MAX_AGE)', () => {
    const settings = { ...DEFAULT_TOPOLOGY, retry: { ...DEFAULT_TOPOLOGY.retry, maxDeliver: 2 } };
    expect(workConsumerConfig('webhook', settings)).toEqual(webhookConsumerConfig(settings));
    expect(webhookConsumerConfig(settings)).toMatchObject({ durable_name: 'webhooks', filter_subject: 'fw.work.webhook', max_deliver: -1 });
    expect(webhookConsumerConfig(settings)).not.toHaveProperty('backoff');
    expect(workConsumerConfig('infer', settings).max_deliver).toBe(4);
    expect(UNBOUNDED_CONSUMERS.has('webhook')).toBe(true);
    expect(UNBOUNDED_CONSUMERS.has('infer')).toBe(false);
  });

  it('backs off exponentially from its own base, capped (FW_WEBHOOK_RETRY_BASE_MS, FW_WEBHOOK_RETRY_MAX_MS)', () => {
    const policy = { maxDeliver: Number.POSITIVE_INFINITY, baseDelayMs: 5000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, policy))).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });
});

describe('@Consume settings', () => {
  class Handlers {
    @Consume({ kind: 'extract', mode: 'single', concurrency: (c: { extract: number }) => c.extract })
    async extract(_p: ConsumedPayloads['extract'], _ctx: HandlerContext): Promise<void> {}

    @Consume({ kind: 'persist', mode: 'batch', maxBatch: 500, maxWaitMs: 25 })
    async persist(_items: Array<Delivery<ConsumedPayloads['persist']>>): Promise<void> {}
  }

  it('records the spec on the method for discovery at start', () => {
    const spec: unknown = Reflect.getMetadata(CONSUMER_METADATA, Handlers.prototype.persist);
    expect(spec).toEqual({ kind: 'persist', mode: 'batch', maxBatch: 500, maxWaitMs: 25 });
  });

  it('resolves a setting from the app config, a constant, or the default', () => {
    const spec = Reflect.getMetadata(CONSUMER_METADATA, Handlers.prototype.extract) as { concurrency: (c: never) => number };
    expect(resolveSetting(spec.concurrency, { extract: 3 }, 1)).toBe(3);
    expect(resolveSetting(7, { extract: 3 }, 1)).toBe(7);
    expect(resolveSetting(undefined, { extract: 3 }, 1)).toBe(1);
  });
});
