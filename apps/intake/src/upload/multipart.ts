import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { DomainError } from '@framewire/contracts';

/** Name prefix of an upload's temp file in FW_UPLOAD_TMP_DIR (what the start-up sweep of stale uploads looks for). */
export const UPLOAD_TEMP_PREFIX = 'upload-';

export interface UploadLimits {
  maxFileBytes: number;
  maxFields: number;
  maxFieldBytes: number;
  /** How many leading bytes to keep for content sniffing. */
  headBytes: number;
}

/** A multipart upload, its file streamed to a temp file while being hashed; nothing is buffered whole. */
export interface ReceivedUpload {
  fields: Record<string, string>;
  file: { path: string; size: number; sha256: string; head: Buffer; filename: string | null; mimeType: string | null } | null;
  /** Remove the temp file; safe to call twice. */
  discard(): Promise<void>;
}

/**
 * Parse a multipart/form-data request. The part named `file` is written to
 * `tmpDir` and refused (PAYLOAD_TOO_LARGE) as soon as it passes the limit,
 * while it streams, never after buffering it.
 */
export async function receiveUpload(req: IncomingMessage, tmpDir: string, limits: UploadLimits): Promise<ReceivedUpload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    throw new DomainError('UNSUPPORTED_MEDIA', 'request must be multipart/form-data with the video in a part named "file"');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxFileBytes + 1024 * 1024) {
    req.resume();
    throw new DomainError('PAYLOAD_TOO_LARGE', `upload is ${declared} bytes; the limit is ${limits.maxFileBytes} bytes`);
  }

  const fields: Record<string, string> = {};
  let file: ReceivedUpload['file'] = null;
  let tmpPath: string | null = null;
  const discard = async () => {
    if (tmpPath) await rm(tmpPath, { force: true });
  };

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: {
        fileSize: limits.maxFileBytes,
        files: 1,
        fields: limits.maxFields,
        fieldSize: limits.maxFieldBytes,
        parts: limits.maxFields + 1,
      },
    });
  } catch (err) {
    throw new DomainError('INVALID_ARGUMENT', `malformed multipart request: ${(err as Error).message}`);
  }

  let tooLarge = false;
  const done = new Promise<void>((resolve, reject) => {
    let fileWrite: Promise<void> | null = null;
    let failure: DomainError | null = null;
    const fail = (e: DomainError) => {
      failure ??= e;
    };

    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new DomainError('INVALID_ARGUMENT', `field '${name}' is longer than ${limits.maxFieldBytes} bytes`));
      else fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'file' || file !== null || fileWrite !== null) {
        stream.resume();
        fail(new DomainError('INVALID_ARGUMENT', `unexpected file part '${name}'; send one video in a part named "file"`));
        return;
      }
      tmpPath = join(tmpDir, `${UPLOAD_TEMP_PREFIX}${randomUUID()}`);
      const meter = new Meter(limits.headBytes);
      let truncated = false;
      stream.on('limit', () => {
        truncated = true;
        // Answer now, without reading the rest of the body: the connection is closed after the answer.
        tooLarge = true;
        reject(new DomainError('PAYLOAD_TOO_LARGE', `file is larger than the limit of ${limits.maxFileBytes} bytes`));
      });
      const path = tmpPath;
      fileWrite = pipeline(stream, meter, createWriteStream(path)).then(() => {
        if (!truncated) {
          file = {
            path,
            size: meter.size,
            sha256: meter.digest(),
            head: meter.head(),
            filename: info.filename ?? null,
            mimeType: info.mimeType ?? null,
          };
        }
      });
      fileWrite.catch(() => undefined);
    });
    bb.on('filesLimit', () => fail(new DomainError('INVALID_ARGUMENT', 'send exactly one file')));
    bb.on('fieldsLimit', () => fail(new DomainError('INVALID_ARGUMENT', `too many fields (limit ${limits.maxFields})`)));
    bb.on('partsLimit', () => fail(new DomainError('INVALID_ARGUMENT', 'too many parts')));
    bb.on('error', (err: Error) => reject(new DomainError('INVALID_ARGUMENT', `malformed multipart request: ${err.message}`)));
    bb.on('close', () => {
      Promise.resolve(fileWrite)
        .then(() => (failure ? reject(failure) : resolve()))
        .catch((err: unknown) => reject(failure ?? new DomainError('INVALID_ARGUMENT', `upload interrupted: ${(err as Error).message}`)));
    });
    req.on('aborted', () => reject(new DomainError('INVALID_ARGUMENT', 'client aborted the upload')));
  });

  req.pipe(bb);
  try {
    await done;
  } catch (err) {
    req.unpipe(bb);
    if (tooLarge) {
      // Stop taking bytes: no draining of the rest of the body; the connection closes once the 413 is written.
      req.pause();
      bb.destroy();
      const res = (req as IncomingMessage & { res?: ServerResponse }).res;
      res?.setHeader('Connection', 'close');
      res?.once('finish', () => req.socket.destroySoon());
    } else req.resume();
    await discard();
    throw err;
  }
  return { fields, file, discard };
}

/** Counts, hashes and keeps the first bytes of what flows through. */
export class Meter extends Transform {
  size = 0;
  private readonly hash = createHash('sha256');
  private readonly headChunks: Buffer[] = [];
  private headLen = 0;

  constructor(private readonly headBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    if (this.headLen < this.headBytes) {
      const part = chunk.subarray(0, this.headBytes - this.headLen);
      this.headChunks.push(Buffer.from(part));
      this.headLen += part.length;
    }
    cb(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  head(): Buffer {
    return Buffer.concat(this.headChunks);
  }
}

/**
 * A request refused before its body was read (admission control): read and
 * drop at most `lingerBytes` of the body, waiting at most `lingerMs`, before
 * the answer goes out, so a small upload ends cleanly and its client reads the
 * answer; a larger one is cut off there (the connection closes after the
 * answer) instead of being received whole.
 */
export async function refuseUnread(req: IncomingMessage, lingerBytes = 1024 * 1024, lingerMs = 2000): Promise<void> {
  if (req.readableEnded) return;
  const res = (req as IncomingMessage & { res?: ServerResponse }).res;
  if (/^100-continue$/i.test(req.headers.expect ?? '')) {
    // The client waits for 100 Continue, which was not sent (expect-continue.ts): no body is coming.
    res?.setHeader('Connection', 'close');
    return;
  }
  let seen = 0;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      req.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > lingerBytes) done();
    };
    const timer = setTimeout(done, lingerMs);
    req.on('data', onData);
    req.once('end', done);
    req.once('error', done);
    req.resume();
  });
  if (req.readableEnded) return;
  req.pause();
  res?.setHeader('Connection', 'close');
  res?.once('finish', () => req.socket.destroySoon());
}
