import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { ZodError } from 'zod';
import { describeError, HEADERS, isDomainError, makeEvent, type WorkKind } from '@framewire/contracts';
import type { Metrics, SettleOutcome } from '@framewire/observability';
import { newTraceId, runInContext, type Logger } from '@framewire/runtime';
import { type AckOutcome, outcomeForError, type RetryPolicy } from './ack-policy';
import { type Broker, headerValue } from './broker';
import { type DeadLetterBodyStore, publishDeadLetter } from './dead-letter';

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
  /** All or nothing: resolve and every message is acked, throw and every one gets that outcome. */
  handleBatch(items: Array<Delivery<T>>): Promise<void>;
}

export type Handler<T> = SingleHandler<T> | BatchHandler<T>;

export interface WorkerOptions {
  stage: 'intake' | 'extractor' | 'inference' | 'persister' | 'status';
  /** The work kind, for dead letters and failure events; null for the events consumer. */
  kind: WorkKind | null;
  workerId: string;
  broker: Broker;
  consumer: Consumer;
  retry: RetryPolicy;
  logger: Logger;
  /** Interval of working() calls while a handler runs. */
  heartbeatMs: number;
  /** Publish a `failed` job event when a message of this consumer is termed or dead-lettered. */
  failJobOnGiveUp: boolean;
  /** Where large dead-letter bodies go (the object store), so FW_DLQ keeps references; absent: inline. */
  deadLetterBodies?: DeadLetterBodyStore | null;
  /** Where to count messages, redeliveries, latencies and frames; `framesPerMessage` is 0 for job-level work. */
  metrics?: { sink: Metrics; consumer: string; framesPerMessage: number };
}

export interface WorkerStats {
  handled: number;
  acked: number;
  naked: number;
  termed: number;
  deadLettered: number;
  inFlight: number;
}

/**
 * Pulls from one durable consumer and ends every message deliberately:
 * ack, nak(backoff), term(reason), or dead-letter then term.
 */
export class JetStreamWorker<T> {
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopping = false;
  readonly stats: WorkerStats = { handled: 0, acked: 0, naked: 0, termed: 0, deadLettered: 0, inFlight: 0 };

  constructor(
    private readonly handler: Handler<T>,
    private readonly opts: WorkerOptions,
  ) {}

  async start(): Promise<void> {
    const prefetch = this.handler.mode === 'single' ? Math.max(1, this.handler.concurrency) : this.handler.maxBatch * 2;
    this.messages = await this.opts.consumer.consume({ max_messages: prefetch });
    this.loop = this.handler.mode === 'single' ? this.runSingle(this.messages, this.handler) : this.runBatches(this.messages, this.handler);
    this.loop.catch((err: unknown) => this.opts.logger.fatal({ err }, 'consumer loop crashed'));
  }

  /** Stop pulling, let in-flight work finish within the timeout, then abort what is left (it goes back to the stream). */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.messages?.close();
    const settled = Promise.allSettled([...this.inFlight]);
    const timedOut = await Promise.race([settled.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      this.opts.logger.warn({ in_flight: this.inFlight.size }, 'in-flight work did not finish in time; handing it back');
      this.abort.abort();
      await Promise.race([Promise.allSettled([...this.inFlight]), sleep(2000)]);
    }
    await this.loop?.catch(() => undefined);
  }

  private async runSingle(messages: ConsumerMessages, handler: SingleHandler<T>): Promise<void> {
    const slots = new Semaphore(Math.max(1, handler.concurrency));
    for await (const msg of messages) {
      if (this.stopping) {
        msg.nak();
        continue;
      }
      await slots.acquire();
      const task = this.processOne(msg, handler).finally(() => slots.release());
      this.track(task);
    }
  }

  private async runBatches(messages: ConsumerMessages, handler: BatchHandler<T>): Promise<void> {
    let batch: JsMsg[] = [];
    let timer: NodeJS.Timeout | null = null;
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const items = batch;
      batch = [];
      if (items.length === 0) return;
      flushing = flushing.then(() => this.processBatch(items, handler));
      this.track(flushing);
    };
    for await (const msg of messages) {
      if (this.stopping) {
        msg.nak();
        continue;
      }
      batch.push(msg);
      if (batch.length >= handler.maxBatch) {
        flush();
        // Backpressure: don't pull further ahead than one batch in the database.
        await flushing;
      } else if (!timer) {
        timer = setTimeout(flush, handler.maxWaitMs);
      }
    }
    flush();
    await flushing;
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    this.stats.inFlight = this.inFlight.size;
    void task.finally(() => {
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

  private async processOne(msg: JsMsg, handler: SingleHandler<T>): Promise<void> {
    const decoded = this.decode(msg);
    if (!decoded.ok) return this.giveUpMalformed(msg, decoded.reason);
    const ctx = this.contextFor(msg, decoded.jobId);
    const t0 = this.begin(msg);
    await runInContext({ traceId: ctx.traceId, jobId: ctx.jobId }, async () => {
      msg.working();
      const heartbeat = setInterval(() => msg.working(), this.opts.heartbeatMs);
      let outcome: AckOutcome;
      let error: unknown = null;
      try {
        await handler.handle(decoded.payload, ctx);
        outcome = { kind: 'ack' };
      } catch (err) {
        error = err;
        outcome = this.abort.signal.aborted
          ? { kind: 'nak', delayMs: 0, reason: 'worker shutting down' }
          : outcomeForError(err, msg.info.deliveryCount, this.opts.retry);
      } finally {
        clearInterval(heartbeat);
      }
      await this.settle(msg, outcome, decoded.jobId, error, t0);
    });
  }

  private async processBatch(msgs: JsMsg[], handler: BatchHandler<T>): Promise<void> {
    const items: Array<Delivery<T> & { msg: JsMsg }> = [];
    for (const msg of msgs) {
      const decoded = this.decode(msg);
      if (!decoded.ok) await this.giveUpMalformed(msg, decoded.reason);
      else items.push({ msg, payload: decoded.payload, ctx: this.contextFor(msg, decoded.jobId) });
    }
    if (items.length === 0) return;
    const t0 = performance.now();
    for (const item of items) this.begin(item.msg);
    const heartbeat = setInterval(() => items.forEach((i) => i.msg.working()), this.opts.heartbeatMs);
    try {
      await runInContext({ traceId: newTraceId() }, () => handler.handleBatch(items.map(({ payload, ctx }) => ({ payload, ctx }))));
      clearInterval(heartbeat);
      for (const item of items) await this.settle(item.msg, { kind: 'ack' }, item.ctx.jobId, null, t0);
    } catch (err) {
      clearInterval(heartbeat);
      for (const item of items) {
        const outcome = outcomeForError(err, item.msg.info.deliveryCount, this.opts.retry);
        await runInContext({ traceId: item.ctx.traceId, jobId: item.ctx.jobId }, () =>
          this.settle(item.msg, outcome, item.ctx.jobId, err, t0),
        );
      }
    }
  }

  /** Carry out one outcome. If what must happen before a term (dead letter, failure event) cannot be published, nak instead. */
  private async settle(msg: JsMsg, outcome: AckOutcome, jobId: string | undefined, error: unknown, t0: number): Promise<void> {
    const log = this.opts.logger;
    this.stats.handled++;
    switch (outcome.kind) {
      case 'ack':
        msg.ack();
        this.stats.acked++;
        this.end(t0, 'ack', jobId);
        return;
      case 'nak':
        log.warn(
          { err: error, delivery: msg.info.deliveryCount, retry_in_ms: outcome.delayMs },
          `transient failure, will retry: ${outcome.reason}`,
        );
        msg.nak(outcome.delayMs);
        this.stats.naked++;
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
            await this.opts.broker.publishEvent(
              makeEvent('failed', jobId, {
                stage: this.opts.stage,
                error_code: code,
                error_message: message,
                worker_id: this.opts.workerId,
              }),
            );
          }
        } catch (err) {
          log.warn({ err }, 'could not record the failure yet; handing the message back');
          msg.nak(this.opts.retry.baseDelayMs);
          this.stats.naked++;
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

  private async giveUpMalformed(msg: JsMsg, reason: string): Promise<void> {
    try {
      await this.deadLetter(msg, reason);
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not dead-letter a malformed message yet');
      msg.nak(this.opts.retry.baseDelayMs);
      return;
    }
    this.opts.logger.error({ subject: msg.subject }, reason);
    this.finish(msg, reason);
    this.stats.deadLettered++;
    this.end(this.begin(msg), 'dead', undefined);
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
  }

  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    await publishDeadLetter(
      this.opts.broker,
      {
        kind: this.opts.kind ?? 'events',
        data: msg.data,
        subject: msg.subject,
        stream: msg.info.stream,
        streamSeq: msg.info.streamSequence,
        deliveries: msg.info.deliveryCount,
        reason,
        workerId: this.opts.workerId,
        jobId: headerValue(msg.headers, HEADERS.jobId),
      },
      this.opts.deadLetterBodies,
    );
  }
}

/** Validation failures read as one line: `job_id: job id must be a lowercase uuid; input_key: ...`. */
function describeDecodeError(err: unknown): string {
  if (err instanceof ZodError) return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return describeError(err);
}

class Semaphore {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
