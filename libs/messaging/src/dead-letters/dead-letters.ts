import type { StoredMsg } from '@nats-io/jetstream';
import {
  DLQ_PREFIX,
  DomainError,
  HEADERS,
  makeEvent,
  STREAMS,
  WORK_SUBJECTS,
  type ErrorCode,
  type Stage,
  type WorkKind,
} from '@framewire/contracts';
import type { Logger } from '@framewire/runtime';
import type { Broker } from '../broker';
import type { MaxDeliveriesAdvisory } from '../decoders';
import {
  DLQ_HEADERS,
  deadLetterBodyRef,
  publishDeadLetter,
  readDeadLetterBody,
  viewOfDeadLetter,
  type DeadLetter,
  type DeadLetterBodyStore,
  type DeadLetterView,
} from './dead-letter';

const KIND_OF_SUBJECT = new Map<string, WorkKind>(Object.entries(WORK_SUBJECTS).map(([k, s]) => [s, k as WorkKind]));
const STAGE_OF_KIND: Record<WorkKind, Stage> = { extract: 'extractor', infer: 'inference', persist: 'persister', webhook: 'status' };

/** Why a job failed when its work was given up. */
export interface JobFailure {
  stage: Stage;
  code: ErrorCode;
  message: string;
}

export interface DeadLettersOptions {
  /** This process's worker id: recorded on its dead letters and `failed` events. */
  workerId: string;
  logger: Logger;
}

/**
 * Giving up on work, in one place: a message that will not be retried is
 * written to FW_DLQ (its body by reference in the object store when over
 * DLQ_INLINE_MAX_BYTES) and its job fails with a `failed` event; operators
 * list the dead letters and replay one; the gauges count them. The worker,
 * the status service's MAX_DELIVERIES advisories and intake's /v1/dlq routes
 * all go through here.
 */
export class DeadLetters {
  constructor(
    private readonly broker: Broker,
    /** Where large bodies go (the object store); null: every body stays inline, and a body by reference cannot be replayed. */
    private readonly bodies: DeadLetterBodyStore | null,
    private readonly opts: DeadLettersOptions,
  ) {}

  /** Copy a message that will not be retried into FW_DLQ (deduplicated by its origin stream and sequence). */
  async write(letter: Omit<DeadLetter, 'workerId'> & { workerId?: string }): Promise<void> {
    await publishDeadLetter(this.broker, { ...letter, workerId: letter.workerId ?? this.opts.workerId }, this.bodies);
  }

  /** Publish the job's `failed` event: the status projection decides the rest. */
  async failJob(jobId: string, failure: JobFailure, workerId = this.opts.workerId): Promise<void> {
    await this.broker.publishEvent(
      makeEvent('failed', jobId, { stage: failure.stage, error_code: failure.code, error_message: failure.message, worker_id: workerId }),
    );
  }

  /**
   * The server gave up on a work message (delivered MaxDeliver times, never
   * settled): dead-letter it, fail its job, and take it out of the work queue.
   * Nothing to do when it is gone already (settled after all, or handled by
   * another replica). Throws while a step cannot be carried out: the advisory
   * is retried and every step is idempotent.
   */
  async giveUpUnsettled(adv: MaxDeliveriesAdvisory): Promise<void> {
    if (adv.stream !== STREAMS.work) return;
    const original = await this.stored(adv.stream, adv.stream_seq);
    if (!original) return;
    const kind = KIND_OF_SUBJECT.get(original.subject);
    const jobId = original.header.get(HEADERS.jobId) || undefined;
    const reason = `max retries exceeded: delivered ${adv.deliveries} times without being settled (its workers crashed or timed out)`;
    await this.write({
      kind: kind ?? 'events',
      data: original.data,
      subject: original.subject,
      stream: adv.stream,
      streamSeq: adv.stream_seq,
      deliveries: adv.deliveries,
      reason,
      jobId,
    });
    if (jobId) await this.failJob(jobId, { stage: stageOf(kind), code: 'MAX_RETRIES_EXCEEDED', message: reason });
    await this.broker.jsm.streams.deleteMessage(adv.stream, adv.stream_seq, false);
    this.opts.logger.error({ job_id: jobId, subject: original.subject, deliveries: adv.deliveries }, reason);
  }

  /** Dead letters after sequence `afterSeq`, oldest first; `next_cursor` is null at the end. */
  async list(afterSeq: number, limit: number): Promise<{ items: DeadLetterView[]; next_cursor: string | null }> {
    const info = await this.broker.jsm.streams.info(STREAMS.dlq);
    const items: DeadLetterView[] = [];
    let seq = Math.max(afterSeq + 1, info.state.first_seq);
    for (; seq <= info.state.last_seq && items.length < limit; seq++) {
      const msg = await this.letter(seq);
      if (msg) items.push(viewOfDeadLetter(msg));
    }
    return { items, next_cursor: seq <= info.state.last_seq ? String(seq - 1) : null };
  }

  /**
   * Put a dead work message back on its subject byte for byte (its stored
   * body restored), then remove the dead letter and its stored body.
   * NOT_FOUND: no such dead letter; CONFLICT: not a work message, or its
   * stored body is gone (its job was deleted).
   */
  async replay(seq: number): Promise<{ seq: number; subject: string; job_id: string | null }> {
    const msg = await this.letter(seq);
    if (!msg) throw new DomainError('NOT_FOUND', `dead letter ${seq} not found`);
    const subject = msg.header.get(DLQ_HEADERS.subject);
    if (!KIND_OF_SUBJECT.has(subject))
      throw new DomainError(
        'CONFLICT',
        `dead letter ${seq} came from ${subject || 'an unknown subject'}; only work messages can be replayed`,
      );
    const jobId = msg.header.get(HEADERS.jobId) || null;
    const ref = deadLetterBodyRef(msg.header);
    const data = await this.bodyOf(msg).catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND')
        throw new DomainError(
          'CONFLICT',
          `dead letter ${seq} cannot be replayed: its stored body ${ref ?? ''} is gone (its job was deleted)`,
        );
      throw err;
    });
    await this.broker.publish(subject, data, { msgId: `replay:${seq}`, ...(jobId ? { jobId } : {}) });
    await this.broker.jsm.streams.deleteMessage(STREAMS.dlq, seq, false);
    if (ref !== null && this.bodies) await this.bodies.delete(ref);
    this.opts.logger.warn({ seq, subject, job_id: jobId, body_ref: ref }, 'dead letter replayed');
    return { seq, subject, job_id: jobId };
  }

  /** Dead letters waiting in FW_DLQ (the stream also holds the captured advisories, which are not counted). */
  async count(): Promise<number> {
    const info = await this.broker.jsm.streams.info(STREAMS.dlq, { subjects_filter: `${DLQ_PREFIX}.>` });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  }

  private async bodyOf(msg: StoredMsg): Promise<Uint8Array> {
    if (deadLetterBodyRef(msg.header) !== null && !this.bodies)
      throw new DomainError('INTERNAL', 'this dead letter keeps its body in the object store, and this process has none');
    return readDeadLetterBody(msg, this.bodies as DeadLetterBodyStore);
  }

  /** The dead letter at `seq`, or null (none, deleted, or a captured advisory rather than a dead letter). */
  private async letter(seq: number): Promise<StoredMsg | null> {
    const msg = await this.stored(STREAMS.dlq, seq);
    return msg && msg.subject.startsWith(`${DLQ_PREFIX}.`) ? msg : null;
  }

  private async stored(stream: string, seq: number): Promise<StoredMsg | null> {
    try {
      return await this.broker.jsm.streams.getMessage(stream, { seq });
    } catch (err) {
      if (err instanceof Error && /no message found|not found|deleted/i.test(err.message)) return null;
      throw err;
    }
  }
}

function stageOf(kind: WorkKind | undefined): Stage {
  return kind ? STAGE_OF_KIND[kind] : 'persister';
}
