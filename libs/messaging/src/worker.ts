import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { ZodError } from 'zod';
import { describeError, HEADERS, isDomainError, type Stage, type WorkKind } from '@framewire/contracts';
import type { Metrics, SettleOutcome } from '@framewire/observability';
import { newTraceId, runInContext, type Logger } from '@framewire/runtime';
import {
  type AckOutcome,
  backoffDelay,
  DEFAULT_OUTAGE,
  formatDuration,
  outageOf,
  outageStep,
  outcomeForError,
  type OutageDependency,
  type OutagePolicy,
  type RetryPolicy,
} from './ack-policy';
import { type Broker, headerValue } from './broker';
import { DeadLetters } from './dead-letters/dead-letters';
import { OutageMonitor } from './outage-monitor';

export interface HandlerContext {
  readonly subject: string;
  readonly deliveryCount: number;
  /** Stable across redeliveries of the same message. */
  readonly streamSequence: number;
  /** The message's Nats-Msg-Id (what it means), or `seq:<stream sequence>` when it has none. */
  readonly msgId: string;
  readonly jobId: string | undefined;
  readonly traceId: string;
  /** Tell the server the message is still being worked on (resets AckWait). */
  working(): void;
  /** Aborted when the worker shuts down: long work should stop and let the message go back. */
  readonly signal: AbortSignal;
}

export interface Delivery<T> {
  payload: T;
  ctx: HandlerContext;
}

interface HandlerBase<T> {
  /** Parse and validate the message; a throw here is a malformed message: dead-lettered, never retried. */
  decode(msg: JsMsg): T;
  jobIdOf(payload: T): string | undefined;
}

export interface SingleHandler<T> extends HandlerBase<T> {
  mode: 'single';
  concurrency: number;
  handle(payload: T, ctx: HandlerContext): Promise<void>;
}

export interface BatchHandler<T> extends HandlerBase<T> {
  mode: 'batch';
  maxBatch: number;
  maxWaitMs: number;
  /**
   * Batches handed to handleBatch at once (default 1): with 2, the next batch
   * is written while the previous one commits. Each batch is settled (acked)
   * on its own, once its handler resolves; concurrent batches must be safe
   * for the handler (the persister locks job rows in one order).
   */
  inFlight?: number;
  /**
   * All or nothing, and idempotent: resolve and every message is acked. On an
   * outage error the whole batch is held and retried; on any other error it is
   * split in halves and each half retried, down to the message at fault, so
   * the good rows commit and only the bad message gets its own outcome.
   */
  handleBatch(items: Array<Delivery<T>>): Promise<void>;
}

export type Handler<T> = SingleHandler<T> | BatchHandler<T>;

export interface WorkerOptions {
  stage: Stage;
  /** The work kind, for dead letters and failure events; null for the events consumer. */
  kind: WorkKind | null;
  workerId: string;
  broker: Broker;
  consumer: Consumer;
  retry: RetryPolicy;
  logger: Logger;
  /** Interval of working() calls on every message in hand (running, held through an outage, or waiting for its batch). */
  heartbeatMs: number;
  /** Publish a `failed` job event when a message of this consumer is termed or dead-lettered. */
  failJobOnGiveUp: boolean;
  /** Where given-up work goes (FW_DLQ, large bodies by reference) and how its job fails; default: dead letters with every body inline. */
  deadLetters?: DeadLetters;
  /** Where to count messages, redeliveries, latencies and frames; `framesPerMessage` is 0 for job-level work. */
  metrics?: { sink: Metrics; consumer: string; framesPerMessage: number };
  /** How long a message is held and retried in-process through an outage (default DEFAULT_OUTAGE: 30 min, 1 s doubling to 30 s). */
  outage?: OutagePolicy;
  /** The process's record of outages (readiness, gauge); default: one of the worker's own. */
  outages?: OutageMonitor;
  /** Failed or cancelled jobs: a work message of one is acked unhandled (outcome `dropped`). Not consulted for events. */
  stoppedJobs?: { isStopped(jobId: string): boolean };
  /** How long one pull request waits for messages (ms, at least 1000; default 5000). */
  fetchExpiresMs?: number;
}

export interface WorkerStats {
  handled: number;
  acked: number;
  naked: number;
  termed: number;
  deadLettered: number;
  /** Messages of stopped (failed or cancelled) jobs, acked unhandled. */
  dropped: number;
  /** In-process retries of messages held through an outage. */
  outageRetries: number;
  inFlight: number;
}

/** How one run of a handler (with its in-process outage retries) ended. */
type Attempt =
  | { kind: 'ok' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'handed-back'; error: unknown }
  | { kind: 'outage-exceeded'; error: unknown; dependency: OutageDependency };

type Item<T> = Delivery<T> & { msg: JsMsg };

const HAND_BACK: AckOutcome = { kind: 'nak', delayMs: 0, reason: 'worker shutting down' };

/**
 * Pulls from one durable consumer and ends every message deliberately:
 * ack, nak(backoff), term(reason), or dead-letter then term.
 *
 * It pulls only what it has room for (a fetch of the free slots), and every
 * message in its hands is heart-beaten with working(), so no AckWait expires
 * under a live worker and no delivery is spent while a message waits. An
 * outage of a dependency (outageOf) is not the message's fault: the message is
 * held and its handler retried in-process with capped backoff for up to the
 * outage tolerance, and the worker pulls nothing new meanwhile.
 */
export class JetStreamWorker<T> {
  private fetching: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Every message in hand, from its delivery to its settlement. */
  private readonly held = new Set<JsMsg>();
  /** Handlers' signal: aborted when a stop runs out of time. */
  private readonly abort = new AbortController();
  /** Aborted as soon as a stop begins: ends outage waits and pulling. */
  private readonly stopSignal = new AbortController();
  private readonly wake = new Waker();
  /** Wakes held work early when one held attempt succeeded: the dependency is back, no need to sit out the backoff. */
  private readonly recovered = new Waker();
  /** Messages or batches of this worker held through an outage; while any is, nothing new is pulled. */
  private outageHolds = 0;
  private stopping = false;
  private readonly outagePolicy: OutagePolicy;
  private readonly outages: OutageMonitor;
  private readonly deadLetters: DeadLetters;
  readonly stats: WorkerStats = { handled: 0, acked: 0, naked: 0, termed: 0, deadLettered: 0, dropped: 0, outageRetries: 0, inFlight: 0 };

  constructor(
    private readonly handler: Handler<T>,
    private readonly opts: WorkerOptions,
  ) {
    this.outagePolicy = opts.outage ?? DEFAULT_OUTAGE;
    this.outages = opts.outages ?? new OutageMonitor();
    this.deadLetters = opts.deadLetters ?? new DeadLetters(opts.broker, null, { workerId: opts.workerId, logger: opts.logger });
  }

  /** Messages in hand right now (running, held, or waiting for their batch). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Whether the worker is paused by an outage (pulls nothing new). */
  get paused(): boolean {
    return this.outageHolds > 0;
  }

  start(): Promise<void> {
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.heartbeat.unref();
    this.loop = this.handler.mode === 'single' ? this.runSingle(this.handler) : this.runBatches(this.handler);
    this.loop.catch((err: unknown) => this.opts.logger.fatal({ err }, 'consumer loop crashed'));
    return Promise.resolve();
  }

  /**
   * Stop pulling, hand back messages held through an outage at once, let
   * in-flight work finish within the timeout, then abort what is left (it
   * goes back to the stream).
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopSignal.abort();
    this.wake.notify();
    await this.fetching?.close();
    const settled = Promise.allSettled([...this.inFlight]);
    const timedOut = await Promise.race([settled.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      this.opts.logger.warn({ in_flight: this.inFlight.size }, 'in-flight work did not finish in time; handing it back');
      this.abort.abort();
      await Promise.race([Promise.allSettled([...this.inFlight]), sleep(2000)]);
    }
    await this.loop?.catch(() => undefined);
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const msg of [...this.held]) this.nak(msg, 0);
  }

  private beat(): void {
    for (const msg of this.held) {
      try {
        msg.working();
      } catch {
        // The connection is closed: the server redelivers after AckWait, nothing to do here.
      }
    }
  }

  /**
   * Pull while there is room and no outage holds a message: one fetch of the
   * free slots at a time, so nothing waits unheart-beaten in a client buffer.
   */
  private async pull(room: () => number, take: (msg: JsMsg) => void): Promise<void> {
    let failing = false;
    const expires = Math.max(1000, this.opts.fetchExpiresMs ?? 5000);
    while (!this.stopping) {
      const free = room();
      if (this.outageHolds > 0 || free <= 0) {
        await this.wake.wait();
        continue;
      }
      try {
        const messages = await this.opts.consumer.fetch({ max_messages: free, expires });
        this.fetching = messages;
        for await (const msg of messages) {
          this.held.add(msg);
          if (this.stopping) this.nak(msg, 0);
          else take(msg);
        }
        if (failing) this.opts.logger.info('pulling messages again');
        failing = false;
      } catch (err) {
        if (this.stopping) break;
        if (!failing) this.opts.logger.warn({ err }, 'pulling messages failed; retrying every second');
        failing = true;
        await sleep(1000, this.stopSignal.signal);
      } finally {
        this.fetching = null;
      }
    }
  }

  private async runSingle(handler: SingleHandler<T>): Promise<void> {
    const slots = Math.max(1, handler.concurrency);
    await this.pull(
      () => slots - this.held.size,
      (msg) => this.track(this.processOne(msg, handler)),
    );
  }

  private async runBatches(handler: BatchHandler<T>): Promise<void> {
    const inFlight = Math.max(1, handler.inFlight ?? 1);
    let batch: JsMsg[] = [];
    let timer: NodeJS.Timeout | null = null;
    /** Full (or timed-out) batches waiting for a free handler slot, oldest first. */
    const ready: JsMsg[][] = [];
    const running = new Set<Promise<void>>();
    let idle: (() => void) | null = null;
    const pump = () => {
      while (running.size < inFlight && ready.length > 0) {
        const items = ready.shift()!;
        // Started from a microtask, as when batches were chained: the pull loop's current fetch goes on first.
        const task = Promise.resolve().then(() => this.processBatch(items, handler));
        this.track(task);
        // A batch that failed unexpectedly has handed its messages back (processBatch): the next batch still runs.
        const slot: Promise<void> = task
          .catch(() => undefined)
          .finally(() => {
            running.delete(slot);
            pump();
            if (running.size === 0 && ready.length === 0) idle?.();
          });
        running.add(slot);
      }
    };
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const items = batch;
      batch = [];
      if (items.length === 0) return;
      ready.push(items);
      pump();
    };
    // inFlight batches in the handler and one filling: never more than inFlight + 1 batches in hand.
    await this.pull(
      () => Math.min(handler.maxBatch, (inFlight + 1) * handler.maxBatch - this.held.size),
      (msg) => {
        batch.push(msg);
        if (batch.length >= handler.maxBatch) flush();
        else timer ??= setTimeout(flush, handler.maxWaitMs);
      },
    );
    flush();
    if (running.size > 0 || ready.length > 0) await new Promise<void>((r) => (idle = r));
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    this.stats.inFlight = this.inFlight.size;
    void task
      .catch((err: unknown) => this.opts.logger.error({ err }, 'a message task failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(task);
        this.stats.inFlight = this.inFlight.size;
      });
  }

  private contextFor(msg: JsMsg, jobId: string | undefined): HandlerContext {
    return {
      subject: msg.subject,
      deliveryCount: msg.info.deliveryCount,
      streamSequence: msg.info.streamSequence,
      msgId: headerValue(msg.headers, 'Nats-Msg-Id') ?? `seq:${msg.info.streamSequence}`,
      jobId,
      traceId: headerValue(msg.headers, HEADERS.traceId) ?? newTraceId(),
      working: () => msg.working(),
      signal: this.abort.signal,
    };
  }

  private decode(msg: JsMsg): { ok: true; payload: T; jobId: string | undefined } | { ok: false; reason: string } {
    try {
      const payload = this.handler.decode(msg);
      return { ok: true, payload, jobId: this.handler.jobIdOf(payload) };
    } catch (err) {
      return { ok: false, reason: `malformed message on ${msg.subject}: ${describeDecodeError(err)}` };
    }
  }

  /** Whether the message belongs to a failed or cancelled job (work consumers only: events of a stopped job still project). */
  private isStopped(jobId: string | undefined): boolean {
    return this.opts.kind !== null && jobId !== undefined && (this.opts.stoppedJobs?.isStopped(jobId) ?? false);
  }

  private async processOne(msg: JsMsg, handler: SingleHandler<T>): Promise<void> {
    try {
      await this.handleOne(msg, handler);
    } catch (err) {
      this.abandon([msg], err);
      throw err;
    }
  }

  private async handleOne(msg: JsMsg, handler: SingleHandler<T>): Promise<void> {
    const decoded = this.decode(msg);
    if (!decoded.ok) return this.giveUpMalformed(msg, decoded.reason);
    if (this.isStopped(decoded.jobId)) return this.drop(msg, decoded.jobId);
    const ctx = this.contextFor(msg, decoded.jobId);
    const t0 = this.begin(msg);
    await runInContext({ traceId: ctx.traceId, jobId: ctx.jobId }, async () => {
      const attempt = await this.attempt(msg, () => handler.handle(decoded.payload, ctx));
      const error = attempt.kind === 'ok' ? null : attempt.error;
      await this.settle(msg, this.outcomeOf(attempt, msg.info.deliveryCount), decoded.jobId, error, t0);
    });
  }

  private async processBatch(msgs: JsMsg[], handler: BatchHandler<T>): Promise<void> {
    try {
      await this.handleBatch(msgs, handler);
    } catch (err) {
      this.abandon(msgs, err);
      throw err;
    }
  }

  private async handleBatch(msgs: JsMsg[], handler: BatchHandler<T>): Promise<void> {
    const items: Array<Item<T>> = [];
    for (const msg of msgs) {
      const decoded = this.decode(msg);
      if (!decoded.ok) await this.giveUpMalformed(msg, decoded.reason);
      else if (this.isStopped(decoded.jobId)) this.drop(msg, decoded.jobId);
      else items.push({ msg, payload: decoded.payload, ctx: this.contextFor(msg, decoded.jobId) });
    }
    if (items.length === 0) return;
    const t0 = performance.now();
    for (const item of items) this.begin(item.msg);
    await this.runBatch(items, handler, t0);
  }

  /** Run one batch; on a failure that is not an outage, bisect it so that only the message(s) at fault get their own outcome. */
  private async runBatch(items: Array<Item<T>>, handler: BatchHandler<T>, t0: number): Promise<void> {
    const attempt = await this.attempt(items, () =>
      runInContext({ traceId: newTraceId() }, () => handler.handleBatch(items.map(({ payload, ctx }) => ({ payload, ctx })))),
    );
    if (attempt.kind === 'failed' && items.length > 1) {
      const half = Math.ceil(items.length / 2);
      this.opts.logger.warn(
        { err: attempt.error, batch: items.length },
        `a batch of ${items.length} failed; retrying it in halves to isolate the message at fault`,
      );
      await this.runBatch(items.slice(0, half), handler, t0);
      await this.runBatch(items.slice(half), handler, t0);
      return;
    }
    if (attempt.kind === 'ok') {
      // In one synchronous loop: the client queues every ack and sends them in one write (an await between acks made one write each).
      for (const item of items) this.settleAck(item.msg, item.ctx.jobId, t0);
      return;
    }
    const error = attempt.error;
    for (const item of items) {
      const outcome = this.outcomeOf(attempt, item.msg.info.deliveryCount);
      await runInContext({ traceId: item.ctx.traceId, jobId: item.ctx.jobId }, () =>
        this.settle(item.msg, outcome, item.ctx.jobId, error, t0),
      );
    }
  }

  /**
   * Run `fn`; while it fails with an outage, hold the message (or batch)
   * `holder`, pause pulling, and retry with capped backoff until it succeeds,
   * fails otherwise, the tolerance runs out, or the worker stops.
   */
  private async attempt(holder: object, fn: () => Promise<void>): Promise<Attempt> {
    let heldSince: number | null = null;
    let tries = 0;
    try {
      for (;;) {
        try {
          await fn();
          if (heldSince !== null) this.recovered.notify();
          return { kind: 'ok' };
        } catch (error) {
          if (this.abort.signal.aborted) return { kind: 'handed-back', error };
          const dependency = outageOf(error);
          if (dependency === null) return { kind: 'failed', error };
          if (this.stopping) return { kind: 'handed-back', error };
          const now = Date.now();
          if (heldSince === null) {
            heldSince = now;
            this.outageHolds++;
            this.opts.logger.warn(
              { err: error, dependency, tolerance_ms: this.outagePolicy.toleranceMs },
              `${dependency} unavailable; holding the work and retrying (not counted as a delivery)`,
            );
          }
          this.outages.hold(dependency, holder);
          tries++;
          const step = outageStep(tries, now - heldSince, this.outagePolicy);
          if (step.kind === 'give-up') return { kind: 'outage-exceeded', error, dependency };
          await Promise.race([sleep(step.delayMs, this.stopSignal.signal), this.recovered.wait()]);
          if (this.stopping) return { kind: 'handed-back', error };
          this.outages.retried(dependency);
          this.stats.outageRetries++;
        }
      }
    } finally {
      if (heldSince !== null) {
        this.outages.release(holder);
        this.outageHolds--;
        if (this.outageHolds === 0) this.opts.logger.info({ held_ms: Date.now() - heldSince }, 'outage over; pulling again');
        this.wake.notify();
      }
    }
  }

  private outcomeOf(attempt: Attempt, deliveryCount: number): AckOutcome {
    switch (attempt.kind) {
      case 'ok':
        return { kind: 'ack' };
      case 'failed':
        return outcomeForError(attempt.error, deliveryCount, this.opts.retry);
      case 'handed-back':
        return HAND_BACK;
      case 'outage-exceeded': {
        const reason = `${attempt.dependency} unavailable for longer than ${formatDuration(this.outagePolicy.toleranceMs)}: ${describeError(attempt.error)}`;
        // Events are facts retried until they apply: they go back to the server rather than to the dead letters.
        if (!Number.isFinite(this.opts.retry.maxDeliver))
          return { kind: 'nak', delayMs: backoffDelay(deliveryCount, this.opts.retry), reason };
        return { kind: 'dead', reason };
      }
    }
  }

  /** Carry out one outcome. If what must happen before a term (dead letter, failure event) cannot be published, nak instead. */
  private async settle(msg: JsMsg, outcome: AckOutcome, jobId: string | undefined, error: unknown, t0: number): Promise<void> {
    if (outcome.kind === 'ack') return this.settleAck(msg, jobId, t0);
    const log = this.opts.logger;
    this.stats.handled++;
    switch (outcome.kind) {
      case 'nak':
        log.warn(
          { err: error, delivery: msg.info.deliveryCount, retry_in_ms: outcome.delayMs },
          `transient failure, will retry: ${outcome.reason}`,
        );
        this.nak(msg, outcome.delayMs);
        this.end(t0, 'nak', jobId);
        return;
      case 'term':
      case 'dead': {
        const dead = outcome.kind === 'dead';
        const message = dead ? `max retries exceeded: ${outcome.reason}` : outcome.reason;
        try {
          if (dead) await this.deadLetter(msg, message);
          if (jobId && this.opts.failJobOnGiveUp) {
            const code = dead ? 'MAX_RETRIES_EXCEEDED' : isDomainError(error) ? error.code : 'INTERNAL';
            await this.deadLetters.failJob(jobId, { stage: this.opts.stage, code, message }, this.opts.workerId);
          }
        } catch (err) {
          log.warn({ err }, 'could not record the failure yet; handing the message back');
          this.nak(msg, this.opts.retry.baseDelayMs);
          this.end(t0, 'nak', jobId);
          return;
        }
        log.error({ err: error, delivery: msg.info.deliveryCount, outcome: outcome.kind }, message);
        this.finish(msg, message);
        if (dead) this.stats.deadLettered++;
        else this.stats.termed++;
        this.end(t0, outcome.kind, jobId);
        return;
      }
    }
  }

  /** The `ack` outcome: synchronous, so that a batch's acks go out together. */
  private settleAck(msg: JsMsg, jobId: string | undefined, t0: number): void {
    this.stats.handled++;
    this.ack(msg);
    this.stats.acked++;
    this.end(t0, 'ack', jobId);
  }

  /** A message of a failed or cancelled job: acked unhandled, counted, never dead-lettered. */
  private drop(msg: JsMsg, jobId: string | undefined): void {
    this.opts.logger.debug({ job_id: jobId }, 'job is failed or cancelled; dropping its message');
    const t0 = this.begin(msg);
    this.ack(msg);
    this.stats.dropped++;
    this.end(t0, 'dropped', jobId);
  }

  private async giveUpMalformed(msg: JsMsg, reason: string): Promise<void> {
    try {
      await this.deadLetter(msg, reason);
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not dead-letter a malformed message yet');
      this.nak(msg, this.opts.retry.baseDelayMs);
      return;
    }
    this.opts.logger.error({ subject: msg.subject }, reason);
    this.finish(msg, reason);
    this.stats.deadLettered++;
    this.end(this.begin(msg), 'dead', undefined);
  }

  /** After an unexpected throw (a bug, or a closed connection): hand back what is still in hand, so no message is heart-beaten forever. */
  private abandon(msgs: JsMsg[], err: unknown): void {
    const left = msgs.filter((m) => this.held.has(m));
    if (left.length === 0) return;
    this.opts.logger.error({ err, messages: left.length }, 'handling failed unexpectedly; handing the messages back');
    for (const msg of left) {
      try {
        this.nak(msg, this.opts.retry.baseDelayMs);
      } catch {
        this.letGo(msg);
      }
    }
  }

  private ack(msg: JsMsg): void {
    msg.ack();
    this.letGo(msg);
  }

  private nak(msg: JsMsg, delayMs: number): void {
    msg.nak(delayMs);
    this.stats.naked++;
    this.letGo(msg);
  }

  /** The message is settled: no more heartbeats, and its slot is free. */
  private letGo(msg: JsMsg): void {
    this.held.delete(msg);
    this.wake.notify();
  }

  /** Count a message as being handled; returns its start time for end(). */
  private begin(msg: JsMsg): number {
    this.opts.metrics?.sink.started(this.opts.metrics.consumer, msg.info.deliveryCount);
    return performance.now();
  }

  private end(t0: number, outcome: SettleOutcome, jobId: string | undefined): void {
    const m = this.opts.metrics;
    m?.sink.settled(m.consumer, outcome, (performance.now() - t0) / 1000, jobId, m.framesPerMessage);
  }

  /**
   * End a message that will not be retried, once its failure is recorded. A
   * server before 2.11 keeps a termed message in a WorkQueue stream forever,
   * so work messages are acked (the failure event and the dead letter carry
   * the reason); event messages are termed.
   */
  private finish(msg: JsMsg, reason: string): void {
    if (this.opts.kind !== null) msg.ack();
    else msg.term(reason.slice(0, 200));
    this.letGo(msg);
  }

  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    await this.deadLetters.write({
      kind: this.opts.kind ?? 'events',
      data: msg.data,
      subject: msg.subject,
      stream: msg.info.stream,
      streamSeq: msg.info.streamSequence,
      deliveries: msg.info.deliveryCount,
      reason,
      workerId: this.opts.workerId,
      jobId: headerValue(msg.headers, HEADERS.jobId),
    });
  }
}

/** Validation failures read as one line: `job_id: job id must be a lowercase uuid; input_key: ...`. */
function describeDecodeError(err: unknown): string {
  if (err instanceof ZodError) return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return describeError(err);
}

/** Wakes whoever waits: the pull loop when a slot frees, an outage ends or the worker stops; held work when the dependency is back. */
class Waker {
  private waiting: { promise: Promise<void>; resolve: () => void } | null = null;
  wait(): Promise<void> {
    if (!this.waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }
  notify(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.resolve();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
