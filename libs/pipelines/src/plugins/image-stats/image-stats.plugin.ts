/**
 * Built-in plugin `image_stats`: cheap per-frame statistics, no model.
 *   frame_stats  image → frame_stats  (brightness, contrast, sharpness, entropy, dominant colours)
 */
import sharp from 'sharp';
import { z } from 'zod';
import type { RgbImage } from '../../frame';
import type { Plugin, PluginManifest, Tool } from '../../plugin';
import { type DominantColour, lumaAndColours } from './frame-stats';

export const IMAGE_STATS_MANIFEST: PluginManifest = Object.freeze({
  id: 'image_stats',
  version: '1.0.0',
  tools: [
    {
      id: 'frame_stats',
      description:
        'Frame statistics without a model: brightness and RMS contrast of luma, sharpness (standard deviation of the Laplacian, sharp), entropy of the grey histogram, dominant colours',
      inputs: ['image'],
      outputs: ['frame_stats'],
      capabilities: ['image_statistics', 'no_model'],
    },
  ],
});

export const frameStatsParamsSchema = z
  .object({
    /** How many dominant colours to report at most. */
    colours: z.number().int().min(0).max(16).default(5),
    /** Colours covering less of the frame than this share are left out. */
    min_share: z.number().min(0).max(1).default(0.01),
  })
  .strict();
export type FrameStatsParams = z.infer<typeof frameStatsParamsSchema>;

export interface FrameStats {
  width: number;
  height: number;
  /** Mean luma, 0 (black) .. 1 (white). */
  brightness: number;
  /** RMS contrast: standard deviation of luma, 0 .. 0.5. */
  contrast: number;
  /** Standard deviation of the Laplacian of the grey image, in 8-bit grey levels (sharp's estimate): 0 for a flat frame, higher is sharper. */
  sharpness: number;
  /** Shannon entropy of the grey histogram, bits (0 .. 8). */
  entropy: number;
  dominant_colours: DominantColour[];
}

/** The sharp side of the statistics, behind an adapter. */
export interface GreyStatsBackend {
  sharpnessAndEntropy(image: RgbImage): Promise<{ sharpness: number; entropy: number }>;
}

export const sharpGreyStats: GreyStatsBackend = {
  async sharpnessAndEntropy(image) {
    // sharp computes both on the greyscale version of the image it is given.
    const s = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).stats();
    return { sharpness: s.sharpness, entropy: s.entropy };
  },
};

export interface ImageStatsPluginOptions {
  backend?: GreyStatsBackend;
}

export class ImageStatsPlugin implements Plugin {
  readonly manifest = IMAGE_STATS_MANIFEST;
  readonly tools: { readonly frame_stats: Tool<FrameStatsParams> };

  constructor(options: ImageStatsPluginOptions = {}) {
    const backend = options.backend ?? sharpGreyStats;
    this.tools = {
      frame_stats: {
        parseParams: (raw) => frameStatsParamsSchema.parse(raw ?? {}),
        run: async ({ frame }, ctx): Promise<FrameStats> => {
          const rgb = await frame.rgb();
          const [grey, luma] = await Promise.all([
            backend.sharpnessAndEntropy(rgb),
            Promise.resolve().then(() => lumaAndColours(rgb, ctx.params.colours, ctx.params.min_share)),
          ]);
          return {
            width: rgb.width,
            height: rgb.height,
            brightness: luma.brightness,
            contrast: luma.contrast,
            sharpness: Math.round(grey.sharpness * 100) / 100,
            entropy: Math.round(grey.entropy * 1000) / 1000,
            dominant_colours: luma.dominant_colours,
          };
        },
        modelFiles: () => [],
      },
    };
  }

  async init(): Promise<void> {
    // Nothing to load.
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
