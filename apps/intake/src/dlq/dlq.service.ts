import { Inject, Injectable } from '@nestjs/common';
import type { StoredMsg } from '@nats-io/jetstream';
import { DLQ_PREFIX, DomainError, HEADERS, STREAMS, WORK_SUBJECTS } from '@framewire/contracts';
import { Broker, DLQ_HEADERS, deadLetterBodyRef, readDeadLetterBody } from '@framewire/messaging';
import { LOGGER, type Logger } from '@framewire/runtime';
import { OBJECT_STORE, type ObjectStore } from '@framewire/storage';

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

const WORK_SUBJECT_SET = new Set<string>(Object.values(WORK_SUBJECTS));

/** Dead letters: what exhausted its deliveries, with why; list them, and put one back to work. */
@Injectable()
export class DlqService {
  constructor(
    private readonly broker: Broker,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(afterSeq: number, limit: number): Promise<{ items: DeadLetterView[]; next_cursor: string | null }> {
    const info = await this.broker.jsm.streams.info(STREAMS.dlq);
    const items: DeadLetterView[] = [];
    let seq = Math.max(afterSeq + 1, info.state.first_seq);
    for (; seq <= info.state.last_seq && items.length < limit; seq++) {
      const msg = await this.get(seq);
      if (msg && msg.subject.startsWith(`${DLQ_PREFIX}.`)) items.push(view(msg));
    }
    return { items, next_cursor: seq <= info.state.last_seq ? String(seq - 1) : null };
  }

  async replay(seq: number): Promise<{ seq: number; subject: string; job_id: string | null }> {
    const msg = await this.get(seq);
    if (!msg || !msg.subject.startsWith(`${DLQ_PREFIX}.`)) throw new DomainError('NOT_FOUND', `dead letter ${seq} not found`);
    const subject = msg.header.get(DLQ_HEADERS.subject);
    if (!WORK_SUBJECT_SET.has(subject))
      throw new DomainError(
        'CONFLICT',
        `dead letter ${seq} came from ${subject || 'an unknown subject'}; only work messages can be replayed`,
      );
    const jobId = msg.header.get(HEADERS.jobId) || null;
    const ref = deadLetterBodyRef(msg.header);
    const data = await readDeadLetterBody(msg, this.store).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND')
        throw new DomainError(
          'CONFLICT',
          `dead letter ${seq} cannot be replayed: its stored body ${ref ?? ''} is gone (its job was deleted)`,
        );
      throw err;
    });
    await this.broker.publish(subject, data, { msgId: `replay:${seq}`, ...(jobId ? { jobId } : {}) });
    await this.broker.jsm.streams.deleteMessage(STREAMS.dlq, seq, false);
    if (ref !== null) await this.store.delete(ref);
    this.logger.warn({ seq, subject, job_id: jobId, body_ref: ref }, 'dead letter replayed');
    return { seq, subject, job_id: jobId };
  }

  private async get(seq: number): Promise<StoredMsg | null> {
    try {
      return await this.broker.jsm.streams.getMessage(STREAMS.dlq, { seq });
    } catch (err) {
      if (err instanceof Error && /no message found|not found|deleted/i.test(err.message)) return null;
      throw err;
    }
  }
}

function view(msg: StoredMsg): DeadLetterView {
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
