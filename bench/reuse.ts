/**
 * Temporal reuse (FW_REUSE_THRESHOLD): frames/s of an `ocr` job with reuse on
 * and off (the job's `reuse` switch, same system, same video), on three
 * generated 1280×720 videos sampled every 3rd frame (10 samples a second):
 *
 * - static:  a slide of text that never changes (the best case);
 * - screen:  a screen-recording-like video: a static UI (title bar, menu,
 *            a paragraph), a counter line that changes every 3 s, a line that
 *            appears half-way, and a mouse cursor that moves for 1 s in every 4;
 * - camera:  a camera panning over a page of text (40 px/s: every sample moves).
 *
 * Each row: frames/s with reuse (frames done per second of processing, the
 * job's own metric), without, the fraction of frames reused, and the ratios
 * to the run without reuse and to the models' own limit (the bench's `ocr 720p`
 * inference limit, when that workload ran: a different video, so a yardstick,
 * not a like-for-like). Called by bench/run.ts (`--skip=reuse` leaves it out);
 * `--reuse-seconds=<n>` sets the videos' length (10 by default). Also: the
 * measure's own cost, the median wall time of one thumbnail per video.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFrames, reuseThumbnail } from '@framewire/media';
import { eventually, startSystem } from '../test/support/system';
import { escapeFilterValue, FIXTURE_FONT_FILE } from '../test/support/fixtures';
import { round, runFfmpeg, VIDEO_FPS } from './support';

export interface ReuseRow {
  video: 'static' | 'screen' | 'camera';
  frames: number;
  /** Frames done per second of processing (the job's metrics.frames_per_second). */
  fpsReuse: number;
  fpsNoReuse: number;
  reusedFraction: number;
  /** fpsReuse / fpsNoReuse */
  vsNoReuse: number;
  /** fpsReuse / the models' limit, when given. */
  vsLimit: number | null;
  /** What the measure costs the extractor: the grayscale thumbnail of one sampled JPEG, ms (median wall time; mean CPU time, all threads). */
  thumbnailMs: number;
  thumbnailCpuMs: number;
}

const STRIDE = 3;
const W = 1280;
const H = 720;

type Text = { text: string; x: number | string; y: number; size: number; enable?: string; expand?: boolean };

function drawtext(t: Text): string {
  return (
    'drawtext=' +
    [
      `fontfile=${escapeFilterValue(FIXTURE_FONT_FILE)}`,
      `text=${escapeFilterValue(t.text)}`,
      `expansion=${t.expand ? 'normal' : 'none'}`,
      'fontcolor=black',
      `fontsize=${t.size}`,
      `x=${typeof t.x === 'number' ? t.x : escapeFilterValue(t.x)}`,
      `y=${t.y}`,
      ...(t.enable ? [`enable=${escapeFilterValue(t.enable)}`] : []),
    ].join(':')
  );
}

const PARAGRAPH = [
  'Framewire reads the text in videos:',
  'subtitles, slides, signs and screens.',
  'Every sampled frame goes through the models,',
  'unless it looks the same as the last one that did.',
];

/** ffmpeg arguments for one of the three videos, `seconds` long. */
function videoArgs(kind: ReuseRow['video'], seconds: number, out: string): string[] {
  const frames = seconds * VIDEO_FPS;
  const bg = (w: number, c = 'white') => ['-f', 'lavfi', '-i', `color=c=${c}:s=${w}x${H}:r=${VIDEO_FPS}:d=${seconds}`];
  const encode = ['-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', out];
  const lines = (x: number, y0: number): Text[] => PARAGRAPH.map((text, i) => ({ text, x, y: y0 + i * 56, size: 36 }));
  switch (kind) {
    case 'static':
      return [
        ...bg(W),
        '-vf',
        [{ text: 'Quarterly report 2026', x: 80, y: 80, size: 56 }, ...lines(80, 260)].map(drawtext).join(','),
        ...encode,
      ];
    case 'screen': {
      const ui: Text[] = [
        { text: 'Inbox - Framewire Mail', x: 40, y: 20, size: 28 },
        { text: 'Inbox', x: 40, y: 120, size: 24 },
        { text: 'Sent', x: 40, y: 170, size: 24 },
        { text: 'Drafts', x: 40, y: 220, size: 24 },
        ...lines(300, 200),
        { text: 'Unread messages: %{eif:floor(t/3):d}', x: 300, y: 120, size: 28, expand: true },
        { text: 'New message from the build server', x: 300, y: 520, size: 28, enable: `gte(t,${seconds / 2})` },
      ];
      // The cursor (a 12×18 block) moves for the first second of every four, and rests at its last place otherwise.
      const cursorX = `if(lt(mod(t,4),1), 400+mod(t,4)*500, 900)`;
      return [
        ...bg(W, '0xf4f4f4'),
        ...['-f', 'lavfi', '-i', `color=c=black:s=12x18:r=${VIDEO_FPS}:d=${seconds}`],
        ...['-filter_complex', `[0:v]${ui.map(drawtext).join(',')}[ui];[ui][1:v]overlay=x='${cursorX.replace(/,/g, '\\,')}':y=400`],
        ...encode,
      ];
    }
    case 'camera':
      // A page twice as wide as the frame, panned at 40 px/s.
      return [
        ...bg(W * 2),
        '-vf',
        [...lines(80, 120), ...lines(1400, 320), { text: 'EXIT 12  Main Street', x: 900, y: 560, size: 48 }].map(drawtext).join(',') +
          `,crop=${W}:${H}:x='t*40':y=0`,
        ...encode,
      ];
  }
}

async function makeReuseVideo(kind: ReuseRow['video'], seconds: number): Promise<string> {
  const dir = join(tmpdir(), 'framewire-bench-videos');
  const path = join(dir, `reuse-v1-${kind}-${seconds}s.mp4`);
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp.mp4`;
    await runFfmpeg(videoArgs(kind, seconds, tmp));
    await rename(tmp, path);
  }
  return path;
}

/**
 * reuseThumbnail over the video's sampled JPEGs (as the extractor encodes them): the median wall time, and the mean
 * CPU time of this process while it ran (libvips' threads included; on a loaded machine the wall time is mostly waiting).
 */
async function thumbnailCost(video: string): Promise<{ wall: number; cpu: number }> {
  const times: number[] = [];
  let cpuUs = 0;
  for await (const f of decodeFrames(video, { stride: STRIDE, maxFrames: null })) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await reuseThumbnail(f.jpeg);
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    times.push(performance.now() - t0);
  }
  const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? NaN;
  return { wall: round(median, 2), cpu: round(cpuUs / 1000 / Math.max(1, times.length), 2) };
}

interface JobOutcome {
  fps: number;
  frames: number;
  reused: number;
}

async function runJob(baseUrl: string, video: string, reuse: boolean): Promise<JobOutcome> {
  const form = new FormData();
  form.append('pipeline_id', 'ocr');
  form.append('frame_stride', String(STRIDE));
  form.append('reuse', String(reuse));
  form.append('file', new Blob([await readFile(video)]), 'reuse.mp4');
  const res = await fetch(`${baseUrl}/v1/jobs`, { method: 'POST', body: form });
  if (res.status !== 202 && res.status !== 201) throw new Error(`submit: ${res.status} ${await res.text()}`);
  const { job_id } = (await res.json()) as { job_id: string };
  type Metrics = { frames_per_second: number | null; frame_count: number | null; frames_reused: number };
  const m = await eventually(
    async () => {
      const job = (await (await fetch(`${baseUrl}/v1/jobs/${job_id}`)).json()) as { status: string; metrics: Metrics };
      if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`job ${job_id} ${job.status}: ${JSON.stringify(job)}`);
      return job.status === 'completed' ? job.metrics : undefined;
    },
    600_000,
    `job ${job_id}`,
  );
  return { fps: m.frames_per_second ?? NaN, frames: m.frame_count ?? 0, reused: m.frames_reused };
}

/** The three rows; `limitFps` is the models' own limit on `ocr` 720p frames, if the bench measured it. */
export async function benchReuse(opts: { seconds: number; limitFps: number | null; log: (s: string) => void }): Promise<ReuseRow[]> {
  const kinds: Array<ReuseRow['video']> = ['static', 'screen', 'camera'];
  const videos = await Promise.all(kinds.map((k) => makeReuseVideo(k, opts.seconds)));
  const thumbs: Array<{ wall: number; cpu: number }> = [];
  for (const v of videos) thumbs.push(await thumbnailCost(v));
  // As shipped (the test system turns reuse off unless told).
  const sys = await startSystem({ env: { FW_REUSE_THRESHOLD: '2' } });
  const rows: ReuseRow[] = [];
  try {
    // One job first, so that model loading and first-run costs are not in the first row.
    await runJob(sys.baseUrl, videos[0], false);
    for (const [i, video] of kinds.entries()) {
      const on = await runJob(sys.baseUrl, videos[i], true);
      const off = await runJob(sys.baseUrl, videos[i], false);
      const row: ReuseRow = {
        video,
        frames: on.frames,
        fpsReuse: round(on.fps, 1),
        fpsNoReuse: round(off.fps, 1),
        reusedFraction: round(on.frames > 0 ? on.reused / on.frames : 0, 2),
        vsNoReuse: round(on.fps / off.fps, 2),
        vsLimit: opts.limitFps ? round(on.fps / opts.limitFps, 2) : null,
        thumbnailMs: thumbs[i].wall,
        thumbnailCpuMs: thumbs[i].cpu,
      };
      opts.log(`  reuse ${video}: ${JSON.stringify(row)}`);
      rows.push(row);
    }
  } finally {
    await sys.stop();
  }
  return rows;
}

/** The printed table, header first: video, frames, fps with / without reuse, reused, ratios, thumbnail ms. */
export function reuseTable(rows: readonly ReuseRow[]): string[][] {
  const head = ['temporal reuse (ocr, stride 3)', 'frames', 'frames/s reuse', 'frames/s no reuse', 'reused', 'vs no reuse'];
  return [
    [...head, 'vs ocr 720p limit', 'thumbnail ms (wall / CPU)'],
    ...rows.map((r) => [
      r.video,
      String(r.frames),
      String(r.fpsReuse),
      String(r.fpsNoReuse),
      `${Math.round(r.reusedFraction * 100)}%`,
      `${r.vsNoReuse}×`,
      r.vsLimit === null ? '-' : `${r.vsLimit}×`,
      `${r.thumbnailMs} / ${r.thumbnailCpuMs}`,
    ]),
  ];
}
