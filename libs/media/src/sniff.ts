/**
 * Recognises video containers by their first bytes, before anything is
 * handed to ffmpeg. A container is not proof of a video stream (an .m4a is
 * ISO-BMFF too); probing decides that. Give it at least the first 400 bytes
 * for MPEG-TS and the WebM/Matroska distinction; 4 KiB is plenty.
 */

export type ContainerName = 'mp4' | 'mov' | 'matroska' | 'webm' | 'avi' | 'mpegts' | 'mpegps' | 'flv' | 'ogg' | 'asf';

/** Bytes worth reading from the start of a file before calling sniffContainer. */
export const SNIFF_HEAD_BYTES = 4096;

type Sniffer = (head: Uint8Array) => ContainerName | null;

const SNIFFERS: readonly Sniffer[] = [sniffIsoBmff, sniffEbml, sniffAvi, sniffMpegTs, sniffMpegPs, sniffFlv, sniffOgg, sniffAsf];

export function sniffContainer(head: Uint8Array): ContainerName | null {
  for (const sniff of SNIFFERS) {
    const name = sniff(head);
    if (name) return name;
  }
  return null;
}

/** ISO base media (MP4, MOV, 3GP): a box header at offset 0, `ftyp` normally, older QuickTime files start with another top-level box. */
function sniffIsoBmff(head: Uint8Array): ContainerName | null {
  if (head.length < 12) return null;
  const type = ascii(head, 4, 4);
  if (type === 'ftyp') return ascii(head, 8, 4) === 'qt  ' ? 'mov' : 'mp4';
  const size = readUint32BE(head, 0);
  const plausibleSize = size === 0 || size === 1 || size >= 8;
  return plausibleSize && LEGACY_QUICKTIME_BOXES.has(type) ? 'mov' : null;
}
const LEGACY_QUICKTIME_BOXES: ReadonlySet<string> = new Set(['moov', 'mdat', 'free', 'wide', 'skip', 'pnot']);

/** EBML header; the DocType element (0x4282) says "webm" or "matroska". */
function sniffEbml(head: Uint8Array): ContainerName | null {
  if (!startsWith(head, 0, [0x1a, 0x45, 0xdf, 0xa3])) return null;
  const docTypeAt = indexOf(head, [0x42, 0x82], 4, Math.min(head.length, 64));
  if (docTypeAt >= 0 && ascii(head, docTypeAt + 3, 4) === 'webm') return 'webm';
  return 'matroska';
}

function sniffAvi(head: Uint8Array): ContainerName | null {
  return ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 3) === 'AVI' ? 'avi' : null;
}

/** Transport stream: sync byte 0x47 every 188 bytes (or 192 with the M2TS timecode prefix). */
function sniffMpegTs(head: Uint8Array): ContainerName | null {
  return hasSyncBytes(head, 0, 188) || hasSyncBytes(head, 4, 192) ? 'mpegts' : null;
}

/** 0x47 at `first` and one or two packets later (as many as the head holds, at least two). */
function hasSyncBytes(head: Uint8Array, first: number, period: number): boolean {
  const positions = [first, first + period, first + 2 * period].filter((p) => p < head.length);
  return positions.length >= 2 && positions.every((p) => head[p] === 0x47);
}

/** Program stream: a pack header start code. */
function sniffMpegPs(head: Uint8Array): ContainerName | null {
  return startsWith(head, 0, [0x00, 0x00, 0x01, 0xba]) ? 'mpegps' : null;
}

function sniffFlv(head: Uint8Array): ContainerName | null {
  return ascii(head, 0, 3) === 'FLV' && head[3] === 0x01 ? 'flv' : null;
}

function sniffOgg(head: Uint8Array): ContainerName | null {
  return ascii(head, 0, 4) === 'OggS' ? 'ogg' : null;
}

/** ASF/WMV header object GUID 75B22630-668E-11CF-A6D9-00AA0062CE6C. */
const ASF_GUID = [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c];
function sniffAsf(head: Uint8Array): ContainerName | null {
  return startsWith(head, 0, ASF_GUID) ? 'asf' : null;
}

function startsWith(head: Uint8Array, offset: number, bytes: readonly number[]): boolean {
  if (head.length < offset + bytes.length) return false;
  return bytes.every((b, i) => head[offset + i] === b);
}

function indexOf(head: Uint8Array, bytes: readonly number[], from: number, to: number): number {
  for (let i = from; i + bytes.length <= to; i++) if (startsWith(head, i, bytes)) return i;
  return -1;
}

function ascii(head: Uint8Array, offset: number, length: number): string {
  if (head.length < offset + length) return '';
  return String.fromCharCode(...head.subarray(offset, offset + length));
}

function readUint32BE(head: Uint8Array, offset: number): number {
  return ((head[offset] << 24) | (head[offset + 1] << 16) | (head[offset + 2] << 8) | head[offset + 3]) >>> 0;
}
