import { createHash } from 'node:crypto';
import type { MsgHdrs } from '@nats-io/transport-node';
import { DLQ_PREFIX, DomainError, dlqSubject, HEADERS, type WorkKind } from '@framewire/contracts';
import { objectKeys } from '@framewire/storage';
import type { Broker } from '../broker';

export interface DeadLetter {
  kind: WorkKind | 'events';
  data: Uint8Array;
  subject: string;
  stream: string;
  streamSeq: number;
  deliveries: number;
  reason: string;
  workerId: string;
  jobId: string | undefined;
}

/**
 * Where the body of a large dead letter is kept instead of inside FW_DLQ (an
 * infer message carries its frame's JPEG): the process's object store
 * satisfies it.
 */
export interface DeadLetterBodyStore {
  put(key: string, body: Buffer): Promise<{ size: number; sha256: string }>;
  getBytes(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
}

/** Bodies up to this size stay inside the dead letter; larger ones go to the object store under `dlq/`. */
export const DLQ_INLINE_MAX_BYTES = 4096;

/** Headers of a dead letter: why, where from, and how many deliveries it had. */
export const DLQ_HEADERS = {
  reason: 'Fw-Dlq-Reason',
  subject: 'Fw-Dlq-Subject',
  streamSeq: 'Fw-Dlq-Stream-Seq',
  deliveries: 'Fw-Dlq-Deliveries',
  worker: 'Fw-Dlq-Worker',
  /** Object key of the original body when it is stored by reference (the dead letter's own data is then empty). */
  bodyRef: 'Fw-Dlq-Body-Ref',
  /** Size in bytes and sha256 of the body stored by reference. */
  bodySize: 'Fw-Dlq-Body-Size',
  bodySha256: 'Fw-Dlq-Body-Sha256',
} as const;

/**
 * Copy a message that will not be retried into FW_DLQ (deduplicated by its
 * origin); callers go through DeadLetters.write. A body over DLQ_INLINE_MAX_BYTES is stored in `bodies` (at
 * `dlq/<job id>/<stream>-<seq>`, so deleting the job deletes it) and the dead
 * letter keeps a reference; without a store it stays inline.
 */
export async function publishDeadLetter(broker: Broker, d: DeadLetter, bodies?: DeadLetterBodyStore | null): Promise<void> {
  const headers: Record<string, string> = {
    [DLQ_HEADERS.reason]: d.reason.replace(/[\r\n]+/g, ' ').slice(0, 1000),
    [DLQ_HEADERS.subject]: d.subject,
    [DLQ_HEADERS.streamSeq]: String(d.streamSeq),
    [DLQ_HEADERS.deliveries]: String(d.deliveries),
    [DLQ_HEADERS.worker]: d.workerId,
  };
  let data = d.data;
  if (bodies && d.data.byteLength > DLQ_INLINE_MAX_BYTES) {
    const key = objectKeys.deadLetterKey(d.jobId, d.stream, d.streamSeq);
    const stored = await bodies.put(key, Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength));
    headers[DLQ_HEADERS.bodyRef] = key;
    headers[DLQ_HEADERS.bodySize] = String(stored.size);
    headers[DLQ_HEADERS.bodySha256] = stored.sha256;
    data = new Uint8Array(0);
  }
  await broker.publish(dlqSubject(d.kind as WorkKind), data, {
    msgId: `dlq:${d.stream}:${d.streamSeq}`,
    headers,
    ...(d.jobId ? { jobId: d.jobId } : {}),
  });
}

/** The object key of a dead letter's body when it is stored by reference, else null. */
export function deadLetterBodyRef(header: MsgHdrs | undefined): string | null {
  return header?.get(DLQ_HEADERS.bodyRef) || null;
}

/**
 * The original message body of a dead letter: its own data, or the stored
 * body it refers to (checked against the recorded sha256). NOT_FOUND when the
 * stored body is gone (its job was deleted).
 */
export async function readDeadLetterBody(
  msg: { data: Uint8Array; header: MsgHdrs | undefined },
  bodies: DeadLetterBodyStore,
): Promise<Uint8Array> {
  const ref = deadLetterBodyRef(msg.header);
  if (ref === null) return msg.data;
  const bytes = await bodies.getBytes(ref);
  const expected = msg.header?.get(DLQ_HEADERS.bodySha256);
  if (expected && createHash('sha256').update(bytes).digest('hex') !== expected) {
    throw new DomainError('INTERNAL', `the stored body of this dead letter (${ref}) does not match its recorded sha256`);
  }
  return bytes;
}

/** A dead letter as operators see it (GET /v1/dlq). */
export interface DeadLetterView {
  seq: number;
  kind: string;
  original_subject: string;
  reason: string;
  deliveries: number;
  job_id: string | null;
  worker_id: string | null;
  dead_at: string;
  /** The original body's size, and where it is kept when not inside the dead letter (`dlq/...` in the object store). */
  body: { bytes: number; ref: string | null };
}

/** How a dead letter stored in FW_DLQ reads in a listing. */
export function viewOfDeadLetter(msg: { seq: number; subject: string; data: Uint8Array; header: MsgHdrs; time: Date }): DeadLetterView {
  return {
    seq: msg.seq,
    kind: msg.subject.slice(DLQ_PREFIX.length + 1),
    original_subject: msg.header.get(DLQ_HEADERS.subject),
    reason: msg.header.get(DLQ_HEADERS.reason),
    deliveries: Number(msg.header.get(DLQ_HEADERS.deliveries)) || 0,
    job_id: msg.header.get(HEADERS.jobId) || null,
    worker_id: msg.header.get(DLQ_HEADERS.worker) || null,
    dead_at: msg.time.toISOString(),
    body: {
      bytes: deadLetterBodyRef(msg.header) === null ? msg.data.byteLength : Number(msg.header.get(DLQ_HEADERS.bodySize)) || 0,
      ref: deadLetterBodyRef(msg.header),
    },
  };
}
