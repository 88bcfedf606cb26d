import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { DomainError, describeError } from '@framewire/contracts';
import type { PutBody } from './object-store';

/**
 * The chunks of a body, in order. A stream source is read through its async
 * iterator without taking ownership of it: if the caller of this generator
 * stops early (too large, the store failed) the source is left paused, not
 * destroyed, and its owner decides whether to drain or destroy it. A source
 * that errors makes the iteration throw that error.
 */
export async function* chunksOf(body: PutBody): AsyncGenerator<Buffer, void, undefined> {
  if (Buffer.isBuffer(body)) {
    yield body;
    return;
  }
  if (body instanceof Uint8Array) {
    yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return;
  }
  if (!(body instanceof Readable)) {
    throw new DomainError('INVALID_ARGUMENT', 'object body must be a Readable stream, a Buffer or a Uint8Array');
  }
  const chunks = body.iterator({ destroyOnReturn: false }) as AsyncIterator<unknown>;
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await chunks.next();
    } catch (err) {
      throw sourceFailed(err);
    }
    if (next.done) return;
    const chunk = next.value;
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (typeof chunk === 'string') yield Buffer.from(chunk);
    else throw new DomainError('INVALID_ARGUMENT', 'object body stream yielded something other than bytes');
  }
}

/**
 * The source failing is not the store failing: a DomainError from it (say, a
 * stream from another store) is kept as it is; anything else is the caller's
 * body breaking off (a client that went away), which retrying the put cannot fix.
 */
function sourceFailed(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  return new DomainError('INVALID_ARGUMENT', `object body stream failed before its end: ${describeError(err)}`, { cause: err });
}

/** Counts and hashes bytes as they pass, and enforces maxBytes before a byte past it is written anywhere. */
export class Meter {
  private readonly hash: Hash = createHash('sha256');
  size = 0;

  constructor(
    private readonly key: string,
    private readonly maxBytes: number | undefined,
  ) {
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
      throw new DomainError('INVALID_ARGUMENT', `maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
    }
  }

  update(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `object ${this.key} exceeds the limit of ${this.maxBytes} bytes`, {
        details: { key: this.key, maxBytes: this.maxBytes },
      });
    }
    this.hash.update(chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * A stream of `source`'s bytes whose errors are DomainErrors: a failure while
 * reading (a reset connection, a socket timeout) reaches the consumer mapped by
 * `mapError`. Destroying the returned stream destroys the source.
 */
export function withMappedErrors(source: Readable, mapError: (err: unknown) => DomainError): Readable {
  const out = new PassThrough();
  source.once('error', (err) => out.destroy(mapError(err)));
  out.once('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}

/** Every byte of a stream. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
