/**
 * Splits a stream of concatenated JPEG images (ffmpeg `-f image2pipe -c:v
 * mjpeg`) into whole images by walking the marker structure: length-prefixed
 * segments up to SOS, then entropy-coded data until a marker that is neither
 * a stuffed 0xFF00 nor a restart marker. Never guesses from byte patterns
 * alone, so image data that happens to contain FFD8/FFD9-like bytes is safe.
 */

export interface SplitJpeg {
  bytes: Buffer;
  width: number;
  height: number;
}

type State =
  | { kind: 'soi' } // expecting FFD8 at `pos`
  | { kind: 'marker' } // expecting a marker at `pos`
  | { kind: 'entropy' }; // inside scan data, searching from `pos`

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

export class JpegStreamError extends Error {
  override readonly name = 'JpegStreamError';
}

export class JpegSplitter {
  /** Growable storage; `buf` is its filled part: the image being assembled and what follows it. */
  private store: Buffer = Buffer.alloc(0);
  private buf: Buffer = this.store;
  private pos = 0;
  private state: State = { kind: 'soi' };
  private width = 0;
  private height = 0;

  /** Bytes held for the image being assembled. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  /** Feeds bytes; returns the images they completed, in order. Throws JpegStreamError on a malformed stream. */
  push(chunk: Buffer): SplitJpeg[] {
    this.append(chunk);
    const out: SplitJpeg[] = [];
    for (let image = this.advance(); image; image = this.advance()) out.push(image);
    return out;
  }

  private append(chunk: Buffer): void {
    const length = this.buf.length + chunk.length;
    if (length > MAX_IMAGE_BYTES) throw new JpegStreamError(`JPEG image larger than ${MAX_IMAGE_BYTES} bytes`);
    if (length > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(length, 2 * this.store.length, 64 * 1024));
      this.buf.copy(grown);
      this.store = grown;
    }
    chunk.copy(this.store, this.buf.length);
    this.buf = this.store.subarray(0, length);
  }

  /** Moves the parser as far as the buffered bytes allow; returns an image when one ends. */
  private advance(): SplitJpeg | null {
    for (;;) {
      const step = this.step();
      if (step === 'need-more') return null;
      if (step !== 'continue') return step;
    }
  }

  private step(): SplitJpeg | 'need-more' | 'continue' {
    const { buf, pos } = this;
    switch (this.state.kind) {
      case 'soi':
        if (buf.length < pos + 2) return 'need-more';
        if (buf[pos] !== 0xff || buf[pos + 1] !== SOI) throw new JpegStreamError('expected a JPEG start-of-image marker');
        this.pos += 2;
        this.state = { kind: 'marker' };
        return 'continue';
      case 'entropy': {
        const ff = buf.indexOf(0xff, pos);
        if (ff < 0 || ff + 1 >= buf.length) {
          this.pos = ff < 0 ? buf.length : ff;
          return 'need-more';
        }
        const next = buf[ff + 1];
        const insideScan = next === 0x00 || (next >= 0xd0 && next <= 0xd7);
        this.pos = insideScan ? ff + 2 : ff;
        if (!insideScan) this.state = { kind: 'marker' };
        return 'continue';
      }
      case 'marker':
        return this.readMarker();
    }
  }

  private readMarker(): SplitJpeg | 'need-more' | 'continue' {
    const { buf } = this;
    let p = this.pos;
    if (p >= buf.length) return 'need-more';
    if (buf[p] !== 0xff) throw new JpegStreamError(`expected a JPEG marker at byte ${p}`);
    while (p < buf.length && buf[p] === 0xff) p++; // fill bytes
    if (p >= buf.length) return 'need-more';
    const marker = buf[p];
    if (marker === EOI) return this.finishImage(p + 1);
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      this.pos = p + 1;
      return 'continue';
    }
    if (p + 3 > buf.length) return 'need-more';
    const length = buf.readUInt16BE(p + 1);
    if (length < 2) throw new JpegStreamError(`JPEG segment with invalid length ${length}`);
    if (p + 1 + length > buf.length) return 'need-more';
    if (isStartOfFrame(marker)) this.readFrameHeader(p + 3, length);
    this.pos = p + 1 + length;
    if (marker === SOS) this.state = { kind: 'entropy' };
    return 'continue';
  }

  private readFrameHeader(at: number, length: number): void {
    if (length < 8) throw new JpegStreamError('JPEG frame header too short');
    this.height = this.buf.readUInt16BE(at + 1);
    this.width = this.buf.readUInt16BE(at + 3);
  }

  private finishImage(end: number): SplitJpeg {
    if (this.width === 0 || this.height === 0) throw new JpegStreamError('JPEG image without a frame header');
    const image = { bytes: Buffer.from(this.buf.subarray(0, end)), width: this.width, height: this.height };
    const rest = this.buf.length - end;
    this.store.copyWithin(0, end, this.buf.length);
    this.buf = this.store.subarray(0, rest);
    this.pos = 0;
    this.state = { kind: 'soi' };
    this.width = 0;
    this.height = 0;
    return image;
  }
}

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}
