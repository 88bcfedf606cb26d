import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { DomainError, type JobEvent } from '@framewire/contracts';
import pino from 'pino';
import type { OutagePolicy, RetryPolicy } from './ack-policy';
import type { Broker } from './broker';
import { OutageMonitor } from './outage-monitor';
import { type Delivery, type Handler, type HandlerContext, JetStreamWorker, type WorkerOptions } from './worker';

/**
 * The worker's ack decisions against a fake consumer and fake messages (no
 * server): every ack, nak, term and working() is recorded; a nak puts the
 * message back with one more delivery, as the server does.
 */

interface Payload {
  job_id: string;
  n: number;
}

const JOB = '00000000-0000-4000-8000-000000000001';
const OTHER_JOB = '00000000-0000-4000-8000-000000000002';
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });
const RETRY: RetryPolicy = { maxDeliver: 3, baseDelayMs: 10, maxDelayMs: 40 };
const OUTAGE: OutagePolicy = { toleranceMs: 60_000, baseDelayMs: 30, maxDelayMs: 60 };

class FakeMsg {
  readonly calls: string[] = [];
  workings = 0;
  constructor(
    readonly payload: Payload,
    readonly seq: number,
    readonly deliveryCount: number,
    private readonly consumer: FakeConsumer,
  ) {}
  get subject(): string {
    return 'fw.work.extract';
  }
  get data(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.payload));
  }
  get headers(): undefined {
    return undefined;
  }
  get info() {
    return { deliveryCount: this.deliveryCount, streamSequence: this.seq, stream: 'FW_WORK', pending: 0 };
  }
  json<T>(): T {
    return this.payload as T;
  }
  ack(): void {
    this.calls.push('ack');
  }
  term(reason?: string): void {
    this.calls.push(`term:${reason ?? ''}`);
  }
  nak(delay?: number): void {
    this.calls.push(`nak:${delay ?? 0}`);
    this.consumer.redeliver(this, delay ?? 0);
  }
  working(): void {
    this.workings++;
  }
}

/** A pull consumer: fetch() yields up to max_messages queued messages, waiting briefly for more when the queue is empty. */
class FakeConsumer {
  readonly queue: FakeMsg[] = [];
  readonly delivered: FakeMsg[] = [];
  readonly fetches: number[] = [];
  private seq = 0;
  private waiter: (() => void) | null = null;

  push(payload: Payload): FakeMsg {
    const msg = new FakeMsg(payload, ++this.seq, 1, this);
    this.enqueue(msg);
    return msg;
  }

  redeliver(msg: FakeMsg, delayMs: number): void {
    if (this.closed) return;
    setTimeout(() => this.enqueue(new FakeMsg(msg.payload, msg.seq, msg.deliveryCount + 1, this)), delayMs);
  }

  closed = false;

  private enqueue(msg: FakeMsg): void {
    this.queue.push(msg);
    this.waiter?.();
  }

  fetch(opts: { max_messages: number }): Promise<ConsumerMessages> {
    this.fetches.push(opts.max_messages);
    let done = false;
    const gen = async function* (self: FakeConsumer): AsyncGenerator<JsMsg> {
      let given = 0;
      const until = Date.now() + 50;
      while (!done && given < opts.max_messages && Date.now() < until) {
        const next = self.queue.shift();
        if (next) {
          given++;
          self.delivered.push(next);
          yield next as unknown as JsMsg;
          continue;
        }
        await new Promise<void>((r) => {
          self.waiter = r;
          setTimeout(r, 10);
        });
      }
    };
    const it = gen(this);
    return Promise.resolve(
      Object.assign(it, {
        close: () => {
          done = true;
          return Promise.resolve();
        },
      }) as unknown as ConsumerMessages,
    );
  }
}

function fakeBroker() {
  const published: Array<{ subject: string; headers: Record<string, string> }> = [];
  const events: JobEvent[] = [];
  const broker = {
    publish: (subject: string, _data: unknown, opts: { headers?: Record<string, string> }) => {
      published.push({ subject, headers: opts.headers ?? {} });
      return Promise.resolve({ duplicate: false });
    },
    publishEvent: (event: JobEvent) => {
      events.push(event);
      return Promise.resolve({ duplicate: false });
    },
  };
  return { broker: broker as unknown as Broker, published, events };
}

const decoder = {
  decode: (m: JsMsg) => m.json<Payload>(),
  jobIdOf: (p: Payload) => p.job_id,
};

function setup(handler: Handler<Payload>, opts: Partial<WorkerOptions> = {}) {
  const consumer = new FakeConsumer();
  const { broker, published, events } = fakeBroker();
  const outages = new OutageMonitor();
  const worker = new JetStreamWorker<Payload>(handler, {
    stage: 'extractor',
    kind: 'extract',
    workerId: 'w1',
    broker,
    consumer: consumer as unknown as Consumer,
    retry: RETRY,
    logger,
    heartbeatMs: 10,
    failJobOnGiveUp: true,
    outage: OUTAGE,
    outages,
    ...opts,
  });
  return { consumer, worker, published, events, outages };
}

function single(handle: (p: Payload, ctx: HandlerContext) => Promise<void>, concurrency = 1): Handler<Payload> {
  return { mode: 'single', concurrency, ...decoder, handle };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outage = (code: 'DATABASE_UNAVAILABLE' | 'STORAGE_UNAVAILABLE' | 'BROKER_UNAVAILABLE' = 'DATABASE_UNAVAILABLE') =>
  new DomainError(code, `${code.toLowerCase()}: connect ECONNREFUSED`);

describe('JetStreamWorker (fake consumer)', () => {
  let running: JetStreamWorker<Payload> | null = null;
  afterEach(async () => {
    await running?.stop(500);
    running = null;
  });

  it('acks a handled message', async () => {
    const t = setup(single(() => Promise.resolve()));
    running = t.worker;
    const msg = t.consumer.push({ job_id: JOB, n: 1 });
    await t.worker.start();
    await until(() => msg.calls.length > 0);
    expect(msg.calls).toEqual(['ack']);
    expect(t.worker.stats).toMatchObject({ acked: 1, naked: 0 });
  });

  it('holds a message through an outage and retries it in-process: no nak, no delivery spent, heart-beaten meanwhile', async () => {
    const seen: number[] = [];
    let down = true;
    const t = setup(
      single(async (_p, ctx) => {
        seen.push(ctx.deliveryCount);
        if (down) throw outage();
      }, 2),
    );
    running = t.worker;
    const msg = t.consumer.push({ job_id: JOB, n: 1 });
    await t.worker.start();
    await until(() => seen.length >= 3);
    expect(t.worker.paused).toBe(true);
    expect(t.outages.current()).toEqual([expect.objectContaining({ dependency: 'database', held: 1 })]);
    expect(() => t.outages.check()).toThrow(/^paused: database unavailable since \d{4}-/);
    // Paused: a second message is not pulled although a slot is free.
    const second = t.consumer.push({ job_id: JOB, n: 2 });
    await sleep(150);
    expect(second.calls).toEqual([]);
    expect(t.consumer.delivered).not.toContain(second);
    down = false;
    await until(() => msg.calls.length > 0 && second.calls.length > 0);
    expect(msg.calls).toEqual(['ack']);
    expect(second.calls).toEqual(['ack']);
    expect(seen.every((d) => d === 1)).toBe(true);
    expect(msg.workings).toBeGreaterThan(3);
    expect(t.worker.stats.outageRetries).toBeGreaterThanOrEqual(2);
    expect(t.worker.stats.naked).toBe(0);
    expect(t.worker.paused).toBe(false);
    expect(t.outages.current()).toEqual([]);
  });

  it('retries every held message at once when one of them gets through (the dependency is back)', async () => {
    let down = true;
    const attempts = new Map<number, number>();
    const done = new Map<number, number>();
    const t = setup(
      single(async (p) => {
        const n = (attempts.get(p.n) ?? 0) + 1;
        attempts.set(p.n, n);
        // The second message meets the outage later, so the two backoff schedules differ.
        if (p.n === 2 && n === 1) await sleep(1500);
        if (down) throw outage();
        done.set(p.n, Date.now());
      }, 2),
      { outage: { toleranceMs: 60_000, baseDelayMs: 20, maxDelayMs: 5000 } },
    );
    running = t.worker;
    t.consumer.push({ job_id: JOB, n: 1 });
    t.consumer.push({ job_id: JOB, n: 2 });
    await t.worker.start();
    // The first message's retries at 20, 60, 140, 300, 620, 1260, 2540, 5100 ms: its next is 5 s away.
    await until(() => (attempts.get(1) ?? 0) >= 9, 10_000);
    down = false;
    const t0 = Date.now();
    await until(() => done.size === 2, 10_000);
    // The second gets through on its own schedule (~1.5 s later) and wakes the first, which would otherwise sit out its 5 s.
    expect(Math.max(...done.values()) - t0).toBeLessThan(3500);
  }, 20_000);

  it('gives an outage up like a dead message once it outlasts the tolerance', async () => {
    let calls = 0;
    const t = setup(
      single(async () => {
        calls++;
        throw outage('STORAGE_UNAVAILABLE');
      }),
      { outage: { toleranceMs: 200, baseDelayMs: 20, maxDelayMs: 50 } },
    );
    running = t.worker;
    const msg = t.consumer.push({ job_id: JOB, n: 1 });
    await t.worker.start();
    await until(() => msg.calls.length > 0);
    expect(msg.calls).toEqual(['ack']); // a work message given up is acked after its dead letter and failure event
    expect(calls).toBeGreaterThan(3);
    expect(t.published).toHaveLength(1);
    expect(t.published[0]?.headers['Fw-Dlq-Reason']).toMatch(
      /^max retries exceeded: storage unavailable for longer than 200 ms: storage_unavailable: connect ECONNREFUSED$/,
    );
    expect(t.events).toEqual([expect.objectContaining({ type: 'failed', job_id: JOB, error_code: 'MAX_RETRIES_EXCEEDED' })]);
    expect(t.worker.stats).toMatchObject({ deadLettered: 1, naked: 0 });
    expect(t.outages.current()).toEqual([]);
  });

  it('counts a fault of the message itself toward max_deliver: nak with backoff, then dead-letter', async () => {
    const seen: number[] = [];
    const t = setup(
      single(async (_p, ctx) => {
        seen.push(ctx.deliveryCount);
        throw new DomainError('TIMEOUT', 'model took too long');
      }),
    );
    running = t.worker;
    t.consumer.push({ job_id: JOB, n: 1 });
    await t.worker.start();
    await until(() => t.worker.stats.deadLettered === 1);
    expect(seen).toEqual([1, 2, 3]);
    const [first, second, third] = t.consumer.delivered;
    expect(first?.calls).toEqual(['nak:10']);
    expect(second?.calls).toEqual(['nak:20']);
    expect(third?.calls).toEqual(['ack']);
    expect(t.events).toEqual([expect.objectContaining({ error_message: 'max retries exceeded: model took too long' })]);
  });

  it('ends a permanent failure at once with the job failed by its code', async () => {
    const t = setup(single(() => Promise.reject(new DomainError('INVALID_VIDEO', 'file is not a video'))));
    running = t.worker;
    const msg = t.consumer.push({ job_id: JOB, n: 1 });
    await t.worker.start();
    await until(() => msg.calls.length > 0);
    expect(msg.calls).toEqual(['ack']);
    expect(t.published).toEqual([]);
    expect(t.events).toEqual([expect.objectContaining({ error_code: 'INVALID_VIDEO', error_message: 'file is not a video' })]);
    expect(t.worker.stats.termed).toBe(1);
  });

  it('drops the message of a stopped (failed or cancelled) job without handling it', async () => {
    let calls = 0;
    const t = setup(
      single(async () => {
        calls++;
      }),
      { stoppedJobs: { isStopped: (id) => id === OTHER_JOB } },
    );
    running = t.worker;
    const dropped = t.consumer.push({ job_id: OTHER_JOB, n: 1 });
    const live = t.consumer.push({ job_id: JOB, n: 2 });
    await t.worker.start();
    await until(() => dropped.calls.length > 0 && live.calls.length > 0);
    expect(dropped.calls).toEqual(['ack']);
    expect(calls).toBe(1);
    expect(t.worker.stats).toMatchObject({ dropped: 1, acked: 1, deadLettered: 0 });
    expect(t.published).toEqual([]);
    expect(t.events).toEqual([]);
  });

  it('hands a message held through an outage back at once on stop', async () => {
    const t = setup(single(() => Promise.reject(outage('BROKER_UNAVAILABLE'))));
    const msg = t.consumer.push({ job_id: JOB, n: 1 });
    await t.worker.start();
    await until(() => t.worker.paused);
    const t0 = Date.now();
    await t.worker.stop(10_000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(msg.calls).toEqual(['nak:0']);
    expect(t.outages.current()).toEqual([]);
    expect(t.worker.heldCount).toBe(0);
  });

  it('pulls no more than its free slots', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = setup(single(() => gate, 2));
    running = t.worker;
    for (let n = 0; n < 5; n++) t.consumer.push({ job_id: JOB, n });
    await t.worker.start();
    await sleep(150);
    expect(t.consumer.delivered).toHaveLength(2);
    expect(Math.max(...t.consumer.fetches)).toBeLessThanOrEqual(2);
    release();
    await until(() => t.worker.stats.acked === 5);
  });

  describe('batches', () => {
    function batch(handleBatch: (items: Array<Delivery<Payload>>) => Promise<void>, maxBatch = 8, inFlight?: number): Handler<Payload> {
      return { mode: 'batch', maxBatch, maxWaitMs: 20, inFlight, ...decoder, handleBatch };
    }

    /** A handler whose calls wait until released one by one; records what each call got. */
    function gated() {
      const calls: Array<{ ns: number[]; release: () => void; fail: (err: unknown) => void }> = [];
      const handle = (items: Array<Delivery<Payload>>) =>
        new Promise<void>((release, fail) => calls.push({ ns: items.map((i) => i.payload.n), release: () => release(), fail }));
      return { calls, handle };
    }

    it('with inFlight 2 writes the next batch while the previous one is still in the handler; each batch is acked when its handler resolves', async () => {
      const g = gated();
      const t = setup(batch(g.handle, 4, 2));
      running = t.worker;
      const msgs = Array.from({ length: 16 }, (_, n) => t.consumer.push({ job_id: JOB, n }));
      await t.worker.start();
      await until(() => g.calls.length === 2);
      expect(g.calls.map((c) => c.ns)).toEqual([
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ]);
      // Two batches in the handler and one filling: nothing more is pulled, and nothing is acked yet.
      await until(() => t.worker.heldCount === 12);
      await sleep(60);
      expect(t.worker.heldCount).toBe(12);
      expect(g.calls).toHaveLength(2);
      expect(msgs.flatMap((m) => m.calls)).toEqual([]);
      expect(msgs[11]!.workings).toBeGreaterThan(0);
      // The second batch commits first: only its messages are acked, and the waiting batch takes its slot.
      g.calls[1]!.release();
      await until(() => g.calls.length === 3);
      expect(msgs.slice(4, 8).map((m) => m.calls)).toEqual([['ack'], ['ack'], ['ack'], ['ack']]);
      expect(msgs.slice(0, 4).flatMap((m) => m.calls)).toEqual([]);
      expect(g.calls[2]!.ns).toEqual([8, 9, 10, 11]);
      g.calls[0]!.release();
      await until(() => g.calls.length === 4);
      g.calls[2]!.release();
      g.calls[3]!.release();
      await until(() => t.worker.stats.acked === 16);
      for (const m of msgs) expect(m.calls).toEqual(['ack']);
    });

    it("acks a committed batch's messages in one synchronous run (the client sends them in one write)", async () => {
      const t = setup(batch(() => Promise.resolve(), 8));
      running = t.worker;
      let tick = 0;
      let scheduled = false;
      const ticks: number[] = [];
      const msgs = Array.from({ length: 8 }, (_, n) => t.consumer.push({ job_id: JOB, n }));
      for (const m of msgs) {
        const ack = m.ack.bind(m);
        m.ack = () => {
          ack();
          ticks.push(tick);
          // A microtask boundary between two acks is where the NATS client flushes: it must not fall inside the batch.
          if (!scheduled) {
            scheduled = true;
            queueMicrotask(() => {
              tick++;
              scheduled = false;
            });
          }
        };
      }
      await t.worker.start();
      await until(() => t.worker.stats.acked === 8);
      expect(new Set(ticks).size).toBe(1);
    });

    it('with the default inFlight 1 never runs two batches at once', async () => {
      let inHandler = 0;
      let most = 0;
      const t = setup(
        batch(async () => {
          most = Math.max(most, ++inHandler);
          await sleep(15);
          inHandler--;
        }, 3),
      );
      running = t.worker;
      for (let n = 0; n < 12; n++) t.consumer.push({ job_id: JOB, n });
      await t.worker.start();
      await until(() => t.worker.stats.acked === 12);
      expect(most).toBe(1);
      expect(t.worker.heldCount).toBe(0);
    });

    it('with inFlight 2, a batch that fails is bisected on its own while the other commits; stop waits for both', async () => {
      const g = gated();
      const t = setup(batch(g.handle, 4, 2));
      running = t.worker;
      const msgs = Array.from({ length: 8 }, (_, n) => t.consumer.push({ job_id: JOB, n }));
      await t.worker.start();
      await until(() => g.calls.length === 2);
      g.calls[0]!.fail(new Error('value too long for this column'));
      // The failed batch comes back in halves, one after the other; the other batch stays in its handler meanwhile.
      await until(() => g.calls.length === 3);
      expect(g.calls[2]!.ns).toEqual([0, 1]);
      g.calls[2]!.release();
      await until(() => g.calls.length === 4);
      expect(g.calls[3]!.ns).toEqual([2, 3]);
      g.calls[3]!.release();
      await until(() => msgs[3]!.calls.length === 1);
      expect(msgs.slice(0, 4).map((m) => m.calls)).toEqual([['ack'], ['ack'], ['ack'], ['ack']]);
      const stopped = t.worker.stop(2000);
      running = null;
      await sleep(30);
      expect(msgs.slice(4).flatMap((m) => m.calls)).toEqual([]); // the other batch is still in its handler: not acked, not handed back
      g.calls[1]!.release();
      await stopped;
      expect(msgs.map((m) => m.calls)).toEqual(msgs.map(() => ['ack']));
    });

    it('isolates the one bad message by bisection: the others commit, only it is retried against its budget', async () => {
      const committed = new Set<number>();
      const sizes: number[] = [];
      const t = setup(
        batch(async (items) => {
          sizes.push(items.length);
          if (items.some((i) => i.payload.n === 5)) throw new Error('value too long for this column');
          for (const i of items) committed.add(i.payload.n);
        }),
      );
      running = t.worker;
      const msgs = Array.from({ length: 8 }, (_, n) => t.consumer.push({ job_id: JOB, n }));
      await t.worker.start();
      await until(() => t.worker.stats.deadLettered === 1);
      expect([...committed].sort()).toEqual([0, 1, 2, 3, 4, 6, 7]);
      for (const m of msgs.filter((m) => m.payload.n !== 5)) expect(m.calls).toEqual(['ack']);
      expect(msgs[5]?.calls).toEqual(['nak:10']);
      const bad = t.consumer.delivered.filter((m) => m.payload.n === 5).map((m) => [m.deliveryCount, m.calls]);
      expect(bad).toEqual([
        [1, ['nak:10']],
        [2, ['nak:20']],
        [3, ['ack']],
      ]);
      expect(sizes.slice(0, 4)).toEqual([8, 4, 4, 2]);
      expect(t.events).toEqual([expect.objectContaining({ type: 'failed', error_code: 'MAX_RETRIES_EXCEEDED' })]);
    });

    it('holds and retries the whole batch through an outage, heart-beating every message, and acks them all', async () => {
      let down = true;
      let calls = 0;
      const t = setup(
        batch(async () => {
          calls++;
          if (down) throw outage();
        }, 4),
      );
      running = t.worker;
      const msgs = Array.from({ length: 6 }, (_, n) => t.consumer.push({ job_id: JOB, n }));
      await t.worker.start();
      await until(() => calls >= 3);
      // The first batch is held; the second waits for it, heart-beaten, and nothing more is pulled.
      expect(t.worker.heldCount).toBe(6);
      const waiting = msgs[5]!;
      const before = waiting.workings;
      await sleep(60);
      expect(waiting.workings).toBeGreaterThan(before);
      const extra = t.consumer.push({ job_id: JOB, n: 6 });
      await sleep(100);
      expect(t.consumer.delivered).not.toContain(extra);
      down = false;
      await until(() => t.worker.stats.acked === 7);
      for (const m of [...msgs, extra]) expect(m.calls).toEqual(['ack']);
      expect(t.worker.stats.naked).toBe(0);
    });

    it('acks the stopped jobs of a batch unhandled and hands the rest to the handler', async () => {
      const handled: number[] = [];
      const t = setup(
        batch(async (items) => {
          handled.push(...items.map((i) => i.payload.n));
        }),
        { stoppedJobs: { isStopped: (id) => id === OTHER_JOB } },
      );
      running = t.worker;
      t.consumer.push({ job_id: JOB, n: 0 });
      t.consumer.push({ job_id: OTHER_JOB, n: 1 });
      t.consumer.push({ job_id: JOB, n: 2 });
      await t.worker.start();
      await until(() => t.worker.stats.acked + t.worker.stats.dropped === 3);
      expect(handled.sort()).toEqual([0, 2]);
      expect(t.worker.stats.dropped).toBe(1);
    });
  });
});
