import { frameStatsSchema } from '@framewire/contracts';
import { FrameImage, type ImageCodec, type RgbImage } from './frame';
import { lumaAndColours } from './plugins/image-stats/frame-stats';
import { ImageStatsPlugin, frameStatsParamsSchema } from './plugins/image-stats/image-stats.plugin';

/** width x height RGB filled by `pixel(x, y)`. */
function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { data, width, height, channels: 3 };
}

/** A codec that "decodes" to a given image. */
const codecOf = (img: RgbImage): ImageCodec => ({ decodeRgb: async () => img, resizeRgb: async (i) => i });

describe('lumaAndColours', () => {
  it('measures a flat frame: its luma, no contrast, one colour', () => {
    const out = lumaAndColours(
      image(8, 4, () => [100, 150, 200]),
      5,
      0.01,
    );
    expect(out.brightness).toBeCloseTo((0.2126 * 100 + 0.7152 * 150 + 0.0722 * 200) / 255, 4);
    expect(out.contrast).toBe(0);
    expect(out.dominant_colours).toEqual([{ hex: '#6496c8', rgb: [100, 150, 200], share: 1 }]);
  });

  it('measures half black, half white: mid brightness, the largest contrast, two colours (ties: darker first)', () => {
    const out = lumaAndColours(
      image(10, 10, (x) => (x < 5 ? [0, 0, 0] : [255, 255, 255])),
      5,
      0,
    );
    expect(out).toEqual({
      brightness: 0.5,
      contrast: 0.5,
      dominant_colours: [
        { hex: '#000000', rgb: [0, 0, 0], share: 0.5 },
        { hex: '#ffffff', rgb: [255, 255, 255], share: 0.5 },
      ],
    });
  });

  it('reports the mean colour of each bin, the largest first, without rare ones, at most `count`', () => {
    // 70 red-ish pixels (two shades in one bin), 25 blue, 4 green, 1 grey, on 100 pixels.
    const out = lumaAndColours(
      image(100, 1, (x) =>
        x < 35 ? [200, 10, 10] : x < 70 ? [202, 12, 12] : x < 95 ? [0, 0, 255] : x < 99 ? [0, 255, 0] : [128, 128, 128],
      ),
      5,
      0.02,
    );
    expect(out.dominant_colours).toEqual([
      { hex: '#c90b0b', rgb: [201, 11, 11], share: 0.7 },
      { hex: '#0000ff', rgb: [0, 0, 255], share: 0.25 },
      { hex: '#00ff00', rgb: [0, 255, 0], share: 0.04 },
    ]);
    expect(
      lumaAndColours(
        image(100, 1, (x) => (x < 70 ? [200, 10, 10] : [0, 0, 255])),
        1,
        0,
      ).dominant_colours.map((c) => c.hex),
    ).toEqual(['#c80a0a']);
  });

  it('refuses an empty or short buffer', () => {
    expect(() => lumaAndColours({ data: Buffer.alloc(0), width: 0, height: 0, channels: 3 }, 5, 0)).toThrow(/empty image/);
    expect(() => lumaAndColours({ data: Buffer.alloc(5), width: 2, height: 1, channels: 3 }, 5, 0)).toThrow(/expected 6/);
  });
});

describe('image_stats/frame_stats (sharp)', () => {
  const run = async (img: RgbImage, raw: unknown = {}) => {
    const plugin = new ImageStatsPlugin();
    const frame = new FrameImage({ jpeg: Buffer.from([1]), width: img.width, height: img.height, index: 0, ptsMs: 0 }, codecOf(img));
    return plugin.tools.frame_stats.run(
      { frame, inputs: {}, inputsByType: {} },
      { pipelineId: 'frame_stats', nodeId: 'stats', params: frameStatsParamsSchema.parse(raw) },
    );
  };

  it('finds a flat frame neither sharp nor varied', async () => {
    expect(await run(image(64, 48, () => [30, 30, 30]))).toEqual({
      width: 64,
      height: 48,
      brightness: 0.1176,
      contrast: 0,
      sharpness: 0,
      entropy: 0,
      dominant_colours: [{ hex: '#1e1e1e', rgb: [30, 30, 30], share: 1 }],
    });
  });

  it('finds fine detail sharper than a soft gradient, and two grey levels one bit of entropy', async () => {
    const checker = (await run(image(64, 48, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0])))) as {
      sharpness: number;
      entropy: number;
    };
    const ramp = (await run(image(64, 48, (x) => [x * 4, x * 4, x * 4]))) as { sharpness: number };
    expect(checker.sharpness).toBeGreaterThan(10 * ramp.sharpness);
    expect(checker.entropy).toBeCloseTo(1, 2);
  });

  it('answers exactly the frame_stats shape of the results contract (what the APIs type as frame_stats)', async () => {
    const out = await run(image(40, 30, (x, y) => [x * 6, y * 8, 90]));
    expect(frameStatsSchema.strict().parse(out)).toEqual(out);
  });

  it('validates its params', () => {
    expect(frameStatsParamsSchema.parse({})).toEqual({ colours: 5, min_share: 0.01 });
    expect(() => frameStatsParamsSchema.parse({ colours: 99 })).toThrow();
    expect(new ImageStatsPlugin().tools.frame_stats.modelFiles?.()).toEqual([]);
  });
});
