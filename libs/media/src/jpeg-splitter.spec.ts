import sharp from 'sharp';
import { JpegSplitter, JpegStreamError, type SplitJpeg } from './jpeg-splitter';

function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

/** A structurally valid JPEG whose tricky parts are the point: FFD9 inside a comment, stuffed FF00, restart markers, fill bytes. */
function syntheticJpeg(width: number, height: number): Buffer {
  const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xe0, [...ascii('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xfe, [0xff, 0xd9, 0xff, 0xd8, ...ascii('comment')]),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]),
    0xff,
    0xff, // fill bytes before a marker
    ...segment(0xda, [3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0]),
    0x12,
    0xff,
    0x00,
    0x34,
    0xff,
    0xd0,
    0x56,
    0xff,
    0x00,
    0xff,
    0xd7,
    0x78,
    0xff,
    0x00,
    0xff,
    0xd9,
  ]);
}

async function realJpeg(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function splitInChunks(data: Buffer, chunkSize: number): SplitJpeg[] {
  const splitter = new JpegSplitter();
  const out: SplitJpeg[] = [];
  for (let at = 0; at < data.length; at += chunkSize) out.push(...splitter.push(data.subarray(at, at + chunkSize)));
  expect(splitter.pendingBytes).toBe(0);
  return out;
}

describe('JpegSplitter', () => {
  let images: Array<{ bytes: Buffer; width: number; height: number }>;
  let stream: Buffer;

  beforeAll(async () => {
    images = [
      { bytes: syntheticJpeg(321, 241), width: 321, height: 241 },
      { bytes: await realJpeg(67, 45), width: 67, height: 45 },
      { bytes: syntheticJpeg(1920, 1080), width: 1920, height: 1080 },
      { bytes: await realJpeg(640, 360), width: 640, height: 360 },
    ];
    stream = Buffer.concat(images.map((i) => i.bytes));
  });

  it.each([1, 2, 3, 7, 64, 1000, 65536, Number.MAX_SAFE_INTEGER])('splits concatenated images fed in %i-byte chunks', (chunkSize) => {
    const out = splitInChunks(stream, chunkSize);
    expect(out.map((i) => ({ width: i.width, height: i.height }))).toEqual(images.map((i) => ({ width: i.width, height: i.height })));
    out.forEach((image, k) => expect(image.bytes.equals(images[k].bytes)).toBe(true));
  });

  it('returns images that own their bytes', () => {
    const splitter = new JpegSplitter();
    const [first] = splitter.push(Buffer.from(stream));
    const copy = Buffer.from(first.bytes);
    splitter.push(images[2].bytes.subarray(0, 20));
    expect(first.bytes.equals(copy)).toBe(true);
  });

  it('holds an incomplete image until the rest arrives', () => {
    const one = images[0].bytes;
    const splitter = new JpegSplitter();
    expect(splitter.push(one.subarray(0, one.length - 1))).toEqual([]);
    expect(splitter.pendingBytes).toBe(one.length - 1);
    expect(splitter.push(one.subarray(one.length - 1))).toHaveLength(1);
  });

  it('rejects a stream that does not start with a JPEG', () => {
    expect(() => new JpegSplitter().push(Buffer.from('not a jpeg'))).toThrow(JpegStreamError);
  });

  it('rejects garbage where a marker should be, and an image without a frame header', () => {
    expect(() => new JpegSplitter().push(Buffer.from([0xff, 0xd8, 0x00, 0x01]))).toThrow(/expected a JPEG marker/);
    expect(() => new JpegSplitter().push(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toThrow(/without a frame header/);
    expect(() => new JpegSplitter().push(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01]))).toThrow(/invalid length/);
  });
});
