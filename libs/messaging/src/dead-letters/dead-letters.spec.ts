import { createHash } from 'node:crypto';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { DomainError, dlqSubject, HEADERS, STREAMS, WORK_SUBJECTS, type JobEvent } from '@framewire/contracts';
import pino from 'pino';
import type { Broker } from '../broker';
import { DLQ_HEADERS, DLQ_INLINE_MAX_BYTES, type DeadLetterBodyStore } from './dead-letter';
import { DeadLetters } from './dead-letters';

/**
 * DeadLetters against an in-memory broker (FW_WORK and FW_DLQ as sequences of
 * stored messages, no server) and an in-memory body store.
 */

const JOB = '00000000-0000-4000-8000-000000000001';
const logger = pino({ level: process.env.FW_TEST_LOG ?? 'silent' });

interface Stored {
  seq: number;
  subject: string;
  data: Uint8Array;
  header: MsgHdrs;
  time: Date;
}

function fakeBroker() {
  const streams: Record<string, Stored[]> = { [STREAMS.work]: [], [STREAMS.dlq]: [] };
  const lastSeq: Record<string, number> = { [STREAMS.work]: 0, [STREAMS.dlq]: 0 };
  const events: JobEvent[] = [];
  const streamOf = (subject: string) => (subject.startsWith('fw.work.') ? STREAMS.work : STREAMS.dlq);
  const append = (subject: string, data: Uint8Array | string, h: Record<string, string>): Stored => {
    const stream = streamOf(subject);
    const header = natsHeaders();
    for (const [k, v] of Object.entries(h)) header.set(k, v);
    const msg = { seq: ++lastSeq[stream]!, subject, data: typeof data === 'string' ? Buffer.from(data) : data, header, time: new Date() };
    streams[stream]!.push(msg);
    return msg;
  };
  const find = (stream: string, seq: number) => {
    const msg = streams[stream]!.find((m) => m.seq === seq);
    if (!msg) throw new Error('no message found');
    return msg;
  };
  const broker = {
    publish: (subject: string, data: Uint8Array | string, opts: { jobId?: string; headers?: Record<string, string> }) => {
      append(subject, data, { ...opts.headers, ...(opts.jobId ? { [HEADERS.jobId]: opts.jobId } : {}) });
      return Promise.resolve({ duplicate: false });
    },
    publishEvent: (event: JobEvent) => {
      events.push(event);
      return Promise.resolve({ duplicate: false });
    },
    jsm: {
      streams: {
        getMessage: (stream: string, q: { seq: number }) => Promise.resolve().then(() => find(stream, q.seq)),
        deleteMessage: (stream: string, seq: number) =>
          Promise.resolve().then(() => {
            streams[stream]!.splice(streams[stream]!.indexOf(find(stream, seq)), 1);
            return true;
          }),
        info: (stream: string, opts?: { subjects_filter?: string }) => {
          const msgs = streams[stream]!;
          const subjects: Record<string, number> = {};
          const prefix = opts?.subjects_filter?.replace(/>$/, '');
          for (const m of msgs)
            if (prefix !== undefined && m.subject.startsWith(prefix)) subjects[m.subject] = (subjects[m.subject] ?? 0) + 1;
          return Promise.resolve({
            state: { first_seq: msgs[0]?.seq ?? lastSeq[stream]! + 1, last_seq: lastSeq[stream]!, subjects: prefix ? subjects : undefined },
          });
        },
      },
    },
  };
  return { broker: broker as unknown as Broker, streams, events, append };
}

function fakeBodies() {
  const objects = new Map<string, Buffer>();
  const bodies: DeadLetterBodyStore = {
    put: (key, body) => {
      objects.set(key, body);
      return Promise.resolve({ size: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') });
    },
    getBytes: (key) => {
      const body = objects.get(key);
      return body ? Promise.resolve(body) : Promise.reject(new DomainError('NOT_FOUND', `object ${key} not found`));
    },
    delete: (key) => {
      objects.delete(key);
      return Promise.resolve();
    },
  };
  return { bodies, objects };
}

function setup(withStore = true) {
  const b = fakeBroker();
  const s = fakeBodies();
  const dead = new DeadLetters(b.broker, withStore ? s.bodies : null, { workerId: 'status-1', logger });
  return { ...b, ...s, dead };
}

const letter = (data: Uint8Array, over: Partial<{ streamSeq: number; subject: string; jobId: string | undefined }> = {}) => ({
  kind: 'infer' as const,
  data,
  subject: over.subject ?? WORK_SUBJECTS.infer,
  stream: STREAMS.work,
  streamSeq: over.streamSeq ?? 7,
  deliveries: 4,
  reason: 'max retries exceeded: the plugin crashed\non this frame',
  jobId: 'jobId' in over ? over.jobId : JOB,
});

describe('DeadLetters', () => {
  it('keeps a small body inside the dead letter, with why, where from and who', async () => {
    const t = setup();
    await t.dead.write(letter(Buffer.from('{"v":1}')));
    const [d] = t.streams[STREAMS.dlq]!;
    expect(d!.subject).toBe(dlqSubject('infer'));
    expect(Buffer.from(d!.data).toString()).toBe('{"v":1}');
    expect(d!.header.get(DLQ_HEADERS.reason)).toBe('max retries exceeded: the plugin crashed on this frame');
    expect(d!.header.get(DLQ_HEADERS.subject)).toBe(WORK_SUBJECTS.infer);
    expect(d!.header.get(DLQ_HEADERS.streamSeq)).toBe('7');
    expect(d!.header.get(DLQ_HEADERS.deliveries)).toBe('4');
    expect(d!.header.get(DLQ_HEADERS.worker)).toBe('status-1');
    expect(d!.header.get(DLQ_HEADERS.bodyRef)).toBe('');
    expect(t.objects.size).toBe(0);
  });

  it('stores a body over 4 KiB in the object store under dlq/<job>/ and keeps a reference', async () => {
    const t = setup();
    const body = Buffer.alloc(DLQ_INLINE_MAX_BYTES + 1, 7);
    await t.dead.write({ ...letter(body), workerId: 'inference-2' });
    const [d] = t.streams[STREAMS.dlq]!;
    expect(d!.data.byteLength).toBe(0);
    expect(d!.header.get(DLQ_HEADERS.bodyRef)).toBe(`dlq/${JOB}/${STREAMS.work}-7`);
    expect(d!.header.get(DLQ_HEADERS.bodySize)).toBe(String(body.byteLength));
    expect(d!.header.get(DLQ_HEADERS.worker)).toBe('inference-2');
    expect(Buffer.compare(t.objects.get(`dlq/${JOB}/${STREAMS.work}-7`)!, body)).toBe(0);
  });

  it('keeps a large body inline when the process has no object store', async () => {
    const t = setup(false);
    await t.dead.write(letter(Buffer.alloc(DLQ_INLINE_MAX_BYTES + 1)));
    expect(t.streams[STREAMS.dlq]![0]!.data.byteLength).toBe(DLQ_INLINE_MAX_BYTES + 1);
  });

  it('fails a job with a failed event naming the stage, code and worker', async () => {
    const t = setup();
    await t.dead.failJob(JOB, { stage: 'extractor', code: 'INVALID_VIDEO', message: 'not a video' });
    expect(t.events).toEqual([
      expect.objectContaining({
        type: 'failed',
        job_id: JOB,
        stage: 'extractor',
        error_code: 'INVALID_VIDEO',
        error_message: 'not a video',
        worker_id: 'status-1',
      }),
    ]);
  });

  describe('a MAX_DELIVERIES advisory', () => {
    const adv = (seq: number, stream: string = STREAMS.work) => ({
      type: 'io.nats.jetstream.advisory.v1.max_deliver' as const,
      stream,
      consumer: 'inference',
      stream_seq: seq,
      deliveries: 5,
    });

    it('dead-letters the unsettled work message, fails its job and takes it out of the work queue', async () => {
      const t = setup();
      const work = t.append(WORK_SUBJECTS.infer, Buffer.from('frame'), { [HEADERS.jobId]: JOB });
      await t.dead.giveUpUnsettled(adv(work.seq));
      expect(t.streams[STREAMS.work]).toEqual([]);
      const [d] = t.streams[STREAMS.dlq]!;
      expect(d!.subject).toBe(dlqSubject('infer'));
      expect(Buffer.from(d!.data).toString()).toBe('frame');
      expect(d!.header.get(HEADERS.jobId)).toBe(JOB);
      expect(d!.header.get(DLQ_HEADERS.deliveries)).toBe('5');
      expect(t.events).toEqual([
        expect.objectContaining({
          type: 'failed',
          job_id: JOB,
          stage: 'inference',
          error_code: 'MAX_RETRIES_EXCEEDED',
          error_message: expect.stringMatching(/^max retries exceeded: delivered 5 times without being settled/),
        }),
      ]);
    });

    it('does nothing when the message is gone (settled, or handled by another replica) or not work', async () => {
      const t = setup();
      await t.dead.giveUpUnsettled(adv(42));
      await t.dead.giveUpUnsettled(adv(1, STREAMS.events));
      expect(t.streams[STREAMS.dlq]).toEqual([]);
      expect(t.events).toEqual([]);
    });
  });

  it('lists dead letters page by page, skipping the captured advisories', async () => {
    const t = setup();
    await t.dead.write(letter(Buffer.from('a'), { streamSeq: 1 }));
    t.append('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.FW_WORK.inference', '{}', {});
    await t.dead.write(letter(Buffer.alloc(DLQ_INLINE_MAX_BYTES + 10), { streamSeq: 2 }));
    await t.dead.write(letter(Buffer.from('c'), { streamSeq: 3, jobId: undefined }));

    const first = await t.dead.list(0, 2);
    expect(first.items.map((i) => i.seq)).toEqual([1, 3]);
    expect(first.items[1]).toMatchObject({
      kind: 'infer',
      original_subject: WORK_SUBJECTS.infer,
      deliveries: 4,
      job_id: JOB,
      worker_id: 'status-1',
      body: { bytes: DLQ_INLINE_MAX_BYTES + 10, ref: `dlq/${JOB}/${STREAMS.work}-2` },
    });
    expect(first.next_cursor).toBe('3');
    const rest = await t.dead.list(Number(first.next_cursor), 2);
    expect(rest.items).toEqual([expect.objectContaining({ seq: 4, job_id: null, body: { bytes: 1, ref: null } })]);
    expect(rest.next_cursor).toBeNull();
  });

  it('counts the dead letters, not the advisories', async () => {
    const t = setup();
    await t.dead.write(letter(Buffer.from('a'), { streamSeq: 1 }));
    t.append('$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.FW_WORK.inference', '{}', {});
    await t.dead.write({ ...letter(Buffer.from('b'), { streamSeq: 2 }), kind: 'persist' });
    expect(await t.dead.count()).toBe(2);
  });

  describe('replay', () => {
    it('puts the original back on its subject byte for byte, then removes the dead letter and its stored body', async () => {
      const t = setup();
      const body = Buffer.alloc(DLQ_INLINE_MAX_BYTES + 1, 3);
      await t.dead.write(letter(body));
      expect(await t.dead.replay(1)).toEqual({ seq: 1, subject: WORK_SUBJECTS.infer, job_id: JOB });
      const [replayed] = t.streams[STREAMS.work]!;
      expect(replayed!.subject).toBe(WORK_SUBJECTS.infer);
      expect(Buffer.compare(Buffer.from(replayed!.data), body)).toBe(0);
      expect(replayed!.header.get(HEADERS.jobId)).toBe(JOB);
      expect(t.streams[STREAMS.dlq]).toEqual([]);
      expect(t.objects.size).toBe(0);
    });

    it('NOT_FOUND for an unknown dead letter; CONFLICT for an event or a body gone with its job', async () => {
      const t = setup();
      await expect(t.dead.replay(9)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await t.dead.write({ ...letter(Buffer.from('{}')), kind: 'events', subject: 'fw.events.x.running' });
      await expect(t.dead.replay(1)).rejects.toMatchObject({ code: 'CONFLICT' });
      await t.dead.write(letter(Buffer.alloc(DLQ_INLINE_MAX_BYTES + 1), { streamSeq: 8 }));
      t.objects.clear();
      await expect(t.dead.replay(2)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(t.streams[STREAMS.work]).toEqual([]);
      expect(t.streams[STREAMS.dlq]).toHaveLength(2);
    });
  });
});
