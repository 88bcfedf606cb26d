/**
 * The JetStream topology: stream names, subjects and message ids.
 * Renaming anything here is a migration of live streams, not a refactor.
 */

export const STREAMS = {
  work: 'FW_WORK',
  events: 'FW_EVENTS',
  dlq: 'FW_DLQ',
} as const;

export const WORK_SUBJECTS = {
  extract: 'fw.work.extract',
  infer: 'fw.work.infer',
  persist: 'fw.work.persist',
  /** One webhook to POST (a job reached a terminal state); consumed by the status service. */
  webhook: 'fw.work.webhook',
} as const;

export type WorkKind = keyof typeof WORK_SUBJECTS;
export type WorkSubject = (typeof WORK_SUBJECTS)[WorkKind];

export const EVENTS_PREFIX = 'fw.events';
export const EVENTS_WILDCARD = `${EVENTS_PREFIX}.>`;
export const DLQ_PREFIX = 'fw.dlq';

/** Durable pull consumer of each work subject; every replica of a stage shares it. */
export const WORK_CONSUMERS: Record<WorkKind, string> = {
  extract: 'extractor',
  infer: 'inference',
  persist: 'persister',
  webhook: 'webhooks',
};

export const STATUS_CONSUMER = 'status';

export function eventSubject(jobId: string, type: string): string {
  return `${EVENTS_PREFIX}.${jobId}.${type}`;
}

export function jobEventsFilter(jobId: string): string {
  return `${EVENTS_PREFIX}.${jobId}.>`;
}

export function dlqSubject(kind: WorkKind): string {
  return `${DLQ_PREFIX}.${kind}`;
}

/** Nats-Msg-Id values: derived from what a message means, so a replayed stage is deduplicated. */
export const msgIds = {
  extract: (jobId: string) => `${jobId}:extract`,
  infer: (jobId: string, frameIndex: number) => `${jobId}:${frameIndex}:infer`,
  persist: (jobId: string, frameIndex: number) => `${jobId}:${frameIndex}:persist`,
  /** One webhook per job and terminal status: a redelivered terminal event never makes a second one. */
  webhook: (jobId: string, status: string) => `${jobId}:webhook:${status}`,
  event: (jobId: string, type: string, discriminator = '') =>
    discriminator ? `${jobId}:event:${type}:${discriminator}` : `${jobId}:event:${type}`,
};

/** Header names carried on every message. */
export const HEADERS = {
  jobId: 'Fw-Job-Id',
  traceId: 'Fw-Trace-Id',
  schema: 'Fw-Schema',
} as const;
