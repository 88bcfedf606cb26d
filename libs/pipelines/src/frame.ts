/**
 * A frame as the pipeline sees it: JPEG bytes plus facts, decoded lazily and at
 * most once, so every node of a pipeline shares one decoded RGB buffer (and one
 * buffer per resized size it asks for).
 */
import sharp from 'sharp';

/** Interleaved 8-bit RGB, row-major, no padding. */
export interface RgbImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/** The image side effects, behind an adapter so tests and other back-ends can replace them. */
export interface ImageCodec {
  decodeRgb(jpeg: Uint8Array): Promise<RgbImage>;
  /** Resize to exactly width x height (aspect ratio not kept). */
  resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage>;
}

export interface SharpImageCodecOptions {
  /** Resampling kernel; 'linear' is closest to OpenCV's INTER_LINEAR that PaddleOCR uses, and cheapest after 'nearest'. */
  kernel?: ResizeKernel;
}

export class SharpImageCodec implements ImageCodec {
  private readonly kernel: ResizeKernel;

  constructor(options: SharpImageCodecOptions = {}) {
    this.kernel = options.kernel ?? 'linear';
  }

  async decodeRgb(jpeg: Uint8Array): Promise<RgbImage> {
    // toColourspace('srgb') turns greyscale and CMYK JPEGs into 3 channels; removeAlpha is a no-op for JPEG.
    const { data, info } = await sharp(jpeg).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder returned ${info.channels} channels, expected 3`);
    return { data, width: info.width, height: info.height, channels: 3 };
  }

  async resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
    if (image.width === width && image.height === height) return image;
    const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(width, height, { fit: 'fill', kernel: this.kernel })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3 };
  }
}

let defaultCodec: ImageCodec | undefined;
export function defaultImageCodec(): ImageCodec {
  defaultCodec ??= new SharpImageCodec();
  return defaultCodec;
}

/** What a stage hands the pipeline: the sampled frame's JPEG and its facts. */
export interface FrameInput {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly index: number;
  readonly ptsMs: number;
}

export class FrameImage implements FrameInput {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly index: number;
  readonly ptsMs: number;
  private decoded: Promise<RgbImage> | undefined;
  private readonly resizedCache = new Map<string, Promise<RgbImage>>();

  constructor(
    input: FrameInput,
    private readonly codec: ImageCodec = defaultImageCodec(),
  ) {
    if (!Number.isInteger(input.width) || !Number.isInteger(input.height) || input.width <= 0 || input.height <= 0) {
      throw new Error(`frame ${input.index} has an invalid size ${input.width}x${input.height}`);
    }
    this.jpeg = input.jpeg;
    this.width = input.width;
    this.height = input.height;
    this.index = input.index;
    this.ptsMs = input.ptsMs;
  }

  static of(frame: FrameInput | FrameImage, codec?: ImageCodec): FrameImage {
    return frame instanceof FrameImage ? frame : new FrameImage(frame, codec);
  }

  /** Full-resolution RGB, decoded on first use and shared afterwards. */
  rgb(): Promise<RgbImage> {
    this.decoded ??= this.decode();
    return this.decoded;
  }

  /** RGB resized to exactly width x height, computed once per size. */
  resized(width: number, height: number): Promise<RgbImage> {
    const key = `${width}x${height}`;
    let hit = this.resizedCache.get(key);
    if (!hit) {
      hit = this.rgb().then((img) => this.codec.resizeRgb(img, width, height));
      this.resizedCache.set(key, hit);
    }
    return hit;
  }

  private async decode(): Promise<RgbImage> {
    let img: RgbImage;
    try {
      img = await this.codec.decodeRgb(this.jpeg);
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new Error(`cannot decode frame ${this.index} (${this.jpeg.length} bytes): ${msg}`, { cause: err });
    }
    if (img.width !== this.width || img.height !== this.height) {
      throw new Error(`frame ${this.index} declares ${this.width}x${this.height} but its JPEG is ${img.width}x${img.height}`);
    }
    return img;
  }
}
