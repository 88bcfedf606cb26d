/**
 * The backbone end to end: every app as its own process, a fixture video with
 * known text on known frames, submitted through the HTTP API.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import sharp from 'sharp';
import { makeAudioOnly, makeFixtureDir, makeTextFile, makeVideo, removeFixtureDir, type TextOverlay } from '../support/fixtures';
import { eventually, startSystem, type TestSystem } from '../support/system';

jest.setTimeout(180_000);

const FPS = 30;
const FRAMES = 60;
const W = 640;
const H = 360;
const TEXTS: TextOverlay[] = [
  { text: 'HELLO 42', fromFrame: 10, toFrame: 19, x: 40, y: 60, fontSize: 48 },
  { text: 'FRAMEWIRE', fromFrame: 35, toFrame: 44, x: 300, y: 250, fontSize: 44 },
];

interface Region {
  polygon: Array<[number, number]>;
  score: number;
  bbox: { x: number; y: number; width: number; height: number };
}
interface ResultItem {
  frame_index: number;
  pts_ms: number;
  result: { detect: { regions: Region[] } } | null;
  error: string | null;
}
interface Job {
  job_id: string;
  status: string;
  progress: { frames_done: number; frames_failed: number; frames_total: number | null; fraction: number };
  video: { width: number; height: number; fps: number; codec: string; frame_count: number | null } | null;
  error: { code: string; message: string } | null;
}

/** Where the fixture's text is drawn: from its anchor, at most 0.8 em per character (DejaVu Sans Bold), one line high. */
function textBox(t: TextOverlay) {
  return { x0: t.x, y0: t.y, x1: t.x + t.text.length * t.fontSize * 0.8, y1: t.y + t.fontSize * 1.1 };
}

describe('backbone: a video job flows end to end through the five services', () => {
  let sys: TestSystem;
  let fixtures: string;
  let video: string;

  beforeAll(async () => {
    fixtures = await makeFixtureDir();
    video = await makeVideo({ path: join(fixtures, 'text.mp4'), width: W, height: H, fps: FPS, frames: FRAMES, texts: TEXTS });
    // Two inference replicas share one durable consumer.
    sys = await startSystem({ replicas: { inference: 2 } });
  });

  afterAll(async () => {
    await sys?.stop();
    await removeFixtureDir(fixtures);
  });

  async function submit(
    fields: Record<string, string>,
    file: { path: string; name: string } | null = { path: video, name: 'text.mp4' },
    route = '/v1/jobs',
  ) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    if (file) form.append('file', new Blob([await readFile(file.path)]), file.name);
    const res = await fetch(`${sys.baseUrl}${route}`, { method: 'POST', body: form });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
  }

  async function getJob(id: string): Promise<Job> {
    const res = await fetch(`${sys.baseUrl}/v1/jobs/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Job;
  }

  async function untilDone(id: string): Promise<Job> {
    return eventually(
      async () => {
        const job = await getJob(id);
        return job.status === 'completed' || job.status === 'failed' ? job : undefined;
      },
      120_000,
      `job ${id} to finish`,
    );
  }

  async function allResults(id: string, limit: number): Promise<ResultItem[]> {
    const out: ResultItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await fetch(`${sys.baseUrl}/v1/jobs/${id}/results?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: ResultItem[]; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(limit);
      out.push(...page.items);
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 1000);
    return out;
  }

  function expectedIndices(stride: number, max: number | null): number[] {
    const all = Array.from({ length: Math.ceil(FRAMES / stride) }, (_, k) => k * stride);
    return max === null ? all : all.slice(0, max);
  }

  it('answers 202 with a job id at once, and the job is readable straight away', async () => {
    const t0 = Date.now();
    const res = await submit({ pipeline_id: 'text_regions' });
    expect(res.status).toBe(202);
    expect(res.body.job_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.status).toBe('pending');
    const job = await getJob(res.body.job_id as string);
    expect(['pending', 'running', 'completed']).toContain(job.status);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await untilDone(res.body.job_id as string);
  });

  it.each([
    ['stride 1', 1, null],
    ['stride 7', 7, null],
    ['stride 3 capped at 5 frames', 3, 5],
  ])('%s: completes with exactly the sampled frames, text boxes where the text is', async (_name, stride, max) => {
    const fields: Record<string, string> = { pipeline_id: 'text_regions', frame_stride: String(stride) };
    if (max !== null) fields.max_frames = String(max);
    const { status, body } = await submit(fields);
    expect(status).toBe(202);
    const id = body.job_id as string;

    const job = await untilDone(id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    const expected = expectedIndices(stride, max);
    expect(job.progress).toEqual({ frames_done: expected.length, frames_failed: 0, frames_total: expected.length, fraction: 1 });
    expect(job.video).toMatchObject({ width: W, height: H, codec: 'h264' });
    expect(job.video?.fps).toBeCloseTo(FPS, 3);

    const results = await allResults(id, 7);
    expect(results.map((r) => r.frame_index)).toEqual(expected);
    if (stride === 1) {
      const workers = (await sys.db.dataSource.query('SELECT DISTINCT worker_id FROM frame_results WHERE job_id = $1', [id])) as unknown[];
      expect(workers.length).toBe(2);
    }
    for (const r of results) {
      expect(r.error).toBeNull();
      expect(r.pts_ms).toBeCloseTo((r.frame_index * 1000) / FPS, 0);
      const regions = r.result!.detect.regions;
      const shown = TEXTS.filter((t) => r.frame_index >= t.fromFrame && r.frame_index <= t.toFrame);
      if (shown.length === 0) {
        expect({ frame: r.frame_index, regions }).toEqual({ frame: r.frame_index, regions: [] });
        continue;
      }
      for (const t of shown) {
        const box = textBox(t);
        const hit = regions.find((g) => {
          const cx = g.bbox.x + g.bbox.width / 2;
          const cy = g.bbox.y + g.bbox.height / 2;
          return cx > box.x0 && cx < box.x1 && cy > box.y0 && cy < box.y1;
        });
        expect({ frame: r.frame_index, text: t.text, hit: hit !== undefined }).toEqual({ frame: r.frame_index, text: t.text, hit: true });
      }
      // Nothing detected away from the text.
      for (const g of regions) {
        const near = shown.some((t) => {
          const b = textBox(t);
          return (
            g.bbox.x >= b.x0 - 30 && g.bbox.y >= b.y0 - 30 && g.bbox.x + g.bbox.width <= b.x1 + 30 && g.bbox.y + g.bbox.height <= b.y1 + 30
          );
        });
        expect({ frame: r.frame_index, bbox: g.bbox, near }).toEqual({ frame: r.frame_index, bbox: g.bbox, near: true });
      }
    }
  });

  it("keeps the sampled frames: GET …/frames/{index} is the JPEG, annotate=1 draws the result's boxes, DELETE takes them", async () => {
    const { body } = await submit({ pipeline_id: 'text_regions', frame_stride: '10', max_frames: '2' });
    const id = body.job_id as string;
    expect(await untilDone(id)).toMatchObject({ status: 'completed' });
    const [hello] = (await allResults(id, 100)).filter((r) => r.frame_index === 10);
    const box = hello!.result!.detect.regions[0]!.bbox; // source pixels; the frame was not scaled (640 ≤ FW_MAX_FRAME_WIDTH)

    const frameOf = async (query: string) => {
      const res = await fetch(`${sys.baseUrl}/v1/jobs/${id}/frames/10${query}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
      return sharp(Buffer.from(await res.arrayBuffer()))
        .raw()
        .toBuffer({ resolveWithObject: true });
    };
    const raw = await frameOf('');
    const drawn = await frameOf('?annotate=1');
    expect([raw.info.width, raw.info.height, drawn.info.width, drawn.info.height]).toEqual([W, H, W, H]);
    /** Mean absolute difference of the two images over a rectangle. */
    const change = (x0: number, y0: number, x1: number, y1: number) => {
      let sum = 0;
      let n = 0;
      for (let y = Math.round(y0); y < Math.round(y1); y++)
        for (let x = Math.round(x0); x < Math.round(x1); x++)
          for (let c = 0; c < 3; c++, n++) sum += Math.abs(raw.data[(y * W + x) * 3 + c]! - drawn.data[(y * W + x) * 3 + c]!);
      return sum / n;
    };
    expect(change(box.x, box.y, box.x + box.width, box.y + box.height)).toBeGreaterThan(15);
    expect(change(0, H - 60, 200, H)).toBeLessThan(3); // far from the text: as it was

    expect((await fetch(`${sys.baseUrl}/v1/jobs/${id}/frames/11`)).status).toBe(404); // not sampled at stride 10
    expect(await readdir(join(sys.dataDir, 'objects', 'frames', id))).toHaveLength(2); // every sampled frame (0 and 10), inline or not
    expect((await fetch(`${sys.baseUrl}/v1/jobs/${id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(`${sys.baseUrl}/v1/jobs/${id}/frames/10`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await readdir(join(sys.dataDir, 'objects', 'frames', id)).catch(() => [])).toEqual([]);
  });

  it('lists jobs newest first, filtered by status', async () => {
    const res = await fetch(`${sys.baseUrl}/v1/jobs?status=completed&limit=2`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as {
      items: Array<{ job_id: string; status: string; timings: { created_at: string } }>;
      next_cursor: string | null;
    };
    expect(page.items).toHaveLength(2);
    expect(page.items.every((j) => j.status === 'completed')).toBe(true);
    expect(page.items[0].timings.created_at >= page.items[1].timings.created_at).toBe(true);
    expect(page.next_cursor).not.toBeNull();
    const next = (await (await fetch(`${sys.baseUrl}/v1/jobs?status=completed&limit=2&cursor=${page.next_cursor}`)).json()) as typeof page;
    const ids = new Set([...page.items, ...next.items].map((j) => j.job_id));
    expect(ids.size).toBe(page.items.length + next.items.length);
  });

  it('keeps the original system routes and shapes', async () => {
    const sub = await submit({ frame_stride: '10' }, { path: video, name: 'text.mp4' }, '/v1/video/submit');
    expect(sub.status).toBe(200);
    expect(Object.keys(sub.body)).toEqual(['job_id']);
    const id = sub.body.job_id as string;

    const early = await fetch(`${sys.baseUrl}/v1/video/results/${id}`);
    if (early.status === 404) expect(await early.json()).toEqual({ detail: 'Job not completed' });

    await untilDone(id);
    const status = (await (await fetch(`${sys.baseUrl}/v1/video/status/${id}`)).json()) as Record<string, unknown>;
    expect(Object.keys(status).sort()).toEqual(['created_at', 'job_id', 'progress', 'status', 'updated_at']);
    expect(status).toMatchObject({ job_id: id, status: 'completed', progress: 1 });

    const results = (await (await fetch(`${sys.baseUrl}/v1/video/results/${id}`)).json()) as {
      job_id: string;
      results: Array<{ frame_index: number; result: unknown }>;
    };
    expect(Object.keys(results).sort()).toEqual(['created_at', 'job_id', 'results', 'updated_at']);
    expect(results.results.map((r) => r.frame_index)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(Object.keys(results.results[0]).sort()).toEqual(['frame_index', 'result']);

    const missing = await fetch(`${sys.baseUrl}/v1/video/status/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Job not found' });
    expect((await fetch(`${sys.baseUrl}/v1/video/results/not-a-job`)).status).toBe(404);
  });

  describe('bad requests get a clear 4xx with a problem body, and nothing is stored or queued', () => {
    let notVideo: string;
    let audioOnly: string;

    beforeAll(async () => {
      notVideo = await makeTextFile(join(fixtures, 'notes.mp4'));
      audioOnly = await makeAudioOnly(join(fixtures, 'audio.m4a'));
    });

    async function snapshot() {
      const inputs = await readdir(join(sys.dataDir, 'objects', 'inputs')).catch(() => []);
      const uploads = await readdir(join(sys.dataDir, 'uploads')).catch(() => []);
      const { rows } = await sys.db.dataSource
        .query('SELECT count(*)::int AS n FROM jobs')
        .then((r: Array<{ n: number }>) => ({ rows: r }));
      const nc = await connect({ servers: sys.nats.url });
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info('FW_WORK', { subjects_filter: 'fw.work.extract' });
      await nc.close();
      return {
        inputs: inputs.length,
        uploads: uploads.length,
        jobs: rows[0].n,
        extractQueued: info.state.messages,
        extractSeq: info.state.last_seq,
      };
    }

    it.each([
      ['no file', { pipeline_id: 'text_regions' }, null, 400, 'INVALID_ARGUMENT', /missing file/],
      ['a text file named .mp4', { pipeline_id: 'text_regions' }, 'notVideo', 415, 'UNSUPPORTED_MEDIA', /not a video/],
      ['an audio-only file', { pipeline_id: 'text_regions' }, 'audioOnly', 422, 'INVALID_VIDEO', /no video stream/],
      [
        'an unknown pipeline',
        { pipeline_id: 'no_such_pipeline' },
        'video',
        422,
        'UNKNOWN_PIPELINE',
        /unknown pipeline 'no_such_pipeline' \(known: .*text_regions/,
      ],
      ['a path-like pipeline id', { pipeline_id: '../../etc/passwd' }, 'video', 400, 'INVALID_ARGUMENT', /pipeline_id/],
      [
        'frame_stride < 1',
        { pipeline_id: 'text_regions', frame_stride: '0' },
        'video',
        400,
        'INVALID_ARGUMENT',
        /frame_stride must be >= 1/,
      ],
      ['max_frames < 1', { pipeline_id: 'text_regions', max_frames: '0' }, 'video', 400, 'INVALID_ARGUMENT', /max_frames must be >= 1/],
      [
        'a non-numeric stride',
        { pipeline_id: 'text_regions', frame_stride: 'fast' },
        'video',
        400,
        'INVALID_ARGUMENT',
        /frame_stride must be an integer/,
      ],
      ['a missing pipeline id', {}, 'video', 400, 'INVALID_ARGUMENT', /pipeline_id: is required/],
    ])('%s', async (_name, fields, which, status, code, detail) => {
      const before = await snapshot();
      const files: Record<string, string> = { video, notVideo, audioOnly };
      const file = which === null ? null : { path: files[which], name: which === 'audioOnly' ? 'audio.m4a' : 'upload.mp4' };
      const res = await submit(fields, file);
      expect(res.status).toBe(status);
      expect(res.type).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status, code, title: expect.any(String), type: expect.stringContaining('problems/') });
      expect(res.body.detail).toMatch(detail);
      expect(await snapshot()).toEqual(before);
    });

    it('a request that is not multipart', async () => {
      const res = await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA');
    });

    it('an unknown job is a 404 problem, and a malformed cursor a 400', async () => {
      const res = await fetch(`${sys.baseUrl}/v1/jobs/00000000-0000-4000-8000-000000000000`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'NOT_FOUND', status: 404 });
      const page = await fetch(`${sys.baseUrl}/v1/jobs/00000000-0000-4000-8000-000000000000/results?cursor=abc`);
      expect(page.status).toBe(400);
    });
  });

  it('refuses an MP4 whose moov atom is missing (a truncated upload) at the door', async () => {
    const moovAtEnd = await makeVideo({ path: join(fixtures, 'moov-end.mp4'), width: 320, height: 240, frames: 30, moovAtEnd: true });
    const bytes = await readFile(moovAtEnd);
    const truncated = join(fixtures, 'truncated.mp4');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const res = await submit({ pipeline_id: 'text_regions' }, { path: truncated, name: 'truncated.mp4' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'INVALID_VIDEO' });
    expect(res.body.detail).toMatch(/not a video|could not read|moov/i);
  });

  it('accepts an MP4 whose moov atom is at the end', async () => {
    const moovAtEnd = await makeVideo({ path: join(fixtures, 'moov-end-ok.mp4'), width: 320, height: 240, frames: 12, moovAtEnd: true });
    const res = await submit({ pipeline_id: 'text_regions', frame_stride: '4' }, { path: moovAtEnd, name: 'moov-end.mp4' });
    expect(res.status).toBe(202);
    const job = await untilDone(res.body.job_id as string);
    expect(job).toMatchObject({ status: 'completed', progress: { frames_total: 3, frames_done: 3 } });
  });

  it('the health endpoints answer', async () => {
    expect((await fetch(`${sys.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${sys.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      checks: {
        nats: expect.objectContaining({ ok: true }),
        postgres: expect.objectContaining({ ok: true }),
        object_store: expect.objectContaining({ ok: true }),
        lifecycle: expect.objectContaining({ ok: true }),
      },
    });
  });
});
