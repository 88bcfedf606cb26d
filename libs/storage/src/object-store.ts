import type { Readable } from 'node:stream';

/** What `put` and `putFile` accept and return. */
export type PutBody = Readable | Buffer | Uint8Array;

export interface PutOptions {
  /** Reject (PAYLOAD_TOO_LARGE) as soon as more than this many bytes have been read; nothing is stored. */
  maxBytes?: number;
  /** Recorded by stores that keep it (S3); ignored by the filesystem store. */
  contentType?: string;
}

export interface PutFileOptions {
  /** Take the local file away: a rename when it can be one, otherwise copy then unlink. */
  move?: boolean;
}

export interface StoredObject {
  key: string;
  /** Bytes stored. */
  size: number;
  /** Lower-case hex sha256 of the bytes stored. */
  sha256: string;
}

export interface ObjectHead {
  size: number;
  /** Opaque, without quotes. */
  etag: string;
}

export interface MaterializedObject {
  /** A local file holding the object's bytes; read it, never write it. */
  path: string;
  /** Let go of the local copy (deletes it where it is a copy). Safe to call twice. */
  release(): Promise<void>;
}

/**
 * One object store for every stage. Keys are validated (see `validateKey`);
 * every failure is a DomainError: NOT_FOUND, INVALID_ARGUMENT, PAYLOAD_TOO_LARGE,
 * CONFLICT, STORAGE_UNAVAILABLE (retryable) or INTERNAL.
 */
export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  /** Stream bytes in; computes size and sha256 while streaming; aborts and leaves nothing behind if the source errors or exceeds maxBytes (throw DomainError('PAYLOAD_TOO_LARGE', ...)). */
  put(key: string, body: PutBody, opts?: PutOptions): Promise<StoredObject>;
  /** NOT_FOUND DomainError if missing. */
  get(key: string): Promise<Readable>;
  getBytes(key: string): Promise<Buffer>;
  /** Size, and an entity tag that changes whenever the object is rewritten (S3: its ETag; fs: size and mtime); null if missing. */
  head(key: string): Promise<ObjectHead | null>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every object whose key starts with `prefix` (which must end in `/`,
   * e.g. `frames/<jobId>/`: a whole "directory", never part of a segment) and
   * returns how many there were. Idempotent: an empty prefix deletes nothing.
   */
  deletePrefix(prefix: string): Promise<number>;
  /** A local file path for tools that need random access (ffmpeg on an MP4 with moov at the end). fs: the real path, release() no-op. s3: downloads to a temp file, release() deletes it. */
  materialize(key: string): Promise<MaterializedObject>;
  /** Where an uploader may write first: a local temp path whose content can later be adopted by putFile efficiently. */
  putFile(key: string, localPath: string, opts?: PutFileOptions): Promise<StoredObject>;
  close(): Promise<void>;
}
