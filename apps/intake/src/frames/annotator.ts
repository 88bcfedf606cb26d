import { Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { DomainError, type FrameGeometry, type Size } from '@framewire/contracts';
import { overlayShapes, overlaySvg } from './overlay';

/** Quality of an annotated frame's JPEG (the raw frame is served as the extractor encoded it). */
export const ANNOTATED_JPEG_QUALITY = 85;

/** A frame image and its size. */
export interface FrameImage {
  jpeg: Buffer;
  width: number;
  height: number;
}

/** sharp behind one adapter: the size of a stored frame, and a frame with its result drawn over it. */
@Injectable()
export class FrameAnnotator {
  /** The JPEG's size, from its header. */
  async size(jpeg: Buffer): Promise<Size> {
    const meta = await sharp(jpeg)
      .metadata()
      .catch((err: unknown) => {
        throw new DomainError('INTERNAL', `stored frame is not a readable image: ${err instanceof Error ? err.message : String(err)}`);
      });
    if (!meta.width || !meta.height) throw new DomainError('INTERNAL', 'stored frame has no size');
    return { width: meta.width, height: meta.height };
  }

  /** The frame with every box of `result` outlined and its read text written over it (see overlay.ts), as a JPEG. */
  async annotate(jpeg: Buffer, result: unknown, geometry: FrameGeometry | null): Promise<FrameImage> {
    const image = await this.size(jpeg);
    const svg = overlaySvg(overlayShapes(result, geometry, image), image);
    const out = await sharp(jpeg)
      .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
      .jpeg({ quality: ANNOTATED_JPEG_QUALITY })
      .toBuffer();
    return { jpeg: out, ...image };
  }
}
