import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { DomainError, describeError } from '@framewire/contracts';
import { Meter, chunksOf, withMappedErrors } from './body';
import { classifyFsError, errnoCode } from './errors';
import { RESERVED_KEY_PREFIX, validateKey, validatePrefix } from './keys';
import { removeStaleTemp } from './temp-sweep';
import type { MaterializedObject, ObjectHead, ObjectStore, PutBody, PutFileOptions, PutOptions, StoredObject } from './object-store';

export interface FsObjectStoreOptions {
  /** fsync each object before it is renamed into place (default true), so a crash never leaves a named but empty object. */
  fsync?: boolean;
  /** Staged files older than this are removed when the store starts (default 24 h): leftovers of a crashed process. */
  staleTempAgeMs?: number;
}

/**
 * Objects as files under one root directory: key `a/b/c` is `<root>/a/b/c`.
 * Every write goes to a temp file under `<root>/.fw-tmp` (same filesystem) and
 * is renamed into place, so a reader sees the old object, the new one, or none,
 * never part of one. Directories are created as needed and pruned when a delete
 * empties them.
 */
export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly root: string;
  private readonly tmpDir: string;
  private readonly fsync: boolean;
  private readonly staleTempAgeMs: number;
  private readiness: Promise<void> | undefined;

  constructor(rootDir: string, options: FsObjectStoreOptions = {}) {
    if (typeof rootDir !== 'string' || rootDir.length === 0) {
      throw new DomainError('INVALID_ARGUMENT', 'the filesystem object store needs a root directory');
    }
    this.root = path.resolve(rootDir);
    this.tmpDir = path.join(this.root, RESERVED_KEY_PREFIX);
    this.fsync = options.fsync ?? true;
    this.staleTempAgeMs = options.staleTempAgeMs ?? 24 * 60 * 60 * 1000;
  }

  /** Creates the root and staging directories and clears stale staged files. Called on first use; call it at start to fail fast. */
  init(): Promise<void> {
    this.readiness ??= this.prepare().catch((err: unknown) => {
      this.readiness = undefined;
      throw new DomainError(
        'STORAGE_UNAVAILABLE',
        `object store root ${this.root} is not usable: ${errnoCode(err) ?? describeError(err)}`,
        {
          cause: err,
          details: { driver: 'fs', operation: 'init', path: this.root },
        },
      );
    });
    return this.readiness;
  }

  /** The file that holds (or would hold) a key. */
  pathFor(key: string): string {
    return path.join(this.root, ...validateKey(key).split('/'));
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<StoredObject> {
    const target = this.pathFor(key);
    const meter = new Meter(key, opts.maxBytes);
    if (opts.maxBytes !== undefined && (Buffer.isBuffer(body) || body instanceof Uint8Array) && body.byteLength > opts.maxBytes) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `object ${key} exceeds the limit of ${opts.maxBytes} bytes`, {
        details: { key, maxBytes: opts.maxBytes },
      });
    }
    await this.init();
    const staged = this.stagedPath();
    let file: FileHandle | undefined;
    try {
      file = await open(staged, 'wx', 0o644);
      for await (const chunk of chunksOf(body)) {
        meter.update(chunk);
        await writeFully(file, chunk);
      }
      if (this.fsync) await file.sync();
      await file.close();
      file = undefined;
      await this.commit(staged, target, key);
      return { key, size: meter.size, sha256: meter.digest() };
    } catch (err) {
      await file?.close().catch(() => undefined);
      await rm(staged, { force: true }).catch(() => undefined);
      throw classifyFsError(err, { operation: 'put', key, mode: 'write' });
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathFor(key);
    const handle = await this.openObject(file, key, 'get');
    return withMappedErrors(handle.createReadStream(), (err) => classifyFsError(err, { operation: 'get', key, mode: 'read' }));
  }

  async getBytes(key: string): Promise<Buffer> {
    const file = this.pathFor(key);
    try {
      return await readFile(file);
    } catch (err) {
      throw classifyFsError(err, { operation: 'getBytes', key, mode: 'read' });
    }
  }

  async head(key: string): Promise<ObjectHead | null> {
    const file = this.pathFor(key);
    try {
      const info = await stat(file);
      return info.isFile() ? { size: info.size, etag: `${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}` } : null;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw classifyFsError(err, { operation: 'head', key, mode: 'read' });
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathFor(key);
    try {
      await unlink(file);
    } catch (err) {
      const code = errnoCode(err);
      // Missing, or a directory (a key prefix, not an object): nothing to delete.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return;
      if (code === 'EPERM' && (await isDirectory(file))) return;
      throw classifyFsError(err, { operation: 'delete', key, mode: 'write' });
    }
    await this.pruneEmptyParents(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const dir = path.join(this.root, ...validatePrefix(prefix).slice(0, -1).split('/'));
    try {
      // A put that lands while the tree is removed makes rm fail (ENOTEMPTY): go again.
      for (let attempt = 1; ; attempt++) {
        const count = await countFiles(dir);
        if (count === 0 && !(await isDirectory(dir))) return 0; // nothing under it (an object named like the prefix is not under it)
        try {
          await rm(dir, { recursive: true, force: true });
          await this.pruneEmptyParents(path.dirname(dir));
          return count;
        } catch (err) {
          if (attempt >= 5 || errnoCode(err) !== 'ENOTEMPTY') throw err;
        }
      }
    } catch (err) {
      throw classifyFsError(err, { operation: 'deletePrefix', key: prefix, mode: 'write' });
    }
  }

  async materialize(key: string): Promise<MaterializedObject> {
    const file = this.pathFor(key);
    const handle = await this.openObject(file, key, 'materialize');
    await handle.close();
    return { path: file, release: () => Promise.resolve() };
  }

  async putFile(key: string, localPath: string, opts: PutFileOptions = {}): Promise<StoredObject> {
    const target = this.pathFor(key);
    const source = path.resolve(localPath);
    await assertRegularFile(source);
    if (!opts.move) {
      return this.put(key, createReadStream(source));
    }
    await this.init();
    // Hash where the file lies, then adopt it with a rename (atomic on one filesystem).
    const meter = new Meter(key, undefined);
    try {
      for await (const chunk of chunksOf(createReadStream(source))) meter.update(chunk);
      if (this.fsync) await syncFile(source);
    } catch (err) {
      throw classifyFsError(err, { operation: 'putFile', path: source, mode: 'read' });
    }
    try {
      await this.commit(source, target, key);
      return { key, size: meter.size, sha256: meter.digest() };
    } catch (err) {
      if (errnoCode(err) !== 'EXDEV') throw classifyFsError(err, { operation: 'putFile', key, mode: 'write' });
    }
    // Another filesystem: copy through a staged file, then let go of the source.
    const stored = await this.put(key, createReadStream(source));
    await rm(source, { force: true });
    return stored;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async prepare(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await removeStaleTemp(this.tmpDir, { olderThanMs: this.staleTempAgeMs });
  }

  private stagedPath(): string {
    return path.join(this.tmpDir, `${randomUUID()}.part`);
  }

  /** Renames a finished file into place, creating directories (again, if a concurrent delete pruned them). */
  private async commit(from: string, to: string, key: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(path.dirname(to), { recursive: true });
      try {
        await rename(from, to);
        return;
      } catch (err) {
        if (errnoCode(err) === 'ENOENT' && attempt < 5 && (await exists(from))) continue;
        if (errnoCode(err) === 'EISDIR' || errnoCode(err) === 'ENOTEMPTY' || errnoCode(err) === 'EEXIST') {
          throw new DomainError('CONFLICT', `object key ${key} is already a prefix of other keys`, {
            cause: err,
            details: { driver: 'fs', key },
          });
        }
        throw err;
      }
    }
  }

  private async openObject(file: string, key: string, operation: string): Promise<FileHandle> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(file, 'r');
      if (!(await handle.stat()).isFile()) {
        throw new DomainError('NOT_FOUND', `object not found: ${key}`, { details: { driver: 'fs', key } });
      }
      return handle;
    } catch (err) {
      await handle?.close().catch(() => undefined);
      throw classifyFsError(err, { operation, key, mode: 'read' });
    }
  }

  private async pruneEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current !== this.root && current.startsWith(this.root + path.sep)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone, or in use): stop here
      }
      current = path.dirname(current);
    }
  }
}

/** Regular files under a directory, recursively; 0 when it does not exist (or is a file: a key, not a prefix). */
async function countFiles(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return 0;
    throw err;
  }
  let count = 0;
  for (const entry of entries) {
    if (entry.isDirectory()) count += await countFiles(path.join(dir, entry.name));
    else if (entry.isFile()) count++;
  }
  return count;
}

async function writeFully(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false;
  }
}

/** INVALID_ARGUMENT unless `file` is an existing regular file. */
export async function assertRegularFile(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw new DomainError('INVALID_ARGUMENT', `local file ${file} cannot be read: ${errnoCode(err) ?? 'error'}`, { cause: err });
  }
  if (!info.isFile()) throw new DomainError('INVALID_ARGUMENT', `local file ${file} is not a regular file`);
  return info.size;
}
