import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type BucketLocationConstraint,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DomainError, describeError } from '@framewire/contracts';
import { Meter, chunksOf, readAll, withMappedErrors } from './body';
import { classifyS3Error } from './errors';
import { assertRegularFile } from './fs-object-store';
import { validateKey, validatePrefix } from './keys';
import { removeStaleTemp } from './temp-sweep';
import type { MaterializedObject, ObjectHead, ObjectStore, PutBody, PutFileOptions, PutOptions, StoredObject } from './object-store';

const MiB = 1024 * 1024;
/** S3 rejects parts under 5 MiB (but the last) and uploads of more than 10 000 parts. */
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
/** DeleteObject requests in flight at once in deletePrefix. */
const DELETE_CONCURRENCY = 8;
/** Name prefix of the temp directories of materialized copies. */
const MATERIALIZE_PREFIX = 'fw-materialize-';

export interface S3ObjectStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server (MinIO, s3rver, ...); AWS when absent. */
  endpoint?: string;
  /** Static credentials; the SDK's default provider chain when absent. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `http://host/bucket/key` addressing, which MinIO and s3rver need. */
  forcePathStyle?: boolean;
  /** Bytes per multipart part (default 8 MiB, at least 5 MiB; raised when maxBytes needs more than 10 000 parts). */
  partSize?: number;
  /** Parts uploaded at once per put (default 2). Memory per put is about (partConcurrency + 1) × partSize. */
  partConcurrency?: number;
  /** SDK attempts per request, retries included (default 3). */
  maxAttempts?: number;
  /** Give up connecting after this long (default 5 s). */
  connectionTimeoutMs?: number;
  /** Fail a request whose socket is idle this long (default 120 s). */
  socketTimeoutMs?: number;
  /** Where materialized copies go (default the OS temp dir). */
  tmpDir?: string;
  /** Materialized copies (`fw-materialize-*` in tmpDir) older than this are removed at init: leftovers of a crashed process (default 24 h). */
  staleTempAgeMs?: number;
}

/**
 * Objects in one S3 bucket (AWS or any S3-compatible server). Puts stream
 * through `@aws-sdk/lib-storage`'s Upload: a body that fits in one part is sent
 * with one PutObject, anything longer as a multipart upload of `partSize`
 * parts, so memory stays bounded whatever the size, and an upload that fails or
 * runs over maxBytes is aborted before it completes, so no object appears.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly region: string;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly tmpDir: string;
  private readonly staleTempAgeMs: number;
  private readiness: Promise<void> | undefined;
  private closed = false;

  constructor(options: S3ObjectStoreOptions) {
    if (!options.bucket) throw new DomainError('INVALID_ARGUMENT', 'the S3 object store needs a bucket');
    if (!options.region) throw new DomainError('INVALID_ARGUMENT', 'the S3 object store needs a region');
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new DomainError('INVALID_ARGUMENT', 'S3 accessKeyId and secretAccessKey go together: give both or neither');
    }
    this.bucket = options.bucket;
    this.region = options.region;
    this.partSize = Math.max(MIN_PART_SIZE, Math.floor(options.partSize ?? 8 * MiB));
    this.partConcurrency = Math.max(1, Math.floor(options.partConcurrency ?? 2));
    this.tmpDir = options.tmpDir ?? tmpdir();
    this.staleTempAgeMs = options.staleTempAgeMs ?? 24 * 60 * 60 * 1000;
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? 3,
      // Without these the SDK adds CRC32 trailers and sends streamed bodies aws-chunked, which
      // S3-compatible servers (s3rver, older MinIO) store framing and all.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 5_000,
        socketTimeout: options.socketTimeoutMs ?? 120_000,
      },
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.accessKeyId !== undefined && options.secretAccessKey !== undefined) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  /** Ensures the bucket exists (creates it when missing) and clears stale materialized copies. Called on first use; call it at start to fail fast. */
  init(): Promise<void> {
    this.readiness ??= Promise.all([this.ensureBucket(), this.removeStaleCopies()]).then(
      () => undefined,
      (err: unknown) => {
        this.readiness = undefined;
        throw err;
      },
    );
    return this.readiness;
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<StoredObject> {
    validateKey(key);
    const meter = new Meter(key, opts.maxBytes);
    if (opts.maxBytes !== undefined && (Buffer.isBuffer(body) || body instanceof Uint8Array) && body.byteLength > opts.maxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `object ${key} exceeds the limit of ${opts.maxBytes} bytes`, {
        details: { key, maxBytes: opts.maxBytes },
      });
    }
    await this.init();
    const partSize = this.partSizeFor(opts.maxBytes);
    // The body as lib-storage reads it: metered (maxBytes, size, sha256) as it passes, and never more parts than S3 takes.
    const metered = async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of chunksOf(body)) {
        meter.update(chunk);
        if (meter.size > partSize * MAX_PARTS) {
          throw new DomainError('PAYLOAD_TOO_LARGE', `object ${key} exceeds ${MAX_PARTS} parts of ${partSize} bytes`, {
            details: { key, partSize },
          });
        }
        yield chunk;
      }
    };
    // One PutObject when the body fits in one part, else a multipart upload of `partSize` parts, `partConcurrency` on
    // the wire. Its parts are left to us on error (leavePartsOnError) so that the abort below never hides the cause.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: Readable.from(metered()), ContentType: opts.contentType },
      partSize,
      queueSize: this.partConcurrency,
      leavePartsOnError: true,
    });
    try {
      await upload.done();
      return { key, size: meter.size, sha256: meter.digest() };
    } catch (err) {
      await this.abortUpload(key, upload.uploadId);
      throw classifyS3Error(err, { operation: 'put', bucket: this.bucket, key });
    }
  }

  /** Best effort: discards the parts of an upload that never completed (so no object exists either way). */
  private async abortUpload(key: string, uploadId: string | undefined): Promise<void> {
    if (uploadId === undefined) return;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch {
      // The server (or a bucket lifecycle rule) expires the parts; the put's own error is what the caller needs.
    }
  }

  async get(key: string): Promise<Readable> {
    const body = await this.openBody(key, 'GetObject');
    return withMappedErrors(body, (err) => classifyS3Error(err, { operation: 'GetObject (reading body)', bucket: this.bucket, key }));
  }

  async getBytes(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async head(key: string): Promise<ObjectHead | null> {
    validateKey(key);
    await this.init();
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const size = res.ContentLength ?? 0;
      return { size, etag: res.ETag?.replace(/"/g, '') || `${size.toString(16)}-${res.LastModified?.getTime().toString(16) ?? '0'}` };
    } catch (err) {
      const mapped = classifyS3Error(err, { operation: 'HeadObject', bucket: this.bucket, key });
      if (mapped.code === 'NOT_FOUND') return null;
      throw mapped;
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.init();
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      const mapped = classifyS3Error(err, { operation: 'DeleteObject', bucket: this.bucket, key });
      if (mapped.code !== 'NOT_FOUND') throw mapped;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    validatePrefix(prefix);
    await this.init();
    let deleted = 0;
    // Delete page by page, one DeleteObject each (DeleteObjects needs Content-MD5, which not every S3-compatible server takes
    // alike); listing again from the start sees whatever a concurrent put added meanwhile.
    for (;;) {
      const page = await this.send('ListObjectsV2', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000 })),
      );
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => typeof k === 'string');
      if (keys.length === 0) return deleted;
      for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
        await Promise.all(
          keys
            .slice(i, i + DELETE_CONCURRENCY)
            .map((k) => this.send('DeleteObject', k, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: k })))),
        );
      }
      deleted += keys.length;
    }
  }

  async materialize(key: string): Promise<MaterializedObject> {
    const body = await this.openBody(key, 'GetObject');
    let dir: string | undefined;
    try {
      dir = await mkdtemp(path.join(this.tmpDir, MATERIALIZE_PREFIX));
      const file = path.join(dir, path.posix.basename(key));
      await pipeline(body, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      const owned = dir;
      return { path: file, release: () => rm(owned, { recursive: true, force: true }) };
    } catch (err) {
      body.destroy();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS' || code === 'EIO') {
        throw new DomainError('STORAGE_UNAVAILABLE', `cannot materialize ${key} in ${this.tmpDir}: ${String(code)}`, {
          cause: err,
          details: { driver: 's3', key, tmpDir: this.tmpDir },
        });
      }
      throw classifyS3Error(err, { operation: 'materialize', bucket: this.bucket, key });
    }
  }

  async putFile(key: string, localPath: string, opts: PutFileOptions = {}): Promise<StoredObject> {
    validateKey(key);
    const source = path.resolve(localPath);
    await assertRegularFile(source);
    const stored = await this.put(key, createReadStream(source));
    if (opts.move) await rm(source, { force: true });
    return stored;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.client.destroy();
    }
    return Promise.resolve();
  }

  /** Runs one SDK call, mapping whatever it throws. */
  private async send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw classifyS3Error(err, { operation, bucket: this.bucket, key });
    }
  }

  private partSizeFor(maxBytes: number | undefined): number {
    if (maxBytes === undefined) return this.partSize;
    return Math.max(this.partSize, Math.ceil(maxBytes / MAX_PARTS / MiB) * MiB);
  }

  private async openBody(key: string, operation: string): Promise<Readable> {
    validateKey(key);
    await this.init();
    const res = await this.send(operation, key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    const body = res.Body;
    if (!(body instanceof Readable)) {
      throw new DomainError('INTERNAL', `object store returned no readable body for ${key}`, { details: { driver: 's3', key } });
    }
    return body;
  }

  private async removeStaleCopies(): Promise<void> {
    try {
      await removeStaleTemp(this.tmpDir, { olderThanMs: this.staleTempAgeMs, namePrefix: MATERIALIZE_PREFIX });
    } catch (err) {
      throw new DomainError('STORAGE_UNAVAILABLE', `cannot clear stale copies in ${this.tmpDir}: ${describeError(err)}`, {
        cause: err,
        details: { driver: 's3', tmpDir: this.tmpDir },
      });
    }
  }

  private async ensureBucket(): Promise<void> {
    const head = async (): Promise<boolean> => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
        return true;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        const name = (err as { name?: unknown }).name;
        if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') return false;
        throw classifyS3Error(err, { operation: 'HeadBucket', bucket: this.bucket });
      }
    };
    if (await head()) return;
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          ...(this.region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } }),
        }),
      );
    } catch (err) {
      const name = (err as { name?: unknown }).name;
      // Created meanwhile (by another replica, or already ours): fine if we can reach it.
      if ((name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') && (await head())) return;
      throw classifyS3Error(err, { operation: 'CreateBucket', bucket: this.bucket });
    }
  }
}
