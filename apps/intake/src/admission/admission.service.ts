import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { overloaded, STREAMS, WORK_CONSUMERS, type DomainError } from '@framewire/contracts';
import { Broker, WorkerRegistry } from '@framewire/messaging';
import { JobsRepository } from '@framewire/persistence';
import { Metrics } from '@framewire/observability';
import { LOGGER, PeriodicTask, type Logger } from '@framewire/runtime';
import { Gauge } from 'prom-client';
import type { IntakeConfig } from '../config';
import { INTAKE_CONFIG } from '../tokens';
import { admissionDecision, BoundedSlots, ThroughputMeter } from './admission';

/** How often the backlog and the inference rate are sampled (never per request). */
const SAMPLE_MS = 2000;
/** A sample that takes longer is abandoned (and the next one tried). */
const SAMPLE_TIMEOUT_MS = 5000;
/** The sliding window the inference rate is measured over (several heartbeats of FW_HEARTBEAT_INTERVAL_MS). */
const RATE_WINDOW_MS = 60_000;
/** A sample older than this (NATS or Postgres could not be read) decides nothing: admit. */
const STALE_MS = 15_000;
/** Submissions that may wait for a probe slot, and for how long, before they are refused. */
const PROBE_LINE = 16;
const PROBE_WAIT_MS = 30_000;
const PROBE_RETRY_AFTER_S = 2;

export interface BacklogSample {
  at: number;
  /** Inference's durable consumer: pending + ack-pending on FW_WORK. */
  framesQueuedForInference: number;
  /** The estimate for the jobs not yet extracted (Postgres). */
  framesNotYetExtracted: number;
  framesPerSecond: number | null;
}

/**
 * Admission control for submissions: refuses a new job (OVERLOADED, 429 /
 * RESOURCE_EXHAUSTED with Retry-After) while the queued frames would take
 * longer than FW_MAX_BACKLOG_S at the inference stage's measured rate, and
 * bounds the ffprobe runs of this replica (FW_MAX_CONCURRENT_PROBES). The
 * figures come from a background sample every SAMPLE_MS: the `inference`
 * consumer's counts, one SQL sum, and the inference replicas' counters in the
 * worker registry, so a request costs nothing but arithmetic.
 */
@Injectable()
export class AdmissionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly meter = new ThroughputMeter(RATE_WINDOW_MS);
  private readonly probes: BoundedSlots;
  private latest: BacklogSample | null = null;
  private readonly sampler: PeriodicTask;
  private refusing = false;

  constructor(
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly broker: Broker,
    private readonly registry: WorkerRegistry,
    private readonly jobs: JobsRepository,
    metrics: Metrics,
  ) {
    this.probes = new BoundedSlots(config.maxConcurrentProbes, PROBE_LINE, PROBE_WAIT_MS);
    // A read that hangs (NATS or Postgres stuck) must not stop the sampling: it is abandoned after SAMPLE_TIMEOUT_MS.
    // While reads fail, the last sample goes stale and submissions are admitted.
    this.sampler = new PeriodicTask(
      {
        intervalMs: SAMPLE_MS,
        timeoutMs: SAMPLE_TIMEOUT_MS,
        logger,
        failingMessage: 'admission control cannot read the backlog; admitting until it can',
        recoveredMessage: 'admission control can read the backlog again',
      },
      () => this.read(),
    );
    this.registerGauges(metrics);
  }

  private registerGauges(metrics: Metrics): void {
    const registers = [metrics.registry];
    const latest = () => this.latest;
    const refusing = () => this.refusal() !== null;
    new Gauge({
      name: 'framewire_admission_frames_queued',
      help: 'Frames queued as admission control last sampled them: inference backlog plus jobs not yet extracted',
      registers,
      collect() {
        const s = latest();
        this.set(s ? s.framesQueuedForInference + s.framesNotYetExtracted : 0);
      },
    });
    new Gauge({
      name: 'framewire_admission_frames_per_second',
      help: 'The inference rate admission control measured (0 until anything was measured)',
      registers,
      collect() {
        this.set(latest()?.framesPerSecond ?? 0);
      },
    });
    new Gauge({
      name: 'framewire_admission_refusing',
      help: '1 while new jobs are refused for a backlog over FW_MAX_BACKLOG_S, else 0',
      registers,
      collect() {
        this.set(refusing() ? 1 : 0);
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.maxBacklogS === 0) return;
    this.sampler.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.sampler.stop();
  }

  /** Throws OVERLOADED when the backlog is over the limit; called before any byte of the upload is read. */
  admit(now = Date.now()): void {
    const refusal = this.refusal(now);
    if (refusal) throw refusal;
  }

  /** The OVERLOADED error a submission would get now, or null when it would be admitted. */
  refusal(now = Date.now()): DomainError | null {
    const s = this.latest;
    if (this.config.maxBacklogS === 0 || !s || now - s.at > STALE_MS) return null;
    const framesQueued = s.framesQueuedForInference + s.framesNotYetExtracted;
    const d = admissionDecision({ framesQueued, framesPerSecond: s.framesPerSecond, maxBacklogS: this.config.maxBacklogS });
    if (d.admit) return null;
    return overloaded(
      `too busy to take a new job: ${Math.round(framesQueued)} frames are queued, about ${Math.round(d.backlogS)} s of work ` +
        `at the measured ${(s.framesPerSecond ?? 0).toFixed(2)} frames/s (the limit is ${this.config.maxBacklogS} s); retry after ${d.retryAfterS} s`,
      d.retryAfterS,
    );
  }

  /** Runs one probe within this replica's bound: waits in a short line, or OVERLOADED when the line is full or the wait runs out. */
  async probe<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.probes.acquire();
    if (!release) {
      throw overloaded(
        `too many videos are being checked at once (${this.probes.limit}); retry after ${PROBE_RETRY_AFTER_S} s`,
        PROBE_RETRY_AFTER_S,
      );
    }
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** The last sample (for logs and tests). */
  snapshot(): BacklogSample | null {
    return this.latest;
  }

  /** One sample now, unless the previous one is still out. */
  sample(): Promise<void> {
    return this.sampler.runNow();
  }

  private async read(): Promise<void> {
    const started = Date.now();
    const [queued, notExtracted, entries] = await Promise.all([
      this.inferenceBacklog(),
      this.jobs.framesNotYetExtracted(this.config.maxFramesPerJob),
      this.registry.entries('inference'),
    ]);
    const now = Date.now();
    this.meter.observe(
      entries.map((e) => ({ workerId: e.worker_id, frames: e.frames_processed + e.frames_failed, at: Date.parse(e.last_heartbeat) })),
      now,
    );
    this.latest = {
      at: started,
      framesQueuedForInference: queued,
      framesNotYetExtracted: notExtracted,
      framesPerSecond: this.meter.rate(),
    };
    this.logTransition(now);
  }

  private async inferenceBacklog(): Promise<number> {
    try {
      const info = await this.broker.consumerInfo(STREAMS.work, WORK_CONSUMERS.infer);
      return info.num_pending + info.num_ack_pending;
    } catch (err) {
      // No inference replica has ever started: nothing is queued for it yet.
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return 0;
      throw err;
    }
  }

  private logTransition(now: number): void {
    const refusing = this.refusal(now) !== null;
    if (refusing !== this.refusing) {
      const s = this.latest;
      this.logger.warn(
        {
          frames_queued_for_inference: s?.framesQueuedForInference,
          frames_not_yet_extracted: s?.framesNotYetExtracted,
          frames_per_second: s?.framesPerSecond,
          max_backlog_s: this.config.maxBacklogS,
        },
        refusing ? 'backlog over FW_MAX_BACKLOG_S: refusing new jobs' : 'backlog back under FW_MAX_BACKLOG_S: admitting new jobs',
      );
    }
    this.refusing = refusing;
  }
}
