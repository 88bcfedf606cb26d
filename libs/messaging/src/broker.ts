import { connect, headers as natsHeaders, type MsgHdrs, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
  type StoredMsg,
} from '@nats-io/jetstream';
import {
  DomainError,
  describeError,
  eventSubject,
  HEADERS,
  jobEventSchema,
  jobEventsFilter,
  msgIds,
  STREAMS,
  type JobEvent,
} from '@framewire/contracts';
import { JobEventsClient } from '@framewire/events';
import { currentContext, describeNatsAuth, newTraceId, type Logger, type NatsAuthSettings } from '@framewire/runtime';
import { describeConnectError, isPermanentConnectError, natsConnectOptions, natsServers, withoutUserInfo } from './nats-connect';

export interface BrokerOptions {
  servers: string;
  /** Credentials and TLS (the app config's `nats`); none: an open server. */
  auth?: NatsAuthSettings;
  name: string;
  logger: Logger;
  /** Per-publish timeout before the publish counts as failed (transient). */
  publishTimeoutMs?: number;
}

/** A durable consumer's counts, as the gauges show them. */
export interface ConsumerState {
  stream: string;
  consumer: string;
  pending: number;
  ackPending: number;
  redelivered: number;
  waiting: number;
}

export interface PublishOptions {
  msgId: string;
  jobId?: string;
  headers?: Record<string, string>;
}

/**
 * The one NATS connection of a process and the way everything is published:
 * with a Nats-Msg-Id, the job and trace ids in headers, and the publish
 * acknowledged by the stream before the caller goes on.
 */
export class Broker {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly logger: Logger,
    private readonly publishTimeoutMs: number,
  ) {}

  static async connect(opts: BrokerOptions): Promise<Broker> {
    const auth = opts.auth ?? {};
    const servers = natsServers(opts.servers);
    const options = natsConnectOptions(servers, auth);
    let nc: NatsConnection;
    try {
      // The client retries a TLS failure forever while it waits for a first connection: one attempt first tells it apart from an outage.
      if (options.tls !== undefined) await tlsProbe({ ...options, name: opts.name });
      nc = await connect({
        ...options,
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        waitOnFirstConnect: true,
      });
    } catch (err) {
      throw describeConnectError(err, auth, servers);
    }
    opts.logger.info({ ...describeNatsAuth(auth), nats_server: nc.getServer() }, 'connected to NATS');
    const jsm = await jetstreamManager(nc, { timeout: 10_000 }).catch(async (err: unknown) => {
      await nc.close();
      throw new Error(`NATS at ${servers.map(withoutUserInfo).join(',')} has no usable JetStream for this user: ${describeError(err)}`, {
        cause: err,
      });
    });
    const js = jetstream(nc, { timeout: opts.publishTimeoutMs ?? 10_000 });
    const broker = new Broker(nc, js, jsm, opts.logger, opts.publishTimeoutMs ?? 10_000);
    broker.watchStatus();
    return broker;
  }

  private watchStatus(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        const level = s.type === 'disconnect' || s.type === 'error' ? 'warn' : 'info';
        this.logger[level]({ nats_status: s.type, server: 'server' in s ? s.server : undefined }, `nats ${s.type}`);
      }
    })().catch((err: unknown) => this.logger.error({ err }, 'nats status watcher stopped'));
  }

  async publish(subject: string, data: Uint8Array | string, opts: PublishOptions): Promise<PubAck> {
    const h = natsHeaders();
    const ctx = currentContext();
    h.set(HEADERS.traceId, ctx?.traceId ?? newTraceId());
    const jobId = opts.jobId ?? ctx?.jobId;
    if (jobId) h.set(HEADERS.jobId, jobId);
    for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
    try {
      return await this.js.publish(subject, data, { msgID: opts.msgId, headers: h, timeout: this.publishTimeoutMs });
    } catch (err) {
      throw new DomainError('BROKER_UNAVAILABLE', `publish to ${subject} failed: ${describeError(err)}`, { cause: err });
    }
  }

  async publishJson(subject: string, payload: unknown, opts: PublishOptions): Promise<PubAck> {
    return this.publish(subject, JSON.stringify(payload), opts);
  }

  /** Publish a job event on fw.events.<job_id>.<type>, validated against its contract first. */
  async publishEvent(event: JobEvent, discriminator = ''): Promise<PubAck> {
    const checked = jobEventSchema.parse(event);
    return this.publishJson(eventSubject(checked.job_id, checked.type), checked, {
      msgId: msgIds.event(checked.job_id, checked.type, discriminator),
      jobId: checked.job_id,
    });
  }

  /** Removes every stored event of a job from FW_EVENTS (its subjects `fw.events.<job_id>.>`); how many there were. Idempotent. */
  async purgeJobEvents(jobId: string): Promise<number> {
    try {
      const res = await this.jsm.streams.purge(STREAMS.events, { filter: jobEventsFilter(jobId) });
      return res.purged;
    } catch (err) {
      throw new DomainError('BROKER_UNAVAILABLE', `purging the events of job ${jobId} failed: ${describeError(err)}`, { cause: err });
    }
  }

  /** A consumer's state on the server (throws the server's ConsumerNotFound error when it does not exist). */
  async consumerInfo(stream: string, consumer: string): Promise<ConsumerInfo> {
    return this.jsm.consumers.info(stream, consumer);
  }

  /** Every durable consumer of the Framewire streams (clients' ephemeral watchers left out). */
  async durableConsumers(): Promise<ConsumerState[]> {
    const out: ConsumerState[] = [];
    for (const stream of Object.values(STREAMS)) {
      for await (const c of this.jsm.consumers.list(stream)) {
        if (!c.config.durable_name) continue;
        out.push({
          stream,
          consumer: c.name,
          pending: c.num_pending,
          ackPending: c.num_ack_pending,
          redelivered: c.num_redelivered,
          waiting: c.num_waiting,
        });
      }
    }
    return out;
  }

  /** The latest message stored on `subject` in `stream`, or null when there is none. */
  async lastMessage(stream: string, subject: string): Promise<StoredMsg | null> {
    try {
      return await this.jsm.streams.getMessage(stream, { last_by_subj: subject });
    } catch (err) {
      if (err instanceof Error && /no message found|not found/i.test(err.message)) return null;
      throw err;
    }
  }

  /** Clients' view of job events (subscribe, replay) over this process's connection; closing it leaves the connection open. */
  jobEvents(): JobEventsClient {
    return JobEventsClient.fromConnection(this.nc);
  }

  isConnected(): boolean {
    return !this.nc.isClosed() && !this.nc.isDraining();
  }

  /** A round trip to the server: resolves with the milliseconds it took; hangs while the connection is down (callers time out). */
  async ping(): Promise<number> {
    if (!this.isConnected()) throw new Error('the NATS connection is closed');
    return this.nc.rtt();
  }

  /** Flush what was published, let subscriptions finish, close. */
  async drain(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain();
  }
}

/** One connection attempt; a TLS or login failure throws, anything else (NATS not up yet) is left to the waiting connect. */
async function tlsProbe(options: NodeConnectionOptions): Promise<void> {
  await probeOnce(options);
  // Under TLS 1.3 the server's verdict on our client certificate arrives after the client considers itself
  // connected, and is seen (or not) as a dropped connection, indistinguishable from an outage. Under TLS 1.2
  // it is part of the handshake: ask again that way. A server that speaks only TLS 1.3 says so; that is no verdict.
  const tls = typeof options.tls === 'object' && options.tls !== null ? options.tls : {};
  try {
    await probeOnce({ ...options, tls: { ...tls, maxVersion: 'TLSv1.2' } as typeof tls });
  } catch (err) {
    if (!/protocol version|unsupported protocol|no protocols available/i.test(describeError(err))) throw err;
  }
}

async function probeOnce(options: NodeConnectionOptions): Promise<void> {
  let nc: NatsConnection;
  try {
    nc = await connect({ ...options, reconnect: false, maxReconnectAttempts: 0, waitOnFirstConnect: false });
  } catch (err) {
    if (isPermanentConnectError(err)) throw err;
    return;
  }
  await nc.close();
}

export function headerValue(h: MsgHdrs | undefined, name: string): string | undefined {
  const v = h?.get(name);
  return v ? v : undefined;
}
