/**
 * The text_regions pipeline end to end with the real PP-OCRv4 det model: frames
 * rendered with known text positions go in, boxes covering that text come out.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '@framewire/contracts';
import {
  ModelFileHasher,
  PADDLEOCR_MODEL_FILES,
  PipelineRegistry,
  InProcessPipelineRunner,
  type PipelineRunner,
  PluginRegistry,
  type TextRegion,
  type TextLines,
  type TextRegions,
  builtinPlugins,
  defaultPaddleOcrModelDir,
  pinPipeline,
} from '@framewire/pipelines';
import sharp from 'sharp';
import {
  type InkBox,
  type RenderOptions,
  type RenderedFrame,
  type TextSpec,
  containment,
  iou,
  renderTextFrame,
} from '../../libs/pipelines/test-support/render-text';

jest.setTimeout(120_000);

let runner: PipelineRunner;
let frameIndex = 0;

beforeAll(async () => {
  const plugins = new PluginRegistry(builtinPlugins());
  runner = new InProcessPipelineRunner(PipelineRegistry.fromDirectories(plugins), plugins);
  await runner.init(['text_regions', 'ocr']);
});

afterAll(async () => {
  await runner?.close();
});

async function detect(frame: RenderedFrame): Promise<{ regions: TextRegion[]; timings: Record<string, number> }> {
  const { result, timings_ms } = await runner.run('text_regions', {
    jpeg: frame.jpeg,
    width: frame.width,
    height: frame.height,
    index: frameIndex++,
    ptsMs: 0,
  });
  expect(Object.keys(result)).toEqual(['detect']);
  return { regions: (result['detect'] as TextRegions).regions, timings: timings_ms };
}

const overlaps = (a: InkBox, b: InkBox) => iou(a, b) > 0;

/** Bounds of every region that touches `ink`. */
function coverOf(regions: readonly TextRegion[], ink: InkBox): InkBox | null {
  const touching = regions.filter((r) => overlaps(r.bbox, ink));
  if (touching.length === 0) return null;
  const x0 = Math.min(...touching.map((r) => r.bbox.x));
  const y0 = Math.min(...touching.map((r) => r.bbox.y));
  const x1 = Math.max(...touching.map((r) => r.bbox.x + r.bbox.width));
  const y1 = Math.max(...touching.map((r) => r.bbox.y + r.bbox.height));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function expectCovered(regions: readonly TextRegion[], ink: InkBox): InkBox {
  const cover = coverOf(regions, ink);
  expect(cover).not.toBeNull();
  // The text is inside the detected boxes, and the boxes are not much larger than the text.
  expect(containment(ink, cover!)).toBeGreaterThan(0.95);
  expect(iou(ink, cover!)).toBeGreaterThan(0.5);
  return cover!;
}

function expectWellFormed(regions: readonly TextRegion[], width: number, height: number): void {
  for (const r of regions) {
    expect(r.polygon).toHaveLength(4);
    for (const [x, y] of r.polygon) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(width);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThan(height);
    }
    // Clockwise from top-left on screen.
    const [tl, tr, br, bl] = r.polygon as [[number, number], [number, number], [number, number], [number, number]];
    expect(tl[0]).toBeLessThan(tr[0]);
    expect(tl[1]).toBeLessThan(bl[1]);
    expect(br[0]).toBeGreaterThan(bl[0]);
    expect(r.score).toBeGreaterThanOrEqual(0.6);
    expect(r.score).toBeLessThanOrEqual(1);
  }
}

describe('text_regions pipeline (PP-OCRv4 det, real model)', () => {
  it('finds "HELLO 42" where it was drawn', async () => {
    const frame = await renderTextFrame(640, 360, [{ text: 'HELLO 42', left: 150, top: 140, size: 64 }]);
    const { regions, timings } = await detect(frame);
    expectWellFormed(regions, 640, 360);
    expect(regions.length).toBeGreaterThanOrEqual(1);
    expectCovered(regions, frame.boxes[0]);
    // Nothing detected away from the text.
    for (const r of regions) expect(overlaps(r.bbox, frame.boxes[0])).toBe(true);
    expect(timings['detect']).toBeGreaterThan(0);
  });

  it('finds nothing on a blank frame', async () => {
    const frame = await renderTextFrame(640, 360, []);
    const { regions } = await detect(frame);
    expect(regions).toEqual([]);
  });

  it('finds two lines in different places, in reading order', async () => {
    const frame = await renderTextFrame(640, 360, [
      { text: 'Top left line', left: 30, top: 40, size: 36 },
      { text: 'bottom right 2024', left: 330, top: 280, size: 32, bold: false },
    ]);
    const { regions } = await detect(frame);
    expectWellFormed(regions, 640, 360);
    const [top, bottom] = frame.boxes as [InkBox, InkBox];
    expectCovered(regions, top);
    expectCovered(regions, bottom);
    for (const r of regions) expect(overlaps(r.bbox, top) || overlaps(r.bbox, bottom)).toBe(true);
    // No region spans both lines, and the top line comes first.
    expect(regions.some((r) => overlaps(r.bbox, top) && overlaps(r.bbox, bottom))).toBe(false);
    expect(overlaps(regions[0].bbox, top)).toBe(true);
    expect(overlaps(regions[regions.length - 1].bbox, bottom)).toBe(true);
  });

  it('maps boxes back through the 720p → 960x544 resize on a textured frame', async () => {
    const frame = await renderTextFrame(
      1280,
      720,
      [
        { text: 'FRAMEWIRE', left: 100, top: 80, size: 72 },
        { text: 'subtitle line at the bottom', left: 300, top: 600, size: 40, bold: false },
      ],
      { background: 'texture', quality: 85 },
    );
    const { regions } = await detect(frame);
    expectWellFormed(regions, 1280, 720);
    for (const ink of frame.boxes) expectCovered(regions, ink);
  });

  it('follows rotated text with a rotated box', async () => {
    const frame = await renderTextFrame(640, 360, [{ text: 'ROTATED TEXT', left: 120, top: 150, size: 48, rotate: -12 }]);
    const { regions } = await detect(frame);
    expectWellFormed(regions, 640, 360);
    expect(regions).toHaveLength(1);
    const [tl, tr] = regions[0].polygon as [[number, number], [number, number]];
    const angle = (Math.atan2(tr[1] - tl[1], tr[0] - tl[0]) * 180) / Math.PI;
    expect(angle).toBeGreaterThan(-16);
    expect(angle).toBeLessThan(-8);
    expectCovered(regions, frame.boxes[0]);
  });

  it('fails the frame, naming the node, on a corrupt JPEG', async () => {
    const good = await renderTextFrame(64, 64, []);
    const corrupt = Buffer.from(good.jpeg.subarray(0, 40));
    let error: unknown;
    try {
      await runner.run('text_regions', { jpeg: corrupt, width: 64, height: 64, index: 3, ptsMs: 120 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('FRAME_FAILED');
    expect((error as DomainError).message).toMatch(
      /^node 'detect' \(paddleocr\/detect_text\) failed: cannot decode frame 3 \(40 bytes\): /,
    );
  });

  it('pins results to the det model file by sha256', () => {
    const path = join(defaultPaddleOcrModelDir(), PADDLEOCR_MODEL_FILES.det);
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(runner.versionInfo('text_regions')).toEqual({
      id: 'text_regions',
      version: '1.0.0',
      plugins: [{ id: 'paddleocr', version: '2.0.0' }],
      models: [{ name: PADDLEOCR_MODEL_FILES.det, sha256 }],
    });
  });
});

describe('ocr pipeline (PP-OCRv4 det → angle classification → rec, real models)', () => {
  async function read(frame: RenderedFrame): Promise<TextLines['lines']> {
    const { result, timings_ms } = await runner.run('ocr', {
      jpeg: frame.jpeg,
      width: frame.width,
      height: frame.height,
      index: frameIndex++,
      ptsMs: 0,
    });
    expect(Object.keys(result)).toEqual(['read']);
    expect(Object.keys(timings_ms)).toEqual(['detect', 'angle', 'read']);
    return (result['read'] as TextLines).lines;
  }

  it.each<[string, number, number, TextSpec[], string[], RenderOptions]>([
    ['one line', 640, 360, [{ text: 'HELLO 42', left: 150, top: 140, size: 64 }], ['HELLO 42'], {}],
    [
      'three lines of different sizes, weights and places',
      640,
      360,
      [
        { text: 'ROUTE 66-B', left: 20, top: 20, size: 28 },
        { text: '2024-05-17', left: 300, top: 160, size: 40 },
        { text: 'Gate B-17', left: 60, top: 290, size: 22, bold: false },
      ],
      ['ROUTE 66-B', '2024-05-17', 'Gate B-17'],
      {},
    ],
    [
      'small and large text on a textured 720p frame',
      1280,
      720,
      [
        { text: 'FRAMEWIRE', left: 100, top: 80, size: 72 },
        { text: 'call 555-0199 now', left: 700, top: 400, size: 32, bold: false },
        { text: 'ID 4821-77', left: 60, top: 640, size: 20 },
      ],
      ['FRAMEWIRE', 'call 555-0199 now', 'ID 4821-77'],
      { background: 'texture', quality: 85 },
    ],
    [
      // Squeezed into the angle classifier's 192 pixels, a line this long must still read as upright.
      'a long subtitle line',
      1280,
      720,
      [{ text: 'Subtitles: the quick brown fox jumps over the lazy dog', left: 120, top: 560, size: 36, bold: false }],
      ['Subtitles: the quick brown fox jumps over the lazy dog'],
      { background: 'texture', quality: 85 },
    ],
    [
      'a paragraph of close lines',
      640,
      360,
      [
        { text: 'Meeting at 10-30 in room B', left: 20, top: 30, size: 24, bold: false },
        { text: 'bring the 2024 budget notes', left: 20, top: 60, size: 24, bold: false },
        { text: 'and the signed form 7-A', left: 20, top: 90, size: 24, bold: false },
      ],
      ['Meeting at 10-30 in room B', 'bring the 2024 budget notes', 'and the signed form 7-A'],
      {},
    ],
  ])('reads %s exactly, in reading order', async (_name, width, height, texts, expected, options) => {
    const frame = await renderTextFrame(width, height, texts, options);
    const lines = await read(frame);
    expect(lines.map((l) => l.text)).toEqual(expected);
    lines.forEach((line, i) => {
      expect(line.confidence).toBeGreaterThan(0.8);
      expect(line.angle).toBe(0);
      // Each line's polygon is where the text it reads was drawn.
      const ink = frame.boxes[i];
      expect(iou(line.bbox, ink)).toBeGreaterThan(0.5);
      expect(containment(ink, line.bbox)).toBeGreaterThan(0.9);
    });
  });

  it.each<[string, RenderOptions]>([
    ['white', {}],
    ['textured', { background: 'texture' }],
  ])('reads nothing on a blank %s frame', async (_name, options) => {
    expect(await read(await renderTextFrame(640, 360, [], options))).toEqual([]);
    expect(await read(await renderTextFrame(1280, 720, [], options))).toEqual([]);
  });

  it('reads nothing on a black frame', async () => {
    const black = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#000000' } })
      .jpeg()
      .toBuffer();
    expect(await read({ jpeg: black, width: 640, height: 360, boxes: [] })).toEqual([]);
  });

  it('turns upside-down text over before reading it', async () => {
    const frame = await renderTextFrame(640, 360, [
      { text: 'UPSIDE DOWN 123', left: 100, top: 60, size: 48, rotate: 180 },
      { text: 'UPRIGHT 456', left: 100, top: 240, size: 48 },
    ]);
    const lines = await read(frame);
    expect(lines.map((l) => [l.text, l.angle])).toEqual([
      ['UPSIDE DOWN 123', 180],
      ['UPRIGHT 456', 0],
    ]);
  });

  it('pins the ocr pipeline to every file it reads: the hashes of what inference loaded are those intake records', async () => {
    const loaded = runner.versionInfo('ocr');
    expect(loaded.version).toBe('2.0.0');
    expect(loaded.models.map((m) => m.name)).toEqual([
      PADDLEOCR_MODEL_FILES.det,
      PADDLEOCR_MODEL_FILES.cls,
      PADDLEOCR_MODEL_FILES.rec,
      PADDLEOCR_MODEL_FILES.keys,
    ]);
    // Intake hashes the same files without loading them.
    const catalog = PipelineRegistry.fromDirectories(new PluginRegistry(builtinPlugins()));
    const pinned = await pinPipeline(catalog.get('ocr'), new ModelFileHasher());
    expect(pinned).toEqual({ id: 'ocr', version: loaded.version, models: loaded.models });
  });
});
