import { z } from 'zod';
import type { JsMsg } from '@nats-io/jetstream';
import {
  decodeFrameMessage,
  extractRequestV1,
  frameResultV1,
  jobEventSchema,
  webhookRequestV1,
  type EncodedFrame,
  type ExtractRequestV1,
  type FrameResultV1,
  type JobEvent,
  type WebhookRequestV1,
} from '@framewire/contracts';

/** What each consumer hands its handler: the validated payload of its subject. */
export interface ConsumedPayloads {
  extract: ExtractRequestV1;
  infer: EncodedFrame;
  persist: FrameResultV1;
  webhook: WebhookRequestV1;
  events: JobEvent;
  advisories: MaxDeliveriesAdvisory;
}

/** The server's io.nats.jetstream.advisory.v1.max_deliver advisory (the fields we read). */
export const maxDeliveriesAdvisory = z.looseObject({
  type: z.literal('io.nats.jetstream.advisory.v1.max_deliver'),
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int().nonnegative(),
});
export type MaxDeliveriesAdvisory = z.infer<typeof maxDeliveriesAdvisory>;
export type ConsumedKind = keyof ConsumedPayloads;

type Decoder<K extends ConsumedKind> = { decode(msg: JsMsg): ConsumedPayloads[K]; jobIdOf(p: ConsumedPayloads[K]): string | undefined };

export const DECODERS: { [K in ConsumedKind]: Decoder<K> } = {
  extract: { decode: (m) => extractRequestV1.parse(m.json()), jobIdOf: (p) => p.job_id },
  infer: { decode: (m) => decodeFrameMessage(m.data), jobIdOf: (p) => p.header.job_id },
  persist: { decode: (m) => frameResultV1.parse(m.json()), jobIdOf: (p) => p.job_id },
  webhook: { decode: (m) => webhookRequestV1.parse(m.json()), jobIdOf: (p) => p.job_id },
  events: { decode: (m) => jobEventSchema.parse(m.json()), jobIdOf: (p) => p.job_id },
  advisories: { decode: (m) => maxDeliveriesAdvisory.parse(m.json()), jobIdOf: () => undefined },
};
