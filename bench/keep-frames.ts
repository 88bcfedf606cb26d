/**
 * What keeping every sampled frame (FW_KEEP_FRAMES) costs the extractor:
 *
 *   npm run build && node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/keep-frames.ts [--runs=3] [--frames=200]
 *
 * Runs the whole system (test/support/system.ts) twice, with FW_KEEP_FRAMES
 * true and false, each time submitting the same generated 1280×720 video
 * (bench/support.ts: a moving test pattern with text, 7 s; `--frames` of its
 * frames sampled, 200 by default) with the cheap frame_stats pipeline,
 * and FW_JOB_FRAMES_IN_FLIGHT high enough that inference never holds the
 * extractor back: the job's extraction_ms is then decoding, JPEG encoding,
 * publishing and (when kept) storing. Prints the medians and the stored bytes.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, startSystem } from '../test/support/system';
import { benchVideo } from './support';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const RUNS = arg('runs', 3);
const FRAMES = arg('frames', 200);

interface Metrics {
  extraction_ms: number | null;
  processing_ms: number | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const video = await benchVideo(1280, 720, 7);
  const bytes = await readFile(video.path);
  const out: Record<string, { extraction_ms: number[]; processing_ms: number[]; stored: { files: number; bytes: number } }> = {};
  {
    for (const keep of ['true', 'false']) {
      const sys = await startSystem({ env: { FW_KEEP_FRAMES: keep, FW_JOB_FRAMES_IN_FLIGHT: '100000' } });
      const row = { extraction_ms: [] as number[], processing_ms: [] as number[], stored: { files: 0, bytes: 0 } };
      try {
        for (let run = 0; run < RUNS; run++) {
          const form = new FormData();
          form.append('pipeline_id', 'frame_stats');
          form.append('max_frames', String(FRAMES));
          form.append('file', new Blob([bytes]), 'keep.mp4');
          const { job_id } = (await (await fetch(`${sys.baseUrl}/v1/jobs`, { method: 'POST', body: form })).json()) as { job_id: string };
          const metrics = await eventually(
            async () => {
              const job = (await (await fetch(`${sys.baseUrl}/v1/jobs/${job_id}`)).json()) as { status: string; metrics: Metrics };
              return job.status === 'completed' ? job.metrics : undefined;
            },
            300_000,
            `job ${job_id}`,
          );
          row.extraction_ms.push(metrics.extraction_ms ?? NaN);
          row.processing_ms.push(metrics.processing_ms ?? NaN);
          const dir = join(sys.dataDir, 'objects', 'frames', job_id);
          const files = await readdir(dir).catch(() => [] as string[]);
          row.stored = { files: files.length, bytes: 0 };
          for (const f of files) row.stored.bytes += (await stat(join(dir, f))).size;
        }
      } finally {
        await sys.stop();
      }
      out[`FW_KEEP_FRAMES=${keep}`] = row;
    }
  }
  for (const [name, r] of Object.entries(out)) {
    console.log(
      `${name}: extraction median ${median(r.extraction_ms)} ms ${JSON.stringify(r.extraction_ms)}, ` +
        `processing median ${median(r.processing_ms)} ms ${JSON.stringify(r.processing_ms)}, ` +
        `frames stored per job ${r.stored.files} (${(r.stored.bytes / 1024 / 1024).toFixed(1)} MiB)`,
    );
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
