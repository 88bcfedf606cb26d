/**
 * The text_regions pipeline end to end with the real PP-OCRv4 det model: frames
 * rendered with known text positions go in, boxes covering that text come out.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '@framewire/contracts';
import {
  type OrientedTextRegion,
  PADDLEOCR_MODEL_FILES,
  PipelineRegistry,
  PipelineRunner,
  PluginRegistry,
  type TextRegion,
  type TextLines,
  type TextRegions,
  builtinPlugins,
  defaultPaddleOcrModelDir,
} from '@framewire/pipelines';
import { type InkBox, type RenderedFrame, containment, iou, renderTextFrame } from '../../libs/pipelines/test-support/render-text';

jest.setTimeout(120_000);

let runner: PipelineRunner;
/** Shares the plugins (and loaded models) of `runner`, plus a pipeline with angle classification. */
let oriented: PipelineRunner;
let frameIndex = 0;

const ORIENTED_OCR = {
  id: 'ocr_oriented',
  name: 'OCR with angle classification',
  version: '1.0.0',
  nodes: [
    { id: 'detect', plugin: 'paddleocr', tool: 'detect_text' },
    { id: 'angle', plugin: 'paddleocr', tool: 'classify_angle' },
    { id: 'read', plugin: 'paddleocr', tool: 'recognize_text' },
  ],
  edges: [
    { from: 'detect', to: 'angle' },
    { from: 'angle', to: 'read' },
  ],
  entry: ['detect'],
  outputs: ['angle', 'read'],
};

beforeAll(async () => {
  const plugins = new PluginRegistry(builtinPlugins());
  runner = new PipelineRunner(PipelineRegistry.fromDirectories(plugins), plugins);
  await runner.init();
  oriented = new PipelineRunner(new PipelineRegistry(plugins, [{ source: 'test', raw: ORIENTED_OCR }]), plugins);
  await oriented.init();
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
      plugins: [{ id: 'paddleocr', version: '1.0.0' }],
      models: [{ name: PADDLEOCR_MODEL_FILES.det, sha256 }],
    });
  });
});

const squash = (text: string) => text.replace(/\s+/g, '');

describe('ocr pipeline (PP-OCRv4 det + rec, real models)', () => {
  async function read(r: PipelineRunner, pipelineId: string, frame: RenderedFrame) {
    const { result } = await r.run(pipelineId, {
      jpeg: frame.jpeg,
      width: frame.width,
      height: frame.height,
      index: frameIndex++,
      ptsMs: 0,
    });
    return result;
  }

  it('reads "HELLO 42"', async () => {
    const frame = await renderTextFrame(640, 360, [{ text: 'HELLO 42', left: 150, top: 140, size: 64 }]);
    const { lines } = (await read(runner, 'ocr', frame))['read'] as TextLines;
    expect(lines).toHaveLength(1);
    expect(squash(lines[0].text)).toBe('HELLO42');
    expect(lines[0].score).toBeGreaterThan(0.8);
    expectCovered(
      lines.map((l) => ({ polygon: l.polygon, score: l.det_score, bbox: l.bbox })),
      frame.boxes[0],
    );
  });

  it('reads two lines in reading order', async () => {
    const frame = await renderTextFrame(640, 360, [
      { text: 'Top left line', left: 30, top: 40, size: 36 },
      { text: 'bottom right 2024', left: 330, top: 280, size: 32, bold: false },
    ]);
    const { lines } = (await read(runner, 'ocr', frame))['read'] as TextLines;
    expect(lines.map((l) => squash(l.text))).toEqual(['Topleftline', 'bottomright2024']);
  });

  it('reads nothing on a blank frame', async () => {
    const frame = await renderTextFrame(640, 360, []);
    expect((await read(runner, 'ocr', frame))['read']).toEqual({ lines: [] });
  });

  it('turns upside-down text with classify_angle before reading it', async () => {
    const frame = await renderTextFrame(640, 360, [
      { text: 'UPSIDE DOWN 123', left: 100, top: 60, size: 48, rotate: 180 },
      { text: 'UPRIGHT 456', left: 100, top: 240, size: 48 },
    ]);
    const result = await read(oriented, 'ocr_oriented', frame);
    const angles = (result['angle'] as { regions: OrientedTextRegion[] }).regions.map((r) => r.angle);
    expect(angles).toEqual([180, 0]);
    const { lines } = result['read'] as TextLines;
    expect(lines.map((l) => [squash(l.text), l.angle])).toEqual([
      ['UPSIDEDOWN123', 180],
      ['UPRIGHT456', 0],
    ]);
    expect(oriented.versionInfo('ocr_oriented').models.map((m) => m.name)).toEqual([
      PADDLEOCR_MODEL_FILES.det,
      PADDLEOCR_MODEL_FILES.cls,
      PADDLEOCR_MODEL_FILES.rec,
    ]);
  });
});
