/**
 * Pipelines end to end, every app as its own process: an OCR job whose
 * per-frame texts are known, in source-video pixels when frames were scaled, the job pinned to the pipeline version and the
 * sha256 of every model file, the pipelines API, a frame_stats job, and a
 * plugin found in FW_PLUGIN_DIRS running in a pipeline from FW_PIPELINE_DIRS.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PADDLEOCR_MODEL_FILES, defaultPaddleOcrModelDir } from '@framewire/pipelines';
import { makeFixtureDir, makeVideo, removeFixtureDir, type TextOverlay } from '../support/fixtures';
import { eventually, startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

const FRAMES = 30;
const STRIDE = 5;
const TEXTS: TextOverlay[] = [
  { text: 'HELLO 42', fromFrame: 5, toFrame: 14, x: 40, y: 60, fontSize: 48 },
  { text: '2024-05-17', fromFrame: 10, toFrame: 19, x: 300, y: 250, fontSize: 36 },
  { text: 'Gate B-17', fromFrame: 20, toFrame: 24, x: 200, y: 150, fontSize: 32 },
];
/** What the ocr pipeline must read on each sampled frame, in reading order. */
const EXPECTED: Record<number, string[]> = {
  0: [],
  5: ['HELLO 42'],
  10: ['HELLO 42', '2024-05-17'],
  15: ['2024-05-17'],
  20: ['Gate B-17'],
  25: [],
};

/** A plugin an operator drops into FW_PLUGIN_DIRS: plain CommonJS, no model. */
const LEVELS_PLUGIN = `
exports.manifest = {
  id: 'levels',
  version: '0.1.0',
  tools: [{ id: 'red_mean', description: 'mean of the red channel', inputs: ['image'], outputs: ['level'], capabilities: ['toy'] }],
};
exports.createPlugin = () => ({
  tools: {
    red_mean: {
      run: async ({ frame }) => {
        const rgb = await frame.rgb();
        let sum = 0;
        for (let i = 0; i < rgb.data.length; i += 3) sum += rgb.data[i];
        return { red_mean: Math.round(sum / (rgb.width * rgb.height)) };
      },
    },
  },
});
`;
const LEVELS_PIPELINE = {
  id: 'levels',
  name: 'Red level',
  version: '0.1.0',
  nodes: [{ id: 'red', plugin: 'levels', tool: 'red_mean' }],
  edges: [],
  entry: ['red'],
  outputs: ['red'],
};

interface Job {
  job_id: string;
  status: string;
  pipeline: { id: string; version: string; models: Array<{ name: string; sha256: string }> };
  progress: { frames_done: number; frames_failed: number; frames_total: number | null };
  error: { code: string; message: string } | null;
}
interface ResultItem {
  frame_index: number;
  result: Record<string, unknown> | null;
  error: string | null;
  timings_ms: Record<string, number>;
  geometry: { analysed: { width: number; height: number }; source: { width: number; height: number } } | null;
}
interface Line {
  text: string;
  bbox: { x: number; y: number; width: number; height: number };
  bbox_norm: { x: number; y: number; width: number; height: number };
}

describe('pipelines: OCR job, pinning, pipelines API, frame stats, external plugins', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({ path: join(fixtures, 'ocr.mp4'), width: 640, height: 360, frames: FRAMES, texts: TEXTS });
    await mkdir(join(fixtures, 'plugins', 'levels'), { recursive: true });
    await writeFile(join(fixtures, 'plugins', 'levels', 'index.js'), LEVELS_PLUGIN);
    await mkdir(join(fixtures, 'pipelines'));
    await writeFile(join(fixtures, 'pipelines', 'levels.json'), JSON.stringify(LEVELS_PIPELINE));
    sys = await startSystem({
      env: { FW_PLUGIN_DIRS: join(fixtures, 'plugins'), FW_PIPELINE_DIRS: join(fixtures, 'pipelines') },
    });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function submit(fields: Record<string, string>, file = video): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([await readFile(file)]), 'ocr.mp4');
    const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function completed(id: string): Promise<Job> {
    const job = await eventually(
      async () => {
        const j = (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}`)).json()) as Job;
        return j.status === 'completed' || j.status === 'failed' ? j : undefined;
      },
      120_000,
      `job ${id} to finish`,
    );
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    return job;
  }

  async function results(id: string): Promise<ResultItem[]> {
    const page = (await (await fetch(`${sys.baseUrl}/v1/jobs/${id}/results?limit=100`)).json()) as { items: ResultItem[] };
    return page.items;
  }

  async function json(path: string, init?: RequestInit): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
    const res = await fetch(`${sys.baseUrl}${path}`, init);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
  }

  it('reads the text of every sampled frame with the ocr pipeline, and pins the job to the exact model files', async () => {
    const sub = await submit({ pipeline_id: 'ocr', frame_stride: String(STRIDE) });
    expect(sub.status).toBe(202);
    const job = await completed(sub.body.job_id as string);
    expect(job.progress).toMatchObject({ frames_done: 6, frames_failed: 0, frames_total: 6 });

    const items = await results(job.job_id);
    const read = Object.fromEntries(
      items.map((r) => [r.frame_index, (r.result?.['read'] as { lines: Array<{ text: string }> }).lines.map((l) => l.text)]),
    );
    expect(read).toEqual(EXPECTED);
    for (const r of items) {
      expect(r.error).toBeNull();
      expect(Object.keys(r.timings_ms).sort()).toEqual(['angle', 'detect', 'read']);
      // Not scaled (640 ≤ FW_MAX_FRAME_WIDTH): source and analysed sizes agree.
      expect(r.geometry).toEqual({ analysed: { width: 640, height: 360 }, source: { width: 640, height: 360 } });
      for (const line of (r.result?.['read'] as { lines: Array<Record<string, unknown>> }).lines) {
        expect(line.confidence as number).toBeGreaterThan(0.8);
        expect(Array.isArray(line.polygon) && line.polygon.length).toBe(4);
      }
    }

    // The version and the sha256 of every file the pipeline reads, as they are on disk.
    const dir = defaultPaddleOcrModelDir();
    const files = [PADDLEOCR_MODEL_FILES.det, PADDLEOCR_MODEL_FILES.cls, PADDLEOCR_MODEL_FILES.rec, PADDLEOCR_MODEL_FILES.keys];
    const expected = await Promise.all(
      files.map(async (name) => ({
        name,
        sha256: createHash('sha256')
          .update(await readFile(join(dir, name)))
          .digest('hex'),
      })),
    );
    expect(job.pipeline).toEqual({ id: 'ocr', version: '2.0.0', models: expected });

    // Each inference replica logs what it loaded: the same files, by the same hashes.
    const loaded = sys
      .logsOf('inference')
      .split('\n')
      .filter((l) => l.includes('"msg":"models loaded"'))
      .map((l) => JSON.parse(l) as { pipelines: Array<{ id: string; version: string; models: unknown[] }> });
    expect(loaded.length).toBeGreaterThan(0);
    for (const line of loaded) {
      expect(line.pipelines.find((p) => p.id === 'ocr')).toMatchObject({ version: '2.0.0', models: expected });
    }
  });

  it('answers in source-video pixels when frames wider than FW_MAX_FRAME_WIDTH (1920) were scaled for inference', async () => {
    const wide = await makeVideo({
      path: join(fixtures, 'wide.mp4'),
      width: 2400,
      height: 240,
      frames: 2,
      texts: [{ text: 'WIDE 2400', fromFrame: 0, toFrame: 1, x: 1800, y: 80, fontSize: 72 }],
    });
    const sub = await submit({ pipeline_id: 'ocr', max_frames: '1' }, wide);
    expect(sub.status).toBe(202);
    const [item] = await results((await completed(sub.body.job_id as string)).job_id);
    expect(item?.geometry).toEqual({ analysed: { width: 1920, height: 192 }, source: { width: 2400, height: 240 } });
    const [line] = (item?.result?.['read'] as { lines: Line[] }).lines;
    expect(line?.text).toBe('WIDE 2400');
    // Drawn at x=1800 of the video (1440 of the analysed frame); detection pads its box by a few pixels.
    expect(Math.abs(line!.bbox.x - 1800)).toBeLessThan(15);
    expect(line!.bbox.y).toBeGreaterThan(70);
    expect(line!.bbox.y).toBeLessThan(100);
    expect(line!.bbox_norm.x).toBeCloseTo(line!.bbox.x / 2400, 3);
    expect(line!.bbox_norm.y).toBeCloseTo(line!.bbox.y / 240, 3);
  });

  it('lists the pipelines, built-in and configured, with what each pins', async () => {
    const { status, body } = await json('/v1/pipelines');
    expect(status).toBe(200);
    const items = body.items as Array<{ id: string; version: string; models: unknown[] }>;
    expect(items.map((p) => p.id)).toEqual(['frame_stats', 'levels', 'ocr', 'text_regions']);
    expect(items.find((p) => p.id === 'ocr')?.models).toHaveLength(4);
    expect(items.find((p) => p.id === 'frame_stats')?.models).toEqual([]);
  });

  it('shows one pipeline: nodes, edges, entry and output nodes, tools with their types', async () => {
    const { status, body } = await json('/v1/pipelines/ocr');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: 'ocr',
      version: '2.0.0',
      nodes: [
        { id: 'detect', plugin: 'paddleocr', tool: 'detect_text' },
        { id: 'angle', plugin: 'paddleocr', tool: 'classify_angle' },
        { id: 'read', plugin: 'paddleocr', tool: 'recognize_text', params: { crop_pad: 0.3, min_score: 0.5 } },
      ],
      edges: [
        { from: 'detect', to: 'angle' },
        { from: 'angle', to: 'read' },
      ],
      entry: ['detect'],
      outputs: ['read'],
      tools: [
        { plugin: 'paddleocr', tool: 'detect_text', inputs: ['image'], outputs: ['text_regions'] },
        { plugin: 'paddleocr', tool: 'classify_angle', inputs: ['image', 'text_regions'], outputs: ['text_regions'] },
        { plugin: 'paddleocr', tool: 'recognize_text', inputs: ['image', 'text_regions'], outputs: ['text_lines'] },
      ],
    });
    const missing = await json('/v1/pipelines/nope');
    expect(missing.status).toBe(404);
    expect(missing.type).toMatch(/application\/problem\+json/);
    expect(missing.body).toMatchObject({
      code: 'NOT_FOUND',
      detail: expect.stringMatching(/unknown pipeline 'nope' \(known: frame_stats, levels, ocr/),
    });
  });

  it('validates a definition, listing every error', async () => {
    const post = (body: unknown) =>
      json('/v1/pipelines/validate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const good = await post({ ...LEVELS_PIPELINE, id: 'levels2' });
    expect(good).toMatchObject({ status: 200, body: { valid: true, errors: [] } });

    const bad = await post({
      id: 'broken',
      name: 'Broken',
      version: '1.0.0',
      nodes: [
        { id: 'detect', plugin: 'paddleocr', tool: 'detect_text' },
        { id: 'read', plugin: 'paddleocr', tool: 'recognize_text' },
        { id: 'again', plugin: 'paddleocr', tool: 'classify_angle' },
        { id: 'stats', plugin: 'image_stats', tool: 'frame_stats' },
        { id: 'lost', plugin: 'paddleocr', tool: 'read_minds' },
      ],
      edges: [
        { from: 'detect', to: 'read' },
        { from: 'read', to: 'again' },
        { from: 'again', to: 'read' },
        { from: 'stats', to: 'read' },
      ],
      entry: ['detect', 'nowhere'],
      outputs: ['read', 'missing'],
    });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    const codes = (bad.body.errors as Array<{ code: string; message: string }>).map((e) => e.code);
    expect(new Set(codes)).toEqual(
      new Set(['UNKNOWN_TOOL', 'TYPE_MISMATCH', 'MISSING_INPUT', 'MISSING_ENTRY', 'MISSING_OUTPUT', 'CYCLE', 'UNREACHABLE']),
    );
    expect(bad.body.errors).toContainEqual({ code: 'CYCLE', message: 'cycle: read → again → read' });
    expect(bad.body.errors).toContainEqual({
      code: 'TYPE_MISMATCH',
      message:
        "edge stats → read: 'read' (paddleocr/recognize_text) takes [image, text_regions] but 'stats' (image_stats/frame_stats) produces [frame_stats]",
    });

    const notJson = await json('/v1/pipelines/validate', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses an unknown pipeline at submit with a 4xx, creating no job', async () => {
    const { status, body } = await submit({ pipeline_id: 'no_such_pipeline' });
    expect(status).toBe(422);
    expect(body).toMatchObject({ code: 'UNKNOWN_PIPELINE' });
  });

  it('runs frame_stats, and a pipeline made of a plugin from FW_PLUGIN_DIRS', async () => {
    const stats = await submit({ pipeline_id: 'frame_stats', frame_stride: '10' });
    const levels = await submit({ pipeline_id: 'levels', frame_stride: '10' });
    expect([stats.status, levels.status]).toEqual([202, 202]);

    const statsJob = await completed(stats.body.job_id as string);
    expect(statsJob.pipeline).toEqual({ id: 'frame_stats', version: '1.0.0', models: [] });
    for (const r of await results(statsJob.job_id)) {
      const s = r.result?.['stats'] as Record<string, unknown>;
      expect(s).toMatchObject({ width: 640, height: 360 });
      // A white frame, black text on some.
      expect(s.brightness as number).toBeGreaterThan(0.9);
      expect((s.dominant_colours as Array<{ hex: string; share: number }>)[0]).toMatchObject({ hex: '#ffffff' });
    }

    await completed(levels.body.job_id as string);
    const lv = await results(levels.body.job_id as string);
    expect(lv.map((r) => r.frame_index)).toEqual([0, 10, 20]);
    for (const r of lv) expect((r.result?.['red'] as { red_mean: number }).red_mean).toBeGreaterThan(200);
  });

  it('refuses to start an app whose plugin directory holds a malformed manifest, naming the fault', async () => {
    const bad = join(fixtures, 'bad-plugins');
    await mkdir(join(bad, 'broken'), { recursive: true });
    await writeFile(
      join(bad, 'broken', 'index.js'),
      LEVELS_PLUGIN.replace("id: 'levels'", "id: 'Broken Plugin'").replace("outputs: ['level']", 'outputs: []'),
    );
    const started = sys.start('inference', { FW_PLUGIN_DIRS: bad });
    await expect(started).rejects.toThrow(/exited \(1\)/);
    const logs = sys.logsOf('inference');
    expect(logs).toContain(`plugin 'Broken Plugin' from ${join(bad, 'broken', 'index.js')}: manifest id: must match`);
    expect(logs).toMatch(/manifest tools\.0\.outputs: /);
  });
});
