/**
 * `npm run bench:soak`: memory stays flat over a long job.
 *
 *   npm run bench:soak -- [--minutes=10] [--stride=10] [--pipeline=text_regions] [--replicas=1] [--bounds=inference:900,...]
 *
 * Every app as its own process (test/support/system.ts); one job over a
 * generated 720p video of `minutes` minutes (10 min at 30 fps = 18 000 decoded
 * frames, 1 800 sampled at stride 10), submitted over HTTP. Each app's RSS
 * (VmRSS) is sampled every 2 s until the job completes; prints per app the
 * peak, the largest RSS in the first and in the last minute, and fails (exit
 * code 1) when an app went over its bound (the README's figures). Results go
 * to bench/results/soak-<date>.json.
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startSystem, type AppName } from '../test/support/system';
import { benchVideo, readMemory, round, ROOT } from './support';

/** MiB each app's RSS must stay under during the soak (README "Performance"). */
const DEFAULT_BOUNDS: Record<AppName, number> = { intake: 300, extractor: 300, inference: 1200, persister: 300, status: 300 };

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const minutes = Number(arg('minutes') ?? 10);
  const stride = Number(arg('stride') ?? 10);
  const pipeline = arg('pipeline') ?? 'text_regions';
  const replicas = Number(arg('replicas') ?? 1);
  const bounds = { ...DEFAULT_BOUNDS };
  for (const b of (arg('bounds') ?? '').split(',').filter(Boolean)) {
    const [app, mib] = b.split(':');
    bounds[app as AppName] = Number(mib);
  }
  const workers = Math.max(1, Math.floor(availableParallelism() / replicas));
  log(`soak: generating a ${minutes}-minute 720p video (cached)`);
  const video = await benchVideo(1280, 720, minutes * 60);
  log(
    `soak: ${video.frames} frames, stride ${stride} → ${Math.ceil(video.frames / stride)} sampled, pipeline ${pipeline}, ${replicas} inference × ${workers} worker threads`,
  );
  const system = await startSystem({
    replicas: { inference: replicas },
    env: { FW_INFER_CONCURRENCY: String(workers), FW_ONNX_THREADS: '1' },
  });
  const nc = await connect({ ...system.nats.clientOptions, servers: system.nats.url });
  const samples: Array<{ t: number; rss: Record<string, number[]> }> = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    let done: (status: string) => void = () => undefined;
    const ended = new Promise<string>((r) => (done = r));
    let jobId = '';
    nc.subscribe('fw.events.*.completed', {
      callback: (_e, m) => {
        if (m.subject.split('.')[2] === jobId) done('completed');
      },
    });
    nc.subscribe('fw.events.*.failed', {
      callback: (_e, m) => {
        if (m.subject.split('.')[2] === jobId) done('failed');
      },
    });
    const sample = () => {
      const rss: Record<string, number[]> = {};
      for (const a of system.apps) {
        const m = readMemory(a.proc.pid ?? 0);
        if (m) (rss[a.app] ??= []).push(round(m.rssMiB, 0));
      }
      samples.push({ t: Date.now(), rss });
    };
    sample();
    sampler = setInterval(sample, 2000);
    const form = new FormData();
    form.set('pipeline_id', pipeline);
    form.set('frame_stride', String(stride));
    form.set('file', new Blob([await readFile(video.path)], { type: 'video/mp4' }), 'soak.mp4');
    const t0 = Date.now();
    const res = await fetch(`${system.baseUrl}/v1/jobs`, { method: 'POST', body: form });
    const body = (await res.json()) as { job_id?: string };
    if (res.status !== 202 || !body.job_id) throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
    jobId = body.job_id;
    log(`soak: job ${jobId} submitted; sampling RSS every 2 s`);
    const progress = setInterval(() => {
      const last = samples[samples.length - 1];
      log(`  ${Math.round((Date.now() - t0) / 1000)} s: RSS MiB ${JSON.stringify(last?.rss ?? {})}`);
    }, 60_000);
    const status = await ended;
    clearInterval(progress);
    const seconds = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    sample();
    const job = (await (await fetch(`${system.baseUrl}/v1/jobs/${jobId}`)).json()) as { progress?: { frames_done?: number } };
    const framesDone = job.progress?.frames_done ?? 0;

    // Per app: the largest RSS of any of its replicas, over the whole run, the first and the last minute.
    const apps = [...new Set(system.apps.map((a) => a.app))];
    const tEnd = samples[samples.length - 1].t;
    const maxOf = (app: string, from: number, to: number) =>
      Math.max(...samples.filter((s) => s.t >= from && s.t <= to).flatMap((s) => s.rss[app] ?? []));
    const rows = apps.map((app) => {
      const peak = Math.max(
        ...system.apps.filter((a) => a.app === app).map((a) => readMemory(a.proc.pid ?? 0)?.peakMiB ?? 0),
        maxOf(app, 0, Infinity),
      );
      return {
        app,
        bound: bounds[app],
        peakMiB: round(peak, 0),
        firstMinuteMaxMiB: maxOf(app, samples[0].t, samples[0].t + 60_000),
        lastMinuteMaxMiB: maxOf(app, tEnd - 60_000, tEnd),
        ok: peak <= bounds[app],
      };
    });
    console.log('');
    console.log(
      `soak ${new Date().toISOString()}: ${minutes} min 720p, stride ${stride}, ${pipeline}: ${status}, ${framesDone} frames in ${round(seconds, 0)} s (${round(framesDone / seconds, 2)} frames/s)`,
    );
    console.log('| app | peak RSS MiB | max RSS first minute | max RSS last minute | bound MiB | within |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      console.log(`| ${r.app} | ${r.peakMiB} | ${r.firstMinuteMaxMiB} | ${r.lastMinuteMaxMiB} | ${r.bound} | ${r.ok ? 'yes' : 'NO'} |`);
    }
    const out = join(ROOT, 'bench', 'results', `soak-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
    await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(
      out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          minutes,
          stride,
          pipeline,
          replicas,
          workers,
          status,
          framesDone,
          seconds,
          load: loadavg(),
          apps: rows,
          samples,
        },
        null,
        2,
      ) + '\n',
    );
    log(`soak: results written to ${out}`);
    if (status !== 'completed' || rows.some((r) => !r.ok)) process.exitCode = 1;
  } finally {
    if (sampler) clearInterval(sampler);
    await nc.close();
    await system.stop();
  }
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
