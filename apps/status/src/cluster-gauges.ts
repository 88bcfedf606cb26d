import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { JOB_STATUSES } from '@framewire/contracts';
import { Broker, DeadLetters, type ConsumerState } from '@framewire/messaging';
import { Metrics } from '@framewire/observability';
import { JobsRepository } from '@framewire/persistence';
import { LOGGER, type Logger } from '@framewire/runtime';
import { Gauge } from 'prom-client';

/** Scrapes come every few seconds from every status replica: answer from a short-lived snapshot, not a query each. */
const SNAPSHOT_TTL_MS = 2000;

interface ClusterSnapshot {
  jobs: Array<{ status: string; count: number }>;
  deadLetters: number;
  consumers: ConsumerState[];
}

/**
 * The cluster's queues and jobs as gauges, served by the status service (it
 * owns the job projection): jobs by status, dead letters waiting in FW_DLQ,
 * and every durable consumer's pending, ack-pending and redelivered counts.
 * Every status replica serves the same figures; aggregate with max().
 */
@Injectable()
export class ClusterGauges implements OnModuleInit {
  private snapshot: { at: number; value: Promise<ClusterSnapshot> } | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly broker: Broker,
    private readonly jobs: JobsRepository,
    private readonly deadLetters: DeadLetters,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const current = () => this.current();
    new Gauge({
      name: 'framewire_jobs',
      help: 'Jobs by status (the status projection in Postgres)',
      labelNames: ['status'],
      registers,
      async collect() {
        const snap = await current();
        this.reset();
        for (const s of JOB_STATUSES) this.set({ status: s }, 0);
        for (const row of snap?.jobs ?? []) this.set({ status: row.status }, row.count);
      },
    });
    new Gauge({
      name: 'framewire_dlq_messages',
      help: 'Dead letters waiting in FW_DLQ',
      registers,
      async collect() {
        const snap = await current();
        if (snap) this.set(snap.deadLetters);
      },
    });
    const perConsumer = (name: string, help: string, pick: (c: ClusterSnapshot['consumers'][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['stream', 'consumer'],
        registers,
        async collect() {
          const snap = await current();
          this.reset();
          for (const c of snap?.consumers ?? []) this.set({ stream: c.stream, consumer: c.consumer }, pick(c));
        },
      });
    perConsumer('framewire_consumer_pending', 'Messages not yet delivered to a durable consumer (its backlog)', (c) => c.pending);
    perConsumer('framewire_consumer_ack_pending', 'Messages delivered to a durable consumer and not yet acked', (c) => c.ackPending);
    perConsumer(
      'framewire_consumer_redelivered',
      'Messages of a durable consumer delivered more than once and still unacked',
      (c) => c.redelivered,
    );
    perConsumer('framewire_consumer_waiting', 'Pull requests waiting on a durable consumer (idle replicas)', (c) => c.waiting);
  }

  /** The latest snapshot, or null when NATS or Postgres cannot be read (the gauges then keep their last values). */
  private async current(): Promise<ClusterSnapshot | null> {
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.at > SNAPSHOT_TTL_MS) this.snapshot = { at: now, value: this.read() };
    try {
      return await this.snapshot.value;
    } catch (err) {
      this.snapshot = null;
      this.logger.warn({ err }, 'could not read the cluster gauges');
      return null;
    }
  }

  private async read(): Promise<ClusterSnapshot> {
    const [jobs, deadLetters, consumers] = await Promise.all([
      this.jobs.countByStatus(),
      this.deadLetters.count(),
      this.broker.durableConsumers(),
    ]);
    return { jobs, deadLetters, consumers };
  }
}
