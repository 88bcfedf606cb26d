import { SetMetadata } from '@nestjs/common';
import type { ConsumedKind, ConsumedPayloads } from './decoders';
import type { Delivery, HandlerContext } from './worker';

export const CONSUMER_METADATA = 'framewire:jetstream-consumer';

/** A setting fixed in the handler, or read from the app's validated config (APP_CONFIG) at start. */
export type FromConfig<C, T> = T | ((config: C) => T);

/**
 * Everything about one consumer, declared once on its handler: the kind picks
 * the durable consumer and the decoder (decoders.ts), the rest how it runs.
 */
export type ConsumerSpec<K extends ConsumedKind = ConsumedKind, C = never> =
  | {
      kind: K;
      mode: 'single';
      concurrency?: FromConfig<C, number>;
      /** The backoff of nak-ed messages (the handler's transient failures); default: the topology's (FW_RETRY_BASE_MS). */
      backoff?: FromConfig<C, { baseDelayMs: number; maxDelayMs: number }>;
    }
  | {
      kind: K;
      mode: 'batch';
      maxBatch: FromConfig<C, number>;
      maxWaitMs: FromConfig<C, number>;
      /** Batches handled at once (default 1; BatchHandler.inFlight). */
      inFlight?: FromConfig<C, number>;
    };

/** The method a spec needs: the decoded payload of its kind, one at a time or a batch. */
export type ConsumerMethod<S extends ConsumerSpec<ConsumedKind, never>> = S extends { mode: 'batch' }
  ? (items: Array<Delivery<ConsumedPayloads[S['kind']]>>) => Promise<void>
  : (payload: ConsumedPayloads[S['kind']], ctx: HandlerContext) => Promise<void>;

/**
 * Marks a provider method as the handler of one consumer. The messaging module
 * finds it at start and runs the consumer from it; start-up fails if a consumer
 * of the stage has no handler or two (STAGE_CONSUMERS). The method's payload type
 * is checked against the kind's decoder.
 *
 *   @Consume({ kind: 'extract', mode: 'single', concurrency: (c: ExtractorConfig) => c.concurrency })
 *   async extract(payload: ExtractRequestV1, ctx: HandlerContext) { ... }
 */
export function Consume<S extends ConsumerSpec<ConsumedKind, never>>(
  spec: S,
): <M extends ConsumerMethod<S>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>) => void {
  return (target, key, descriptor) => {
    SetMetadata(CONSUMER_METADATA, spec)(target, key, descriptor);
  };
}

/** A setting of a spec, resolved against the app's config. */
export function resolveSetting<T>(value: FromConfig<never, T> | undefined, config: unknown, fallback: T): T {
  if (value === undefined) return fallback;
  return typeof value === 'function' ? (value as (c: unknown) => T)(config) : value;
}
