import { open } from 'node:fs/promises';
import type { VideoMetadata } from '@framewire/contracts';
import { type DecodedFrame, type DecodeOptions, decodeFrames } from './decode';
import { type KeyframeProbeOptions, type KeyframeTable, probeKeyframes } from './keyframes';
import { type ProbeOptions, probeVideo } from './probe';
import { type Thumbnail, reuseThumbnail } from './reuse';
import { type ContainerName, SNIFF_HEAD_BYTES, sniffContainer } from './sniff';

export interface MediaToolkitOptions {
  /** Defaults to FFMPEG_PATH, else the @ffmpeg-installer binary. */
  ffmpegPath?: string;
  /** Defaults to FFPROBE_PATH, else the @ffprobe-installer binary. */
  ffprobePath?: string;
  /** Default ffprobe timeout for probeVideo (30 s). */
  probeTimeoutMs?: number;
}

/**
 * The media adapter apps inject (a plain class: provide it with
 * `{ provide: MediaToolkit, useValue: new MediaToolkit() }` and replace it
 * with a fake of the same shape in tests).
 */
export class MediaToolkit {
  constructor(private readonly options: MediaToolkitOptions = {}) {}

  probeVideo(path: string, opts: ProbeOptions = {}): Promise<VideoMetadata> {
    return probeVideo(path, {
      ...withDefined({
        ffprobePath: this.options.ffprobePath,
        ffmpegPath: this.options.ffmpegPath,
        timeoutMs: this.options.probeTimeoutMs,
      }),
      ...opts,
    });
  }

  /** The video's keyframes and each one's index in the whole video (ffprobe lists packets, nothing is decoded). */
  probeKeyframes(path: string, opts: KeyframeProbeOptions = {}): Promise<KeyframeTable> {
    return probeKeyframes(path, { ...withDefined({ ffprobePath: this.options.ffprobePath }), ...opts });
  }

  decodeFrames(path: string, opts: DecodeOptions): AsyncGenerator<DecodedFrame, void, undefined> {
    return decodeFrames(path, { ...withDefined({ ffmpegPath: this.options.ffmpegPath }), ...opts });
  }

  /** The small grayscale thumbnail temporal reuse compares frames by (see reuse.ts). */
  reuseThumbnail(jpeg: Uint8Array): Promise<Thumbnail> {
    return reuseThumbnail(jpeg);
  }

  sniffContainer(head: Uint8Array): ContainerName | null {
    return sniffContainer(head);
  }

  /** Reads the first bytes of a file and sniffs them. */
  async sniffFile(path: string): Promise<ContainerName | null> {
    return sniffContainer(await readHead(path, SNIFF_HEAD_BYTES));
  }
}

export async function readHead(path: string, bytes: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

function withDefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
