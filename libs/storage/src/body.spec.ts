import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { Meter, chunksOf, readAll, withMappedErrors } from './body';
import { DomainError } from '@framewire/contracts';

describe('chunksOf', () => {
  it('yields a buffer or a Uint8Array as one chunk', async () => {
    const out: Buffer[] = [];
    for await (const c of chunksOf(new Uint8Array([1, 2, 3]))) out.push(c);
    expect(Buffer.concat(out)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('does not destroy a stream source when the reader stops early', async () => {
    const source = Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')], { objectMode: false });
    for await (const chunk of chunksOf(source)) {
      expect(chunk.toString()).toBe('a');
      break;
    }
    expect(source.destroyed).toBe(false);
    source.destroy();
  });

  it('rethrows a source error', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await expect(readAll(Readable.from(chunksOf(source)))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'object body stream failed before its end: disk on fire',
    });
  });

  it('keeps a DomainError from the source as it is', async () => {
    const source = new Readable({
      read() {
        this.destroy(new DomainError('STORAGE_UNAVAILABLE', 'upstream store went away'));
      },
    });
    await expect(readAll(Readable.from(chunksOf(source)))).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});

describe('Meter', () => {
  it('counts and hashes', () => {
    const meter = new Meter('k', undefined);
    meter.update(Buffer.from('hello '));
    meter.update(Buffer.from('world'));
    expect(meter.size).toBe(11);
    expect(meter.digest()).toBe(createHash('sha256').update('hello world').digest('hex'));
  });

  it('throws PAYLOAD_TOO_LARGE past maxBytes, not at it', () => {
    const meter = new Meter('k', 4);
    meter.update(Buffer.from('abcd'));
    expect(() => meter.update(Buffer.from('e'))).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });

  it('rejects a nonsense limit', () => {
    expect(() => new Meter('k', -1)).toThrow(DomainError);
  });
});

describe('withMappedErrors', () => {
  it('maps a source error and passes bytes through', async () => {
    const source = new Readable({ read() {} });
    const out = withMappedErrors(source, () => new DomainError('STORAGE_UNAVAILABLE', 'mapped'));
    source.push(Buffer.from('xy'));
    setImmediate(() => source.destroy(new Error('raw')));
    await expect(readAll(out)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: 'mapped' });
  });

  it('destroys the source when the consumer gives up', async () => {
    const source = new Readable({ read() {} });
    const out = withMappedErrors(source, () => new DomainError('INTERNAL', 'x'));
    out.destroy();
    await new Promise((r) => setImmediate(r));
    expect(source.destroyed).toBe(true);
  });
});
