import { sniffContainer } from './sniff';

function bytes(...parts: Array<string | number[]>): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

function padTo(head: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(head);
  return out;
}

function transportStream(packet: number, offset: number, packets: number): Uint8Array {
  const out = new Uint8Array(offset + packet * packets);
  for (let i = 0; i < packets; i++) out[offset + i * packet] = 0x47;
  return out;
}

describe('sniffContainer', () => {
  it.each<[string, Uint8Array, string]>([
    ['MP4 (isom)', bytes([0, 0, 0, 0x20], 'ftypisom', [0, 0, 2, 0]), 'mp4'],
    ['3GP', bytes([0, 0, 0, 0x18], 'ftyp3gp4', [0, 0, 0, 0]), 'mp4'],
    ['QuickTime', bytes([0, 0, 0, 0x14], 'ftypqt  ', [0, 0, 2, 0]), 'mov'],
    ['old QuickTime starting with moov', bytes([0, 0, 0x10, 0], 'moov', [0, 0, 0, 0x6c], 'mvhd'), 'mov'],
    ['old QuickTime starting with mdat', bytes([0, 0, 0, 8], 'mdat', [0, 0, 0, 0]), 'mov'],
    ['old QuickTime starting with wide', bytes([0, 0, 0, 8], 'wide', [0, 0, 0, 0]), 'mov'],
    ['old QuickTime starting with free', bytes([0, 0, 0, 8], 'free', [0, 0, 0, 0]), 'mov'],
    ['Matroska', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88], 'matroska'), 'matroska'],
    ['WebM', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84], 'webm'), 'webm'],
    ['AVI', bytes('RIFF', [0x10, 0, 0, 0], 'AVI LIST'), 'avi'],
    ['MPEG-TS', transportStream(188, 0, 3), 'mpegts'],
    ['M2TS (192-byte packets)', transportStream(192, 4, 3), 'mpegts'],
    ['MPEG-PS', bytes([0, 0, 1, 0xba, 0x44, 0, 4, 0, 4, 1, 1, 0x89, 0xc3, 0xf8]), 'mpegps'],
    ['FLV', bytes('FLV', [1, 5, 0, 0, 0, 9]), 'flv'],
    ['Ogg', bytes('OggS', [0, 2, 0, 0, 0, 0, 0, 0]), 'ogg'],
    ['ASF/WMV', bytes([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c, 0, 0]), 'asf'],
  ])('recognises %s', (_name, head, expected) => {
    expect(sniffContainer(padTo(head, Math.max(head.length, 16)))).toBe(expected);
  });

  it.each<[string, Uint8Array]>([
    ['empty input', new Uint8Array(0)],
    ['plain text', bytes('This is a plain text file, not a video.\n')],
    ['a PNG image', bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d], 'IHDR')],
    ['a JPEG image', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF', [0])],
    ['a WAV file (RIFF but not AVI)', bytes('RIFF', [0x10, 0, 0, 0], 'WAVEfmt ')],
    ['a ZIP file', bytes('PK', [3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0])],
    ['a lone 0x47 byte without a second sync byte', padTo(bytes('G'), 400)],
    ['a box-like header with an implausible size', bytes([0, 0, 0, 3], 'free', [0, 0, 0, 0])],
    ['a truncated ftyp box', bytes([0, 0, 0, 0x20], 'fty')],
  ])('returns null for %s', (_name, head) => {
    expect(sniffContainer(head)).toBeNull();
  });

  it('needs only the bytes it has: a short TS head with two sync bytes is enough', () => {
    expect(sniffContainer(transportStream(188, 0, 2).subarray(0, 189))).toBe('mpegts');
  });
});
