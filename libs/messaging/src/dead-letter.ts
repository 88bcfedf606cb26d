import { dlqSubject, type WorkKind } from '@framewire/contracts';
import type { Broker } from './broker';

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

/** Headers of a dead letter: why, where from, and how many deliveries it had. */
export const DLQ_HEADERS = {
  reason: 'Fw-Dlq-Reason',
  subject: 'Fw-Dlq-Subject',
  streamSeq: 'Fw-Dlq-Stream-Seq',
  deliveries: 'Fw-Dlq-Deliveries',
  worker: 'Fw-Dlq-Worker',
} as const;

/** Copy a message that will not be retried into FW_DLQ (deduplicated by its origin). */
export async function publishDeadLetter(broker: Broker, d: DeadLetter): Promise<void> {
  await broker.publish(dlqSubject(d.kind as WorkKind), d.data, {
    msgId: `dlq:${d.stream}:${d.streamSeq}`,
    headers: {
      [DLQ_HEADERS.reason]: d.reason.replace(/[\r\n]+/g, ' ').slice(0, 1000),
      [DLQ_HEADERS.subject]: d.subject,
      [DLQ_HEADERS.streamSeq]: String(d.streamSeq),
      [DLQ_HEADERS.deliveries]: String(d.deliveries),
      [DLQ_HEADERS.worker]: d.workerId,
    },
    ...(d.jobId ? { jobId: d.jobId } : {}),
  });
}
