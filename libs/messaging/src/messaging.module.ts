import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { STREAMS, type Stage } from '@framewire/contracts';
import { Health, Metrics } from '@framewire/observability';
import { APP_CONFIG, type Logger, type NatsAuthSettings } from '@framewire/runtime';
import { OBJECT_STORE, type ObjectStore } from '@framewire/storage';
import { DEFAULT_RETRY, type RetryPolicy } from './ack-policy';
import { Broker } from './broker';
import { CancellationRegistry } from './cancellation';
import { DeadLetters } from './dead-letters/dead-letters';
import { CONSUMER_METADATA, resolveSetting, type ConsumerSpec } from './decorators';
import { type ConsumedKind, DECODERS } from './decoders';
import { OutageMonitor } from './outage-monitor';
import {
  DEFAULT_TOPOLOGY,
  provisionConsumer,
  provisionStreams,
  advisoryConsumerConfig,
  consumerHandlerProblem,
  STAGE_CONSUMERS,
  statusConsumerConfig,
  UNBOUNDED_CONSUMERS,
  type TopologySettings,
  workConsumerConfig,
} from './topology';
import { type Handler, type HandlerContext, JetStreamWorker, type WorkerStats, type Delivery } from './worker';
import { registrySettings, WorkerHeartbeat, WorkerRegistry, type WorkerDetails, type WorkerRegistrySettings } from './worker-registry';

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  stage: Stage;
  workerId: string;
  servers: string;
  /** Credentials and TLS for NATS (the app config's `nats`, from the NATS_AUTH_VARIABLES). */
  auth?: NatsAuthSettings;
  logger: Logger;
  topology?: Partial<TopologySettings>;
  shutdownTimeoutMs: number;
  /** Heartbeat interval and TTL of the worker registry; default: the app config's FW_HEARTBEAT_INTERVAL_MS and FW_WORKER_TTL_MS. */
  workerRegistry?: Partial<WorkerRegistrySettings>;
  /** What the replica reports about itself in the worker registry beyond its activity (e.g. its decoder). */
  workerDetails?: () => Promise<WorkerDetails>;
}

type AnyHandlerFn = (...args: unknown[]) => Promise<void>;

/** Provisions streams and consumers, wires @Consume handlers to JetStream workers, and drains on shutdown. */
@Injectable()
export class MessagingRuntime implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly workers = new Map<ConsumedKind, JetStreamWorker<unknown>>();
  readonly topology: TopologySettings;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly opts: MessagingOptions,
    private readonly broker: Broker,
    private readonly cancellations: CancellationRegistry,
    private readonly outages: OutageMonitor,
    private readonly deadLetters: DeadLetters,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Optional() private readonly metrics?: Metrics,
    @Optional() private readonly health?: Health,
    @Optional() @Inject(APP_CONFIG) private readonly config?: unknown,
  ) {
    this.topology = { ...DEFAULT_TOPOLOGY, ...opts.topology };
  }

  onModuleInit(): void {
    this.health?.register('nats', async () => {
      await this.broker.ping();
    });
    // Fails while a worker holds work through an outage: "paused: database unavailable since ...".
    if (STAGE_CONSUMERS[this.opts.stage].length > 0) this.health?.register('outage', () => this.outages.check());
  }

  async onApplicationBootstrap(): Promise<void> {
    await provisionStreams(this.broker.jsm, this.topology);
    const handlers = this.findHandlers();
    // The consumers, their decoders and settings come from the @Consume handlers; the stage's topology says which it needs.
    const problem = consumerHandlerProblem(
      this.opts.stage,
      handlers.map((h) => h.spec.kind),
    );
    if (problem) throw new Error(problem);
    for (const { spec, fn } of handlers) await this.startWorker(spec, fn);
  }

  private findHandlers(): Array<{ spec: ConsumerSpec<ConsumedKind, never>; fn: AnyHandlerFn }> {
    const out: Array<{ spec: ConsumerSpec<ConsumedKind, never>; fn: AnyHandlerFn }> = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const method = (instance as Record<string, unknown>)[name];
        if (typeof method !== 'function') continue;
        const spec = Reflect.getMetadata(CONSUMER_METADATA, method) as ConsumerSpec<ConsumedKind, never> | undefined;
        if (spec) out.push({ spec, fn: (method as AnyHandlerFn).bind(instance) });
      }
    }
    return out;
  }

  private async startWorker(spec: ConsumerSpec<ConsumedKind, never>, fn: AnyHandlerFn): Promise<void> {
    const kind = spec.kind;
    const isEvents = kind === 'events' || kind === 'advisories';
    const unbounded = UNBOUNDED_CONSUMERS.has(kind);
    const backoff = spec.mode === 'single' ? resolveSetting<Partial<RetryPolicy>>(spec.backoff, this.config, {}) : {};
    const stream = kind === 'events' ? STREAMS.events : kind === 'advisories' ? STREAMS.dlq : STREAMS.work;
    const cfg =
      kind === 'events'
        ? statusConsumerConfig(this.topology)
        : kind === 'advisories'
          ? advisoryConsumerConfig(this.topology)
          : workConsumerConfig(kind, this.topology);
    await provisionConsumer(this.broker.jsm, stream, cfg);
    const consumer = await this.broker.js.consumers.get(stream, cfg.durable_name);
    const decoder = DECODERS[kind] as { decode: Handler<unknown>['decode']; jobIdOf: Handler<unknown>['jobIdOf'] };
    const handler: Handler<unknown> =
      spec.mode === 'single'
        ? {
            mode: 'single',
            concurrency: resolveSetting(spec.concurrency, this.config, 1),
            ...decoder,
            handle: (p: unknown, ctx: HandlerContext) => fn(p, ctx),
          }
        : {
            mode: 'batch',
            maxBatch: resolveSetting(spec.maxBatch, this.config, 1),
            maxWaitMs: resolveSetting(spec.maxWaitMs, this.config, 0),
            inFlight: resolveSetting(spec.inFlight, this.config, 1),
            ...decoder,
            handleBatch: (items: Array<Delivery<unknown>>) => fn(items),
          };
    const worker = new JetStreamWorker(handler, {
      stage: this.opts.stage,
      kind: isEvents ? null : kind,
      workerId: this.opts.workerId,
      broker: this.broker,
      consumer,
      // Events and advisories are facts, not work: they are retried until they apply (the server's MaxDeliver is unlimited too).
      // A webhook is retried until its handler delivers or gives it up, whatever FW_MAX_DELIVER allows work.
      retry: unbounded
        ? { ...DEFAULT_RETRY, ...this.topology.retry, ...backoff, maxDeliver: Number.POSITIVE_INFINITY }
        : { ...DEFAULT_RETRY, ...this.topology.retry, ...backoff },
      logger: this.opts.logger.child({ consumer: cfg.durable_name }),
      heartbeatMs: Math.max(1000, Math.floor(this.topology.ackWaitMs / 3)),
      failJobOnGiveUp: !unbounded,
      outage: this.topology.outage,
      outages: this.outages,
      // A failed or cancelled job's work is dropped; its webhook is what announces that it failed or was cancelled.
      ...(unbounded ? {} : { stoppedJobs: this.cancellations }),
      deadLetters: this.deadLetters,
      ...(this.metrics
        ? { metrics: { sink: this.metrics, consumer: cfg.durable_name, framesPerMessage: kind === 'infer' || kind === 'persist' ? 1 : 0 } }
        : {}),
    });
    await worker.start();
    this.workers.set(kind, worker);
    this.opts.logger.info({ consumer: cfg.durable_name, stream }, `consuming ${kind}`);
  }

  stats(): Record<string, WorkerStats> {
    return Object.fromEntries([...this.workers].map(([k, w]) => [k, { ...w.stats }]));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop(this.opts.shutdownTimeoutMs)));
  }

  async onApplicationShutdown(): Promise<void> {
    this.cancellations.close();
    await this.broker.drain();
  }
}

@Module({})
export class MessagingModule {
  static forRoot(opts: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: opts },
        {
          provide: Broker,
          useFactory: () => Broker.connect({ servers: opts.servers, auth: opts.auth, name: `${opts.workerId}`, logger: opts.logger }),
        },
        {
          provide: CancellationRegistry,
          useFactory: (broker: Broker) => CancellationRegistry.open(broker, opts.logger),
          inject: [Broker],
        },
        {
          provide: OutageMonitor,
          useFactory: (metrics?: Metrics) => new OutageMonitor(metrics ?? null),
          inject: [{ token: Metrics, optional: true }],
        },
        {
          // Where given-up work goes: FW_DLQ, bodies over 4 KiB in the object store when the app has one.
          provide: DeadLetters,
          useFactory: (broker: Broker, objects?: ObjectStore) =>
            new DeadLetters(broker, objects ?? null, { workerId: opts.workerId, logger: opts.logger }),
          inject: [Broker, { token: OBJECT_STORE, optional: true }],
        },
        MessagingRuntime,
        {
          provide: WorkerRegistry,
          useFactory: (broker: Broker, config?: unknown) => WorkerRegistry.open(broker, registrySettings(config, opts.workerRegistry)),
          inject: [Broker, { token: APP_CONFIG, optional: true }],
        },
        {
          // Announces this replica once the app has started; heart-beats; leaves on shutdown.
          provide: WorkerHeartbeat,
          useFactory: (registry: WorkerRegistry, metrics?: Metrics) =>
            new WorkerHeartbeat(
              { workerId: opts.workerId, stage: opts.stage, logger: opts.logger, details: opts.workerDetails },
              registry,
              metrics ?? null,
            ),
          inject: [WorkerRegistry, { token: Metrics, optional: true }],
        },
      ],
      exports: [Broker, MessagingRuntime, CancellationRegistry, DeadLetters, OutageMonitor, WorkerRegistry],
    };
  }
}
