import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { DomainError } from '@framewire/contracts';
import { FsObjectStore, S3ObjectStore, objectKeys, type ObjectStore } from '@framewire/storage';

jest.setTimeout(60_000);

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: S3rverCtor = require('s3rver');

const MiB = 1024 * 1024;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A stream of `bytes` in irregular chunks, optionally failing after `failAfter` bytes. */
function streamOf(bytes: Buffer, opts: { failAfter?: number; delayMs?: number } = {}): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (opts.failAfter !== undefined && offset >= opts.failAfter) {
        this.destroy(new Error('source went away'));
        return;
      }
      if (offset >= bytes.length) {
        this.push(null);
        return;
      }
      const size = 1000 + Math.floor(Math.random() * 100_000);
      const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + size));
      offset += chunk.length;
      if (opts.delayMs) setTimeout(() => this.push(chunk), opts.delayMs);
      else this.push(chunk);
    },
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw new Error(`expected a DomainError, got ${String(err)}`);
  }
  throw new Error('expected a rejection');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Harness {
  store: ObjectStore;
  /** Bytes held for a key by the backend itself (not through the store), or null. */
  rawBytes(key: string): Promise<Buffer | null>;
  /** Leftovers of failed writes (staged files), to prove nothing was left behind. */
  leftovers(): Promise<string[]>;
}

function objectStoreContract(name: string, setup: () => Promise<Harness>, teardown: () => Promise<void>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let h: Harness;
    let scratch: string;

    beforeAll(async () => {
      h = await setup();
      scratch = await mkdtemp(path.join(tmpdir(), 'fw-storage-scratch-'));
    });

    afterAll(async () => {
      await h?.store.close();
      await teardown();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('round-trips a ~5 MB random stream byte for byte', async () => {
      const bytes = randomBytes(5 * MiB + 12_345);
      const key = objectKeys.inputKey('job-roundtrip');
      const stored = await h.store.put(key, streamOf(bytes), { contentType: 'video/mp4' });
      expect(stored).toEqual({ key, size: bytes.length, sha256: sha256(bytes) });
      const back = await collect(await h.store.get(key));
      expect(back.length).toBe(bytes.length);
      expect(back.equals(bytes)).toBe(true);
      // What the backend holds is the body itself: no aws-chunked framing, no trailers.
      const raw = await h.rawBytes(key);
      expect(raw?.equals(bytes)).toBe(true);
      expect(await h.store.head(key)).toMatchObject({ size: bytes.length });
      expect((await h.store.getBytes(key)).equals(bytes)).toBe(true);
    });

    it('streams a body longer than one multipart part', async () => {
      const bytes = randomBytes(11 * MiB + 7);
      const key = 'big/eleven-mib';
      const stored = await h.store.put(key, streamOf(bytes));
      expect(stored.sha256).toBe(sha256(bytes));
      expect(stored.size).toBe(bytes.length);
      expect((await h.store.getBytes(key)).equals(bytes)).toBe(true);
      expect((await h.rawBytes(key))?.equals(bytes)).toBe(true);
      const fromBuffer = await h.store.put('big/eleven-mib-buffer', bytes);
      expect(fromBuffer.sha256).toBe(sha256(bytes));
      expect((await h.rawBytes('big/eleven-mib-buffer'))?.equals(bytes)).toBe(true);
    });

    it('puts from a Buffer and a Uint8Array, overwriting', async () => {
      const key = objectKeys.frameKey('job-buf', 7);
      const first = Buffer.from('first version');
      expect(await h.store.put(key, first, { contentType: 'image/jpeg' })).toEqual({ key, size: first.length, sha256: sha256(first) });
      const before = await h.store.head(key);
      expect(before).toEqual({ size: first.length, etag: expect.stringMatching(/^[^"]+$/) });
      const second = new Uint8Array([9, 8, 7, 6, 5]);
      expect(await h.store.put(key, second)).toEqual({ key, size: 5, sha256: sha256(Buffer.from(second)) });
      expect(await h.store.getBytes(key)).toEqual(Buffer.from(second));
      // The entity tag follows the object: the same while it stays, another once it is rewritten.
      const after = await h.store.head(key);
      expect(after?.etag).toBe((await h.store.head(key))?.etag);
      expect(after?.etag).not.toBe(before?.etag);
    });

    it('stores an empty object', async () => {
      const stored = await h.store.put('empty/object', Buffer.alloc(0));
      expect(stored.size).toBe(0);
      expect(stored.sha256).toBe(sha256(Buffer.alloc(0)));
      expect(await h.store.head('empty/object')).toMatchObject({ size: 0 });
      expect((await h.store.getBytes('empty/object')).length).toBe(0);
    });

    it('maxBytes exceeded mid-stream: PAYLOAD_TOO_LARGE and no object', async () => {
      const key = 'limits/too-big';
      const source = streamOf(randomBytes(3 * MiB));
      await expect(h.store.put(key, source, { maxBytes: 1 * MiB })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', retryable: false });
      expect(source.destroyed).toBe(false); // the source still belongs to the caller
      source.destroy();
      expect(await h.store.head(key)).toBeNull();
      expect(await h.rawBytes(key)).toBeNull();
      expect(await h.leftovers()).toEqual([]);
    });

    it('maxBytes exceeded after parts were uploaded: no object', async () => {
      const key = 'limits/too-big-multipart';
      await expect(h.store.put(key, streamOf(randomBytes(12 * MiB)), { maxBytes: 11 * MiB })).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
      expect(await h.store.head(key)).toBeNull();
      expect(await h.leftovers()).toEqual([]);
    });

    it('maxBytes at exactly the size is accepted; a Buffer over it is refused up front', async () => {
      expect((await h.store.put('limits/exact', streamOf(randomBytes(1000)), { maxBytes: 1000 })).size).toBe(1000);
      expect(await codeOf(h.store.put('limits/buffer', Buffer.alloc(1001), { maxBytes: 1000 }))).toBe('PAYLOAD_TOO_LARGE');
      expect(await h.store.head('limits/buffer')).toBeNull();
    });

    it('a source that errors leaves no object and keeps an older version intact', async () => {
      const key = 'errors/source';
      await h.store.put(key, Buffer.from('old'));
      const err = await h.store.put(key, streamOf(randomBytes(2 * MiB), { failAfter: 1 * MiB })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('source went away') });
      expect(await h.store.getBytes(key)).toEqual(Buffer.from('old'));
      const fresh = 'errors/source-fresh';
      await expect(h.store.put(fresh, streamOf(randomBytes(12 * MiB), { failAfter: 11 * MiB }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(await h.store.head(fresh)).toBeNull();
      expect(await h.leftovers()).toEqual([]);
    });

    it('a reader never sees an object before its put completes', async () => {
      const key = 'atomic/slow';
      const bytes = randomBytes(1_000_000); // at least 10 chunks, 20 ms apart
      const putting = h.store.put(key, streamOf(bytes, { delayMs: 20 }));
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await h.store.head(key)).toBeNull();
      await putting;
      expect(await h.store.head(key)).toMatchObject({ size: bytes.length });
    });

    it('head and delete: null for missing, delete idempotent', async () => {
      const key = 'lifecycle/object';
      expect(await h.store.head(key)).toBeNull();
      await h.store.delete(key);
      await h.store.put(key, Buffer.from('x'));
      expect(await h.store.head(key)).toMatchObject({ size: 1 });
      await h.store.delete(key);
      await h.store.delete(key);
      expect(await h.store.head(key)).toBeNull();
      expect(await h.rawBytes(key)).toBeNull();
    });

    it('deletePrefix deletes every object under a prefix, nothing beside it, and is idempotent', async () => {
      const job = 'job-delete-prefix';
      await h.store.put(objectKeys.inputKey(job), Buffer.from('video'));
      for (let i = 0; i < 12; i++) await h.store.put(objectKeys.frameKey(job, i), Buffer.from(`frame ${i}`));
      await h.store.put(`${objectKeys.deadLetterPrefix(job)}deep/er/key`, Buffer.from('dl'));
      await h.store.put(objectKeys.inputKey(`${job}-other`), Buffer.from('kept'));
      await h.store.put(`frames/${job}x`, Buffer.from('a key sharing the characters, not the segment'));

      expect(await h.store.deletePrefix(objectKeys.framesPrefix(job))).toBe(12);
      expect(await h.store.head(objectKeys.frameKey(job, 0))).toBeNull();
      expect(await h.store.head(objectKeys.inputKey(job))).toMatchObject({ size: 5 });
      let total = 0;
      for (const prefix of objectKeys.jobPrefixes(job)) total += await h.store.deletePrefix(prefix);
      expect(total).toBe(2);
      expect(await h.rawBytes(objectKeys.inputKey(job))).toBeNull();
      expect(await h.rawBytes(`${objectKeys.deadLetterPrefix(job)}deep/er/key`)).toBeNull();
      expect(await h.store.deletePrefix(objectKeys.framesPrefix(job))).toBe(0);
      expect(await h.store.head(objectKeys.inputKey(`${job}-other`))).toMatchObject({ size: 4 });
      expect(await h.store.head(`frames/${job}x`)).not.toBeNull();
      // An object named like the prefix is not under it.
      expect(await h.store.deletePrefix(`frames/${job}x/`)).toBe(0);
      expect(await h.store.head(`frames/${job}x`)).not.toBeNull();
      expect(await codeOf(h.store.deletePrefix('frames/no-slash'))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.deletePrefix('../'))).toBe('INVALID_ARGUMENT');
    });

    it('NOT_FOUND for a missing key on get, getBytes and materialize', async () => {
      const key = 'missing/nothing-here';
      expect(await codeOf(h.store.get(key))).toBe('NOT_FOUND');
      expect(await codeOf(h.store.getBytes(key))).toBe('NOT_FOUND');
      expect(await codeOf(h.store.materialize(key))).toBe('NOT_FOUND');
    });

    it('a key prefix is not an object', async () => {
      await h.store.put('prefix/a/b', Buffer.from('b'));
      expect(await h.store.head('prefix/a')).toBeNull();
      expect(await codeOf(h.store.get('prefix/a'))).toBe('NOT_FOUND');
      await h.store.delete('prefix/a');
      expect(await h.store.head('prefix/a/b')).toMatchObject({ size: 1 });
    });

    it('materialize gives a readable local file', async () => {
      const key = objectKeys.inputKey('job-materialize');
      const bytes = randomBytes(2 * MiB);
      await h.store.put(key, bytes);
      const local = await h.store.materialize(key);
      expect((await readFile(local.path)).equals(bytes)).toBe(true);
      await local.release();
      await local.release(); // twice is fine
      if (h.store.kind === 's3') {
        expect(existsSync(local.path)).toBe(false);
        expect(existsSync(path.dirname(local.path))).toBe(false);
      } else {
        expect(existsSync(local.path)).toBe(true); // the real object, not a copy
      }
      expect((await h.store.getBytes(key)).equals(bytes)).toBe(true);
    });

    it('putFile copies, or moves with { move: true }', async () => {
      const bytes = randomBytes(300_000);
      const copied = path.join(scratch, 'copy-me.bin');
      await writeFile(copied, bytes);
      expect(await h.store.putFile('files/copied', copied)).toEqual({ key: 'files/copied', size: bytes.length, sha256: sha256(bytes) });
      expect(existsSync(copied)).toBe(true);

      const moved = path.join(scratch, 'move-me.bin');
      await writeFile(moved, bytes);
      expect(await h.store.putFile('files/moved', moved, { move: true })).toEqual({
        key: 'files/moved',
        size: bytes.length,
        sha256: sha256(bytes),
      });
      expect(existsSync(moved)).toBe(false);
      expect((await h.store.getBytes('files/moved')).equals(bytes)).toBe(true);
      expect((await h.store.getBytes('files/copied')).equals(bytes)).toBe(true);

      expect(await codeOf(h.store.putFile('files/none', path.join(scratch, 'does-not-exist')))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.putFile('files/dir', scratch))).toBe('INVALID_ARGUMENT');
    });

    it.each(
      ['../escape', '/abs/path', 'a/../../etc/passwd', 'a//b', 'a/./b', 'back\\slash', 'sp ace', '', 'x'.repeat(513), '.fw-tmp/x'].map(
        (key) => [key.length > 40 ? `${key.length} characters` : JSON.stringify(key), key],
      ),
    )('rejects the invalid key %s everywhere', async (_label, key) => {
      expect(await codeOf(h.store.put(key, Buffer.from('x')))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.get(key))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.getBytes(key))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.head(key))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.delete(key))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.materialize(key))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(h.store.putFile(key, __filename))).toBe('INVALID_ARGUMENT');
    });
  });
}

// ---------------------------------------------------------------- filesystem

let fsRoot = '';
objectStoreContract(
  'FsObjectStore',
  async () => {
    fsRoot = await mkdtemp(path.join(tmpdir(), 'fw-fs-store-'));
    const store = new FsObjectStore(fsRoot);
    return {
      store,
      rawBytes: async (key) => {
        try {
          return await readFile(path.join(fsRoot, key));
        } catch {
          return null;
        }
      },
      leftovers: async () => readdir(path.join(fsRoot, '.fw-tmp')),
    };
  },
  async () => {
    if (fsRoot) await rm(fsRoot, { recursive: true, force: true });
  },
);

describe('FsObjectStore specifics', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fw-fs-specifics-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps objects as plain files under the root and prunes emptied directories', async () => {
    const store = new FsObjectStore(root);
    await store.put('frames/job-1/00000001.jpg', Buffer.from('jpeg'));
    expect(await readFile(path.join(root, 'frames/job-1/00000001.jpg'), 'utf8')).toBe('jpeg');
    await store.delete('frames/job-1/00000001.jpg');
    expect(existsSync(path.join(root, 'frames'))).toBe(false);
    expect(existsSync(root)).toBe(true);
  });

  it('materialize returns the real path', async () => {
    const store = new FsObjectStore(root);
    await store.put('inputs/job-2/video', Buffer.from('mp4'));
    const local = await store.materialize('inputs/job-2/video');
    expect(local.path).toBe(path.join(root, 'inputs/job-2/video'));
  });

  it('putFile { move } adopts the inode by rename on the same filesystem', async () => {
    const store = new FsObjectStore(root);
    const staged = path.join(root, 'upload.tmp');
    await writeFile(staged, 'adopt me');
    const { ino } = await stat(staged);
    await store.putFile('inputs/job-3/video', staged, { move: true });
    expect((await stat(path.join(root, 'inputs/job-3/video'))).ino).toBe(ino);
  });

  it('a key under an existing object is a CONFLICT, not a crash', async () => {
    const store = new FsObjectStore(root);
    await store.put('clash/a', Buffer.from('file'));
    expect(await codeOf(store.put('clash/a/b', Buffer.from('x')))).toBe('CONFLICT');
    await store.put('clash2/a/b', Buffer.from('x'));
    expect(await codeOf(store.put('clash2/a', Buffer.from('file')))).toBe('CONFLICT');
    expect(await readdir(path.join(root, '.fw-tmp'))).toEqual([]);
  });

  it('an unwritable root is STORAGE_UNAVAILABLE', async () => {
    const file = path.join(root, 'not-a-dir');
    await writeFile(file, '');
    const store = new FsObjectStore(path.join(file, 'objects'));
    const err = await store.put('k', Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).retryable).toBe(true);
  });
});

// ---------------------------------------------------------------- S3 (s3rver)

const BUCKET = 'framewire-test';
let s3rver: S3rverInstance | undefined;
let s3Dir = '';
let s3Endpoint = '';

objectStoreContract(
  'S3ObjectStore on s3rver',
  async () => {
    s3Dir = await mkdtemp(path.join(tmpdir(), 'fw-s3rver-'));
    s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
    const { port } = await s3rver.run();
    s3Endpoint = `http://127.0.0.1:${port}`;
    const store = new S3ObjectStore({
      bucket: BUCKET,
      region: 'us-east-1',
      endpoint: s3Endpoint,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      partSize: 5 * MiB,
    });
    await store.init();
    await store.init(); // idempotent
    return {
      store,
      // s3rver keeps each object's body in `<dir>/<bucket>/<key>._S3rver_object`.
      rawBytes: async (key) => {
        try {
          return await readFile(path.join(s3Dir, BUCKET, `${key}._S3rver_object`));
        } catch {
          return null;
        }
      },
      leftovers: async () => [],
    };
  },
  async () => {
    await s3rver?.close();
    if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
  },
);

describe('S3ObjectStore specifics', () => {
  let dir: string;
  let server: S3rverInstance;
  let endpoint: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fw-s3rver-specifics-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
    endpoint = `http://127.0.0.1:${(await server.run()).port}`;
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const make = (bucket: string, extra: Partial<ConstructorParameters<typeof S3ObjectStore>[0]> = {}): S3ObjectStore =>
    new S3ObjectStore({
      bucket,
      region: 'us-east-1',
      endpoint,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      ...extra,
    });

  it('creates a missing bucket on first use, and tolerates one that exists', async () => {
    const a = make('lazily-created');
    await a.put('k', Buffer.from('v')); // no init(): first use prepares the bucket
    const b = make('lazily-created');
    await b.init();
    expect(await b.getBytes('k')).toEqual(Buffer.from('v'));
    await Promise.all([a.close(), b.close()]);
  });

  it('materialize copies are removed by release, and the temp dir is configurable', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'fw-mat-'));
    const store = make('materialize-here', { tmpDir: tmp });
    await store.put('inputs/j/video', Buffer.from('bytes'));
    const local = await store.materialize('inputs/j/video');
    expect(local.path.startsWith(tmp)).toBe(true);
    expect(path.basename(local.path)).toBe('video');
    await local.release();
    expect(await readdir(tmp)).toEqual([]);
    await store.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('a get stream can be abandoned without leaking the connection', async () => {
    const store = make('abandon', { maxAttempts: 1 });
    await store.put('big', randomBytes(3 * MiB));
    const stream = await store.get('big');
    stream.destroy();
    expect((await store.getBytes('big')).length).toBe(3 * MiB);
    await store.close();
  });

  it('a server that is not there: STORAGE_UNAVAILABLE, quickly', async () => {
    const port = await freePort();
    const store = new S3ObjectStore({
      bucket: 'nobody-home',
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      maxAttempts: 1,
      connectionTimeoutMs: 500,
    });
    const started = Date.now();
    const attempts: Array<() => Promise<unknown>> = [
      () => store.put('k', streamOf(randomBytes(100_000))),
      () => store.get('k'),
      () => store.head('k'),
      () => store.delete('k'),
      () => store.materialize('k'),
      () => store.init(),
    ];
    for (const attempt of attempts) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: true });
      expect((err as DomainError).message).toMatch(/ECONNREFUSED|unavailable/);
      expect((err as DomainError).cause).toBeUndefined();
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    await store.close();
  });

  it('bad credentials are a retryable STORAGE_UNAVAILABLE naming the refusal', async () => {
    const store = make('creds-bucket', { accessKeyId: 'WRONG', secretAccessKey: 'WRONG', maxAttempts: 1 });
    const err = await store.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await store.close();
  });
});
