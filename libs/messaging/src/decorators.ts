import { SetMetadata } from '@nestjs/common';
import type { ConsumedKind } from './decoders';

export const CONSUMER_METADATA = 'framewire:jetstream-consumer';

export type ConsumerSpec =
  { kind: ConsumedKind; mode: 'single'; concurrency?: number } | { kind: ConsumedKind; mode: 'batch'; maxBatch: number; maxWaitMs: number };

/**
 * Marks a provider method as the handler of one consumer. The messaging module
 * finds it at start, and start-up fails if a consumed subject has no handler or two.
 *
 *   @Consume({ kind: 'extract', mode: 'single' })
 *   async extract(payload: ExtractRequestV1, ctx: HandlerContext) { ... }
 */
export const Consume = (spec: ConsumerSpec): MethodDecorator => SetMetadata(CONSUMER_METADATA, spec);
