import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type StreamConfig,
} from '@nats-io/jetstream';
import {
  DLQ_PREFIX,
  EVENTS_WILDCARD,
  STATUS_CONSUMER,
  STREAMS,
  WORK_CONSUMERS,
  WORK_SUBJECTS,
  type Stage,
  type WorkKind,
} from '@framewire/contracts';
import { DEFAULT_OUTAGE, type OutagePolicy, type RetryPolicy, serverBackoff } from './ack-policy';
import type { ConsumedKind } from './decoders';

const NS_PER_MS = 1_000_000;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Deliveries the server allows beyond the handler's retry budget. The handler
 * dead-letters a transient failure at `retry.maxDeliver`; the slack covers
 * deliveries lost to crashed workers (no nak, AckWait expiry) and a failed
 * dead-letter publish, so the handler, not the server, gives up first. When
 * the server does give up, its MAX_DELIVERIES advisory is captured in FW_DLQ
 * and the status service fails the job.
 */
export const CRASH_SLACK_DELIVERIES = 2;

/** Advisory subjects the server emits when a work consumer gives up on a message. */
export const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${STREAMS.work}.*`;
export const ADVISORY_CONSUMER = 'status-advisories';

/**
 * The durable consumers each stage's replicas share. Each is run by the one
 * @Consume handler of its kind in that app; start-up fails on a missing, doubled
 * or foreign handler.
 */
export const STAGE_CONSUMERS: Readonly<Record<Stage, readonly ConsumedKind[]>> = {
  intake: [],
  extractor: ['extract'],
  inference: ['infer'],
  persister: ['persist'],
  status: ['events', 'advisories', 'webhook'],
};

/**
 * Consumers whose messages are retried until their handler settles them: the
 * server never gives up on one (MaxDeliver unlimited), no MAX_DELIVERIES
 * advisory, no dead letter for a transient failure, no job failed for it.
 * Events and advisories are facts to apply; a webhook is retried until it is
 * delivered or its handler gives it up at FW_WEBHOOK_MAX_AGE.
 */
export const UNBOUNDED_CONSUMERS: ReadonlySet<ConsumedKind> = new Set<ConsumedKind>(['events', 'advisories', 'webhook']);

/**
 * Why a stage cannot start with these @Consume handlers (one kind per handler
 * found), or null: each of its consumers needs exactly one, and none of another stage's.
 */
export function consumerHandlerProblem(stage: Stage, handlerKinds: readonly ConsumedKind[]): string | null {
  for (const kind of STAGE_CONSUMERS[stage]) {
    const found = handlerKinds.filter((k) => k === kind).length;
    if (found !== 1) return `${stage}: consumer '${kind}' needs exactly one @Consume handler, found ${found}`;
  }
  const foreign = handlerKinds.find((k) => !STAGE_CONSUMERS[stage].includes(k));
  return foreign ? `${stage}: @Consume('${foreign}') found but this app does not consume '${foreign}'` : null;
}

export interface TopologySettings {
  retry: RetryPolicy;
  /** How workers hold and retry work through a dependency's outage (spends no delivery). */
  outage: OutagePolicy;
  /** AckWait of work consumers; long work calls working() well inside it. */
  ackWaitMs: number;
  /** How long job events stay replayable. */
  eventsMaxAgeMs: number;
  dlqMaxAgeMs: number;
  /** Byte cap of FW_DLQ: past it the oldest dead letters go (large bodies are kept by reference, so this counts letters, not frames). */
  dlqMaxBytes: number;
  duplicateWindowMs: number;
  /** Max unacked messages per work consumer, across all its replicas. */
  maxAckPending: Partial<Record<WorkKind, number>>;
}

export const DEFAULT_TOPOLOGY: TopologySettings = {
  retry: { maxDeliver: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
  outage: DEFAULT_OUTAGE,
  ackWaitMs: 30_000,
  eventsMaxAgeMs: 7 * DAY_MS,
  dlqMaxAgeMs: 30 * DAY_MS,
  dlqMaxBytes: 256 * 1024 * 1024,
  duplicateWindowMs: 2 * 60_000,
  maxAckPending: { extract: 64, infer: 256, persist: 4096 },
};

export function streamConfigs(s: TopologySettings): Array<Partial<StreamConfig> & { name: string; subjects: string[] }> {
  const ns = (ms: number) => ms * NS_PER_MS;
  return [
    {
      name: STREAMS.work,
      subjects: Object.values(WORK_SUBJECTS),
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: ns(s.duplicateWindowMs),
      num_replicas: 1,
    },
    {
      name: STREAMS.events,
      subjects: [EVENTS_WILDCARD],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: ns(s.eventsMaxAgeMs),
      duplicate_window: ns(s.duplicateWindowMs),
      num_replicas: 1,
    },
    {
      name: STREAMS.dlq,
      subjects: [`${DLQ_PREFIX}.>`, MAX_DELIVERIES_ADVISORY],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: ns(s.dlqMaxAgeMs),
      max_bytes: s.dlqMaxBytes,
      discard: DiscardPolicy.Old,
      num_replicas: 1,
    },
  ];
}

export function workConsumerConfig(kind: WorkKind, s: TopologySettings): Partial<ConsumerConfig> & { durable_name: string } {
  if (kind === 'webhook') return webhookConsumerConfig(s);
  return {
    durable_name: WORK_CONSUMERS[kind],
    filter_subject: WORK_SUBJECTS[kind],
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: s.ackWaitMs * NS_PER_MS,
    max_deliver: s.retry.maxDeliver + CRASH_SLACK_DELIVERIES,
    backoff: serverBackoff(s.retry, s.ackWaitMs).map((ms) => ms * NS_PER_MS),
    max_ack_pending: s.maxAckPending[kind] ?? 1000,
  };
}

export function statusConsumerConfig(s: TopologySettings): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: STATUS_CONSUMER,
    filter_subject: EVENTS_WILDCARD,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: s.ackWaitMs * NS_PER_MS,
    // Events must not be dropped for a passing outage: retry far longer than work.
    max_deliver: -1,
    max_ack_pending: 1000,
  };
}

/** fw.work.webhook: retried past any work consumer's MaxDeliver; the handler decides when to give up (FW_WEBHOOK_MAX_AGE). */
export function webhookConsumerConfig(s: TopologySettings): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: WORK_CONSUMERS.webhook,
    filter_subject: WORK_SUBJECTS.webhook,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: s.ackWaitMs * NS_PER_MS,
    max_deliver: -1,
    max_ack_pending: s.maxAckPending.webhook ?? 1000,
  };
}

export function advisoryConsumerConfig(s: TopologySettings): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: ADVISORY_CONSUMER,
    filter_subject: MAX_DELIVERIES_ADVISORY,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: s.ackWaitMs * NS_PER_MS,
    max_deliver: -1,
    max_ack_pending: 100,
  };
}

/** Create or update the streams; idempotent and safe to run from every replica at start. */
export async function provisionStreams(jsm: JetStreamManager, s: TopologySettings): Promise<void> {
  for (const cfg of streamConfigs(s)) {
    try {
      const info = await jsm.streams.info(cfg.name);
      await jsm.streams.update(cfg.name, { ...info.config, ...cfg });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add(cfg);
    }
  }
}

/** Create or update one durable consumer. */
export async function provisionConsumer(
  jsm: JetStreamManager,
  stream: string,
  cfg: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.info(stream, cfg.durable_name);
    await jsm.consumers.update(stream, cfg.durable_name, cfg);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, cfg);
  }
}

function isNotFound(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.status === 404 || /not found/i.test(err.message);
  return err instanceof Error && /not found/i.test(err.message);
}

/** The fields of an app's config (COMMON_CONFIG) that choose its topology. */
export interface TopologyConfig {
  ackWaitMs: number;
  maxDeliver: number;
  retryBaseMs: number;
  outageToleranceMs: number;
  outageRetryMaxMs: number;
  dlqMaxBytes: number;
}

/** The topology settings an app's config chooses (FW_ACK_WAIT_MS, FW_MAX_DELIVER, FW_RETRY_BASE_MS, FW_OUTAGE_TOLERANCE_MS, FW_OUTAGE_RETRY_MAX_MS, FW_DLQ_MAX_BYTES). */
export function topologyFromConfig(c: TopologyConfig): Partial<TopologySettings> {
  return {
    ackWaitMs: c.ackWaitMs,
    dlqMaxBytes: c.dlqMaxBytes,
    retry: { maxDeliver: c.maxDeliver, baseDelayMs: c.retryBaseMs, maxDelayMs: Math.max(c.retryBaseMs, 60_000) },
    outage: {
      toleranceMs: c.outageToleranceMs,
      baseDelayMs: Math.min(c.retryBaseMs, c.outageRetryMaxMs),
      maxDelayMs: c.outageRetryMaxMs,
    },
  };
}
