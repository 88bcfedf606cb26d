import { Inject, Injectable } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import { HEADERS, makeEvent, STREAMS, WORK_SUBJECTS, type WorkKind } from '@framewire/contracts';
import { Broker, Consume, publishDeadLetter, type MaxDeliveriesAdvisory } from '@framewire/messaging';
import { LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';
import { OBJECT_STORE, type ObjectStore } from '@framewire/storage';

const KIND_OF_SUBJECT = new Map<string, WorkKind>(Object.entries(WORK_SUBJECTS).map(([k, s]) => [s, k as WorkKind]));

/**
 * The server gave up on a work message: it was delivered MaxDeliver times and
 * never settled (its workers crashed or hung each time). Dead-letter it, take
 * it out of the work queue, and fail its job, so no job waits forever.
 */
@Injectable()
export class AdvisoriesService {
  constructor(
    private readonly broker: Broker,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_ID) private readonly workerId: string,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  @Consume({ kind: 'advisories', mode: 'single' })
  async onMaxDeliveries(adv: MaxDeliveriesAdvisory): Promise<void> {
    if (adv.stream !== STREAMS.work) return;
    const jsm: JetStreamManager = this.broker.jsm;
    const original = await jsm.streams.getMessage(adv.stream, { seq: adv.stream_seq }).catch((err: unknown) => {
      if (err instanceof Error && /no message found|not found/i.test(err.message)) return null;
      throw err;
    });
    if (!original) return; // settled after all, or already handled by another replica
    const kind = KIND_OF_SUBJECT.get(original.subject);
    const jobId = original.header.get(HEADERS.jobId) || undefined;
    const reason = `max retries exceeded: delivered ${adv.deliveries} times without being settled (its workers crashed or timed out)`;
    await publishDeadLetter(
      this.broker,
      {
        kind: kind ?? 'events',
        data: original.data,
        subject: original.subject,
        stream: adv.stream,
        streamSeq: adv.stream_seq,
        deliveries: adv.deliveries,
        reason,
        workerId: this.workerId,
        jobId,
      },
      this.store,
    );
    if (jobId) {
      const stage = kind === 'extract' ? 'extractor' : kind === 'infer' ? 'inference' : 'persister';
      await this.broker.publishEvent(
        makeEvent('failed', jobId, { stage, error_code: 'MAX_RETRIES_EXCEEDED', error_message: reason, worker_id: this.workerId }),
      );
    }
    await jsm.streams.deleteMessage(adv.stream, adv.stream_seq, false);
    this.logger.error({ job_id: jobId, subject: original.subject, deliveries: adv.deliveries }, reason);
  }
}
