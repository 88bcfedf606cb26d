import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '@framewire/contracts';
import { Meter, type ReceivedUpload, type UploadLimits, UPLOAD_TEMP_PREFIX } from './multipart';

/**
 * Receive a video sent as a stream of chunks (the gRPC upload): written to a
 * temp file while hashed, refused (PAYLOAD_TOO_LARGE, the HTTP message) as
 * soon as it passes the limit. `file` is null when no chunk came at all.
 */
export async function receiveChunks(
  chunks: AsyncIterable<Uint8Array>,
  tmpDir: string,
  limits: Pick<UploadLimits, 'maxFileBytes' | 'headBytes'>,
): Promise<ReceivedUpload> {
  const path = join(tmpDir, `${UPLOAD_TEMP_PREFIX}${randomUUID()}`);
  const discard = () => rm(path, { force: true });
  const meter = new Meter(limits.headBytes);
  const limit = new SizeLimit(limits.maxFileBytes);
  try {
    await pipeline(Readable.from(chunks, { objectMode: false }), limit, meter, createWriteStream(path));
  } catch (err) {
    await discard();
    throw err;
  }
  if (limit.chunks === 0) {
    await discard();
    return { fields: {}, file: null, discard: async () => undefined };
  }
  return {
    fields: {},
    file: { path, size: meter.size, sha256: meter.digest(), head: meter.head(), filename: null, mimeType: null },
    discard,
  };
}

class SizeLimit extends Transform {
  chunks = 0;
  private size = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.chunks++;
    this.size += chunk.length;
    if (this.size > this.max) cb(new DomainError('PAYLOAD_TOO_LARGE', `file is larger than the limit of ${this.max} bytes`));
    else cb(null, chunk);
  }
}
