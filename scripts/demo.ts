/**
 * The quick start: runs the whole system as separate processes, submits a
 * sample video through the HTTP API, follows the job to the end, prints its
 * per-frame results and the text tracks read from them (what text was on
 * screen, when, and where), and stops everything.
 *
 *   npm run demo [-- <video> [--pipeline=ocr] [--stride=5] [--max-frames=N]]
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { APPS, superviseApps, type App } from './supervisor';

interface Args {
  video: string;
  pipeline: string;
  stride: number;
  maxFrames: number | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { video: join(__dirname, '..', '..', 'samples', 'demo.mp4'), pipeline: 'ocr', stride: 5, maxFrames: null };
  for (const a of argv) {
    const [k, v] = a.split('=', 2);
    if (k === '--pipeline' && v) args.pipeline = v;
    else if (k === '--stride' && v) args.stride = Number(v);
    else if (k === '--max-frames' && v) args.maxFrames = Number(v);
    else if (!a.startsWith('--')) args.video = a;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const base = `http://127.0.0.1:${process.env.FW_HTTP_PORT ?? '3000'}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${base}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the API did not become ready at ${base} within ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

interface JobView {
  job_id: string;
  status: string;
  progress: { frames_done: number; frames_failed: number; frames_total: number | null; fraction: number };
  video: { width: number; height: number; fps: number | null; duration_ms: number | null; codec: string } | null;
  timings: { processing_ms: number | null };
  error: { code: string; message: string } | null;
}

async function run(args: Args): Promise<number> {
  await waitReady(120_000);
  const form = new FormData();
  form.append('pipeline_id', args.pipeline);
  form.append('frame_stride', String(args.stride));
  if (args.maxFrames !== null) form.append('max_frames', String(args.maxFrames));
  form.append('file', new Blob([await readFile(args.video)], { type: 'video/mp4' }), basename(args.video));
  const submitted = await fetch(`${base}/v1/jobs`, { method: 'POST', body: form });
  const body = (await submitted.json()) as JobView & { detail?: string };
  if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}: ${body.detail ?? JSON.stringify(body)}`);
  console.log(`submitted ${basename(args.video)} → job ${body.job_id} (pipeline ${args.pipeline}, stride ${args.stride})`);

  let job: JobView = body;
  while (job.status === 'pending' || job.status === 'running') {
    await sleep(500);
    job = (await (await fetch(`${base}/v1/jobs/${body.job_id}`)).json()) as JobView;
    const p = job.progress;
    process.stdout.write(`\r  ${job.status.padEnd(9)} ${p.frames_done + p.frames_failed}/${p.frames_total ?? '?'} frames`);
  }
  process.stdout.write('\n');
  if (job.status !== 'completed') {
    console.log(`job ${job.status}: ${job.error?.code} ${job.error?.message}`);
    return 1;
  }
  const v = job.video;
  console.log(
    `completed in ${job.timings.processing_ms} ms: ${v?.width}x${v?.height} ${v?.codec} @ ${v?.fps?.toFixed(2)} fps, ${job.progress.frames_total} frames sampled`,
  );

  let cursor: string | null = null;
  console.log('frame   pts(ms)  found  first (x,y w×h, score) text');
  do {
    const url: string = `${base}/v1/jobs/${body.job_id}/results?limit=100${cursor ? `&cursor=${cursor}` : ''}`;
    const page = (await (await fetch(url)).json()) as {
      items: Array<{ frame_index: number; pts_ms: number; result: Record<string, Found> | null; error: string | null }>;
      next_cursor: string | null;
    };
    for (const r of page.items) {
      const out = r.result ? Object.values(r.result)[0] : undefined;
      const found = out?.lines ?? out?.regions ?? [];
      const first = found[0];
      const where = first ? `${box(first.bbox)}, ${(first.confidence ?? first.score ?? 0).toFixed(2)}` : (r.error ?? '-');
      const text = (out?.lines ?? []).map((l) => l.text).join(' | ');
      console.log(
        `${String(r.frame_index).padStart(5)} ${r.pts_ms.toFixed(0).padStart(9)} ${String(found.length).padStart(6)}  ${where}${text ? `  ${JSON.stringify(text)}` : ''}`,
      );
    }
    cursor = page.next_cursor;
  } while (cursor);

  // The per-frame rows linked into tracks: one line per text on screen, with when and where.
  const tracks = (await (await fetch(`${base}/v1/jobs/${body.job_id}/tracks?limit=1000`)).json()) as {
    final: boolean;
    items: Array<{ text: string | null; start_ms: number; end_ms: number; bbox: BBox }>;
  };
  const width = Math.max(0, ...tracks.items.map((t) => (t.text ?? REGION).length));
  console.log(`\n${tracks.items.length} text track${tracks.items.length === 1 ? '' : 's'}${tracks.final ? '' : ' (not final)'}`);
  for (const t of tracks.items) {
    console.log(
      `${(t.text ?? REGION).padEnd(width)}  ${(t.start_ms / 1000).toFixed(2)}–${(t.end_ms / 1000).toFixed(2)} s  at ${box(t.bbox)}`,
    );
  }
  console.log(`\nall results: curl ${base}/v1/jobs/${body.job_id}/results`);
  console.log(`subtitles:   curl '${base}/v1/jobs/${body.job_id}/export?format=webvtt'`);
  return 0;
}

interface BBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
/** What an ocr (`lines`) or text_regions (`regions`) output node found in a frame. */
interface Found {
  lines?: Array<{ bbox: BBox; text: string; confidence?: number; score?: undefined }>;
  regions?: Array<{ bbox: BBox; score?: number; confidence?: undefined }>;
}
const REGION = '(text region)';
const box = (b: BBox) => `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}×${Math.round(b.height)}`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const counts = Object.fromEntries(APPS.map((a) => [a, 1])) as Record<App, number>;
  const supervisor = superviseApps(counts, {
    env: { FW_LOG_LEVEL: process.env.FW_LOG_LEVEL ?? 'warn', FW_LOG_FORMAT: process.env.FW_LOG_FORMAT ?? 'json' },
  });
  process.on('SIGINT', () => supervisor.stop(130));
  let code = 1;
  try {
    code = await Promise.race([run(args), supervisor.done.then(() => 1)]);
  } catch (err) {
    console.error(`demo failed: ${(err as Error).message}`);
  }
  supervisor.stop(code);
  process.exit(await supervisor.done.then(() => code));
}

void main();
