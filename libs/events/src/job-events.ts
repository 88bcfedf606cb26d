import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import {
  EVENTS_PREFIX,
  EVENTS_WILDCARD,
  isTerminal,
  jobEventSchema,
  jobEventsFilter,
  STREAMS,
  UUID,
  type JobEvent,
  type JobEventType,
} from '@framewire/contracts';

/**
 * Where a subscription starts:
 * - `'start'`: every stored event (FW_EVENTS keeps them 7 days), then live;
 * - `'now'`: only events published from now on;
 * - `{ afterSequence }`: resume after an event already seen (its `sequence`).
 */
export type StartAt = 'start' | 'now' | { afterSequence: number };

/**
 * When a subscription ends by itself:
 * - `'terminal'`: after the job's completed / failed / cancelled event (the default for one job);
 * - `'caught-up'`: once every event stored when it started has been delivered;
 * - `'never'`: only when aborted or closed (the default for every job).
 */
export type Until = 'terminal' | 'caught-up' | 'never';

export interface SubscribeOptions {
  from?: StartAt;
  until?: Until;
  /** Only these event types (default: all); a job's subscription still ends on its terminal event. */
  types?: readonly JobEventType[];
  /** Aborting ends the iteration (no error). */
  signal?: AbortSignal;
}

export interface ReceivedJobEvent<E extends JobEvent = JobEvent> {
  /** The event, validated against its versioned contract. */
  event: E;
  /** Stream sequence: increasing, unique, the resume point (`{ afterSequence }`, SSE Last-Event-ID, WatchJob after_sequence). */
  sequence: number;
  subject: string;
  /** Events still stored after this one for this subscription (0: caught up with the stream). */
  pending: number;
}

/** A stored message that does not match any known event contract (e.g. a newer payload version). */
export class InvalidJobEventError extends Error {
  constructor(
    readonly subject: string,
    readonly sequence: number,
    reason: string,
  ) {
    super(`invalid job event at ${subject} (sequence ${sequence}): ${reason}`);
    this.name = 'InvalidJobEventError';
  }
}

/**
 * Typed subscriptions to job events, for any TypeScript user of Framewire:
 *
 *   const events = await JobEventsClient.connect({ servers: 'nats://127.0.0.1:4222' });
 *   for await (const { event, sequence } of events.job(jobId, { from: 'start' })) {
 *     if (event.type === 'frames') console.log(event.frames_done, '/', event.frames_total);
 *   }                                   // ends after the job's terminal event
 *   for await (const { event } of events.all({ from: 'now', types: ['completed', 'failed'] })) { ... }
 *   await events.close();
 *
 * Each subscription is a JetStream ordered consumer on FW_EVENTS (ephemeral,
 * in memory, no acks): events arrive in stream order, without gaps or repeats,
 * and the client recreates the consumer by itself after a reconnect.
 */
export class JobEventsClient {
  private readonly js: JetStreamClient;

  private constructor(
    readonly nc: NatsConnection,
    private readonly owned: boolean,
  ) {
    this.js = jetstream(nc);
  }

  /**
   * Connect to NATS; `close()` closes the connection. Any NATS connection
   * option passes through: `user`/`pass`, `token`, an `authenticator`
   * (credsAuthenticator, nkeyAuthenticator from @nats-io/transport-node), `tls`.
   */
  static async connect(opts: { servers: string | string[] } & Omit<NodeConnectionOptions, 'servers'>): Promise<JobEventsClient> {
    const servers = Array.isArray(opts.servers) ? opts.servers : opts.servers.split(',').map((s) => s.trim());
    const nc = await connect({
      maxReconnectAttempts: -1,
      ...opts,
      servers,
      name: opts.name ?? 'framewire-events-client',
    });
    return new JobEventsClient(nc, true);
  }

  /** Use a connection the caller owns; `close()` leaves it open. */
  static fromConnection(nc: NatsConnection): JobEventsClient {
    return new JobEventsClient(nc, false);
  }

  /** One job's events (fw.events.<job_id>.>), from the start by default, until its terminal event by default. */
  job(jobId: string, opts: SubscribeOptions = {}): AsyncIterable<ReceivedJobEvent> {
    if (!UUID.test(jobId)) throw new Error(`job id must be a lowercase uuid, got ${JSON.stringify(jobId.slice(0, 64))}`);
    // The whole job's subject even when `types` narrows it, so the terminal event is always seen.
    return this.subscribe(jobEventsFilter(jobId), { ...opts, from: opts.from ?? 'start', until: opts.until ?? 'terminal' });
  }

  /** Every job's events (fw.events.>), live by default, until aborted by default. */
  all(opts: SubscribeOptions = {}): AsyncIterable<ReceivedJobEvent> {
    const filter = opts.types?.length === 1 ? `${EVENTS_PREFIX}.*.${opts.types[0]}` : EVENTS_WILDCARD;
    return this.subscribe(filter, { ...opts, from: opts.from ?? 'now', until: opts.until ?? 'never' });
  }

  async close(): Promise<void> {
    if (this.owned && !this.nc.isClosed()) await this.nc.close();
  }

  // One filter subject per consumer (nats-server 2.9 has no filter_subjects); other type sets are filtered here.
  private async *subscribe(
    filter: string,
    opts: SubscribeOptions & { from: StartAt; until: Until },
  ): AsyncGenerator<ReceivedJobEvent, void, undefined> {
    if (opts.signal?.aborted) return;
    const wanted = opts.types ? new Set<JobEventType>(opts.types) : null;
    const consumer = await this.js.consumers.get(STREAMS.events, { filter_subjects: filter, ...startOptions(opts.from) });
    // The consumer is ephemeral (the server drops it after 5 idle minutes); delete it as soon as we are done.
    const release = () => void consumer.delete().catch(() => undefined);
    if (opts.until === 'caught-up' && (await consumer.info(true)).num_pending === 0) return release();
    const messages: ConsumerMessages = await consumer.consume({ max_messages: 256 });
    const stop = () => void messages.close().catch(() => undefined);
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      if (opts.signal?.aborted) return;
      for await (const msg of messages) {
        const received = decode(msg);
        if (wanted === null || wanted.has(received.event.type)) yield received;
        if (opts.until === 'terminal' && isTerminalEvent(received.event)) return;
        if (opts.until === 'caught-up' && received.pending === 0) return;
      }
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      await messages.close().catch(() => undefined);
      release();
    }
  }
}

function startOptions(from: StartAt): { deliver_policy: DeliverPolicy; opt_start_seq?: number } {
  if (from === 'start') return { deliver_policy: DeliverPolicy.All };
  if (from === 'now') return { deliver_policy: DeliverPolicy.New };
  if (!Number.isSafeInteger(from.afterSequence) || from.afterSequence < 0) {
    throw new Error(`afterSequence must be a non-negative integer, got ${from.afterSequence}`);
  }
  return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from.afterSequence + 1 };
}

function decode(msg: JsMsg): ReceivedJobEvent {
  let raw: unknown;
  try {
    raw = msg.json();
  } catch {
    throw new InvalidJobEventError(msg.subject, msg.seq, 'not JSON');
  }
  const parsed = jobEventSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidJobEventError(msg.subject, msg.seq, parsed.error.issues.map((i) => i.message).join('; '));
  return { event: parsed.data, sequence: msg.seq, subject: msg.subject, pending: msg.info.pending };
}

/** The job status an event moves a job to, when it ends it. */
function statusAfter(event: JobEvent): 'completed' | 'failed' | 'cancelled' | 'running' {
  switch (event.type) {
    case 'completed':
    case 'failed':
    case 'cancelled':
      return event.type;
    case 'submitted':
    case 'extracting':
    case 'extracted':
    case 'frames':
    case 'tracks':
      return 'running';
  }
}

/** Whether this event ends its job. */
export function isTerminalEvent(event: JobEvent): boolean {
  return isTerminal(statusAfter(event));
}
