import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a fast status write to a long video's decode. */
const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds: one model node on one frame. */
const NODE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** `dropped`: a message of a failed or cancelled job, acked without being handled. */
export type SettleOutcome = 'ack' | 'nak' | 'term' | 'dead' | 'dropped';

/** What one replica has done since it started: the worker registry's figures. */
export interface ActivitySnapshot {
  started_at: string;
  uptime_s: number;
  jobs_processed: number;
  jobs_failed: number;
  frames_processed: number;
  frames_failed: number;
  messages_handled: number;
  redeliveries: number;
  in_flight: number;
}

/** Job ids remembered to count each job once per replica; old ones are forgotten first. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit: number) {}
  /** True when the id was not seen recently. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.limit) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

/**
 * One replica's Prometheus registry and the counters behind its worker
 * registry entry. Every series carries `stage`; Prometheus adds `instance`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly startedAt = new Date();

  readonly messages: Counter<'consumer' | 'outcome'>;
  readonly redeliveries: Counter<'consumer'>;
  readonly stageSeconds: Histogram<'consumer' | 'outcome'>;
  readonly inFlight: Gauge<'consumer'>;
  readonly framesProcessed: Counter;
  readonly framesFailed: Counter;
  readonly framesReused: Counter;
  readonly jobsProcessed: Counter;
  readonly jobsFailed: Counter;
  readonly nodeSeconds: Histogram<'pipeline' | 'node'>;
  readonly outagePausedGauge: Gauge<'dependency'>;
  readonly outageRetries: Counter<'dependency'>;
  readonly resultsDropped: Counter<'reason'>;

  private readonly seenJobs = new RecentIds(10_000);
  private readonly failedJobs = new RecentIds(10_000);
  private readonly totals = { jobsProcessed: 0, jobsFailed: 0, framesProcessed: 0, framesFailed: 0, messages: 0, redeliveries: 0 };
  private inFlightNow = 0;

  constructor(
    readonly stage: string,
    opts: { defaultMetrics?: boolean } = {},
  ) {
    this.registry.setDefaultLabels({ stage });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'framewire_' });
    const registers = [this.registry];
    this.messages = new Counter({
      name: 'framewire_messages_total',
      help: 'Messages this replica finished handling, by consumer and outcome (ack, nak, term, dead, dropped)',
      labelNames: ['consumer', 'outcome'],
      registers,
    });
    this.redeliveries = new Counter({
      name: 'framewire_redeliveries_total',
      help: 'Messages this replica received that had been delivered before (a retry, or a crashed replica’s work)',
      labelNames: ['consumer'],
      registers,
    });
    this.stageSeconds = new Histogram({
      name: 'framewire_stage_duration_seconds',
      help: 'Time to handle one message (one batch member for batch consumers), by consumer and outcome',
      labelNames: ['consumer', 'outcome'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'framewire_messages_in_flight',
      help: 'Messages being handled right now',
      labelNames: ['consumer'],
      registers,
    });
    this.framesProcessed = new Counter({ name: 'framewire_frames_processed_total', help: 'Frames this replica finished', registers });
    this.framesFailed = new Counter({ name: 'framewire_frames_failed_total', help: 'Frames this replica gave up on', registers });
    this.framesReused = new Counter({
      name: 'framewire_frames_reused_total',
      help: 'Sampled frames the extractor sent without running the models: the same as their anchor frame (temporal reuse)',
      registers,
    });
    this.jobsProcessed = new Counter({
      name: 'framewire_jobs_processed_total',
      help: 'Distinct jobs this replica did work for',
      registers,
    });
    this.jobsFailed = new Counter({ name: 'framewire_jobs_failed_total', help: 'Distinct jobs this replica failed', registers });
    this.nodeSeconds = new Histogram({
      name: 'framewire_node_duration_seconds',
      help: 'Time of one pipeline node on one frame',
      labelNames: ['pipeline', 'node'],
      buckets: NODE_BUCKETS,
      registers,
    });
    this.outagePausedGauge = new Gauge({
      name: 'framewire_outage_paused',
      help: 'Whether this replica is paused by an outage of a dependency (database, storage, broker): 1 while it holds work for it',
      labelNames: ['dependency'],
      registers,
    });
    this.outageRetries = new Counter({
      name: 'framewire_outage_retries_total',
      help: 'In-process retries of work held through an outage (they spend no delivery)',
      labelNames: ['dependency'],
      registers,
    });
    this.resultsDropped = new Counter({
      name: 'framewire_results_dropped_total',
      help: 'Frame results dropped by the persister instead of stored, by reason (unknown_job)',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Whether this replica is paused by an outage of `dependency` (it holds work and pulls nothing new). */
  outagePaused(dependency: string, paused: boolean): void {
    this.outagePausedGauge.set({ dependency }, paused ? 1 : 0);
  }

  /** One in-process retry of work held through an outage. */
  outageRetried(dependency: string): void {
    this.outageRetries.inc({ dependency });
  }

  /** Frame results the persister dropped (e.g. `unknown_job`: the job does not exist or was deleted). */
  resultDropped(reason: string, n = 1): void {
    this.resultsDropped.inc({ reason }, n);
  }

  /** A message was handed to a handler. */
  started(consumer: string, deliveryCount: number): void {
    this.inFlightNow++;
    this.inFlight.inc({ consumer });
    if (deliveryCount > 1) {
      this.redeliveries.inc({ consumer });
      this.totals.redeliveries++;
    }
  }

  /** A message ended with `outcome` after `seconds`; `frames` is how many frames it carried (0 for job-level work). */
  settled(consumer: string, outcome: SettleOutcome, seconds: number, jobId: string | undefined, frames: number): void {
    this.inFlightNow = Math.max(0, this.inFlightNow - 1);
    this.inFlight.dec({ consumer });
    this.messages.inc({ consumer, outcome });
    this.stageSeconds.observe({ consumer, outcome }, seconds);
    this.totals.messages++;
    const failed = outcome === 'term' || outcome === 'dead';
    if (frames > 0 && outcome !== 'nak' && outcome !== 'dropped') {
      if (failed) this.frameFailed(frames);
      else this.frameDone(frames);
    }
    if (!jobId) return;
    if (failed) {
      if (this.failedJobs.add(jobId)) {
        this.jobsFailed.inc();
        this.totals.jobsFailed++;
      }
    } else if (outcome === 'ack' && this.seenJobs.add(jobId)) {
      this.jobsProcessed.inc();
      this.totals.jobsProcessed++;
    }
  }

  frameDone(n = 1): void {
    this.framesProcessed.inc(n);
    this.totals.framesProcessed += n;
  }

  frameFailed(n = 1): void {
    this.framesFailed.inc(n);
    this.totals.framesFailed += n;
  }

  /** Per-node timings of one frame, in milliseconds, as the pipeline runner reports them. */
  nodeTimings(pipeline: string, timingsMs: Record<string, number>): void {
    for (const [node, ms] of Object.entries(timingsMs)) this.nodeSeconds.observe({ pipeline, node }, ms / 1000);
  }

  activity(now = Date.now()): ActivitySnapshot {
    return {
      started_at: this.startedAt.toISOString(),
      uptime_s: Math.round((now - this.startedAt.getTime()) / 1000),
      jobs_processed: this.totals.jobsProcessed,
      jobs_failed: this.totals.jobsFailed,
      frames_processed: this.totals.framesProcessed,
      frames_failed: this.totals.framesFailed,
      messages_handled: this.totals.messages,
      redeliveries: this.totals.redeliveries,
      in_flight: this.inFlightNow,
    };
  }

  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
