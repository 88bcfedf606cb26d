/**
 * `npm run bench` rows for issue #13 items 1 and 2 (skip with --skip=defaults):
 *
 * 1. "`npm start` as shipped": every app as its own process with NO
 *    concurrency variable set (exactly the defaults `npm start` gives: one
 *    replica per stage, FW_REPLICAS_PER_HOST=1), a 100-frame `text_regions`
 *    720p job timed from submit to its `completed` event, against
 *    `framewire analyze`'s code path in its own process (its default workers,
 *    timed like a job whose models are loaded) and against the single-loop
 *    script (bench/single-loop.ts: ffmpeg → PP-OCRv4 det → next frame).
 * 2. A short job: a 60-frame `ocr` job on a 10 s 720p clip on that same
 *    system, end to end, against `analyze` including its model loading, and
 *    where its time goes (from the job's events and work messages as they
 *    pass, seen by a NATS subscriber on this process's clock, and intake's
 *    and the extractor's timing log fields).
 */
import { readFile } from 'node:fs/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { WORK_SUBJECTS } from '@framewire/contracts';
import { processCores } from '@framewire/runtime';
import { startSystem, type TestSystem } from '../test/support/system';
import { benchVideo, cpuTotalMs, readCpu, round, sleep, spawnWorker, type BenchVideo } from './support';

export interface DefaultsOptions {
  /** Frame stride of the shipped run on the 30 s video (9: 100 frames). */
  stride: number;
  /** Frame stride of the short job on the 10 s video (5: 60 frames). */
  shortStride: number;
  /** The 30 s 720p video of the main bench. */
  video: BenchVideo;
  log: (msg: string) => void;
}

/** Seconds from submit (the client's first byte) to each milestone of the short job. */
export interface ShortJobBreakdown {
  /** The HTTP 202: upload, intake's probe, store, commit, publish. */
  accepted: number;
  /** Of which (intake's `job submitted` log): probe, store, commit and publish, ms. */
  intakeMs: Record<string, number>;
  /** The `extracting` event: queueing, the input materialized, the probe (none when intake's travels). */
  extracting: number;
  /** Of which (the extractor's `decoding` log): materialize and probe, ms, and who probed. */
  extractorMs: Record<string, number>;
  probedBy: string;
  /** The first sampled frame on fw.work.infer. */
  firstFramePublished: number;
  /** The first frame result on fw.work.persist. */
  firstResult: number;
  /** The first `frames` event (the first result persisted and announced). */
  firstPersisted: number;
  /** The `extracted` event (every frame published). */
  extracted: number;
  /** The last frame result on fw.work.persist. */
  lastResult: number;
  /** The `frames` event counting every frame. */
  lastPersisted: number;
  /** The `completed` event. */
  completed: number;
}

export interface DefaultsResult {
  shipped: {
    frames: number;
    fps: number;
    wallMs: number;
    inferConcurrency: number | null;
    inprocessFps: number;
    inprocessWorkers: number;
    singleLoopFps: number;
    singleLoopRegions: number;
    /** CPU ms per frame: every app process of the shipped system (ffmpeg and ffprobe included), and the single-loop script (its ffmpeg included). */
    cpuMsPerFrame: number;
    singleLoopCpuMsPerFrame: number;
    ratioInprocess: number;
    ratioSingleLoop: number;
  };
  short: {
    frames: number;
    fps: number;
    wallMs: number;
    analyzeFps: number;
    analyzeMs: number;
    analyzeModelLoadMs: number;
    ratio: number;
    breakdown: ShortJobBreakdown;
  };
}

export async function benchDefaults(opts: DefaultsOptions): Promise<DefaultsResult> {
  const { log, video } = opts;
  const cores = processCores();
  log(`defaults: in-process analyze, text_regions 720p, stride ${opts.stride}, ${cores} worker threads (its default)`);
  const inproc = (await spawnWorker(['inprocess', video.path, 'text_regions', String(opts.stride), String(cores)]).result) as {
    frames: number;
    wallMs: number;
  };
  const inprocessFps = (inproc.frames * 1000) / inproc.wallMs;
  log(`  ${round(inprocessFps, 2)} frames/s`);

  log('defaults: single-loop script (ffmpeg → PP-OCRv4 det → next frame), its own process');
  const loop = (await spawnWorker([video.path, String(opts.stride), String(video.width), String(video.height)], {}, 'single-loop.ts')
    .result) as { frames: number; regions: number; wallMs: number; cpuMs: number };
  const singleLoopFps = (loop.frames * 1000) / loop.wallMs;
  log(`  ${loop.frames} frames, ${round(singleLoopFps, 2)} frames/s, ${loop.regions} regions`);

  log('defaults: `npm start` as shipped (no concurrency variable set)');
  // The test systems turn temporal reuse off; shipped, it is on (its thumbnail costs every frame, even when nothing is reused).
  const system = await startSystem({ env: { FW_REUSE_THRESHOLD: '2' } });
  const nc = await connect({ ...system.nats.clientOptions, servers: system.nats.url });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await nc.close();
    await system.stop();
  };
  try {
    const inferConcurrency = modelsLoadedConcurrency(system);
    const seen = observe(nc);
    await sleep(1000);
    const cpu0 = systemCpuMs(system);
    const shipped = await runJob(system, seen, await readFile(video.path), {
      pipeline_id: 'text_regions',
      frame_stride: String(opts.stride),
    });
    const fps = (shipped.frames * 1000) / shipped.wallMs;
    const cpuMsPerFrame = (systemCpuMs(system) - cpu0) / shipped.frames;
    log(
      `  ${shipped.frames} frames in ${round(shipped.wallMs / 1000)} s: ${round(fps, 2)} frames/s (inference concurrency ${inferConcurrency})`,
    );

    const clip = await benchVideo(1280, 720, 10);
    log(`defaults: short job, ocr, 10 s 720p clip, stride ${opts.shortStride}, end to end`);
    await sleep(1000);
    const short = await runJob(system, seen, await readFile(clip.path), { pipeline_id: 'ocr', frame_stride: String(opts.shortStride) });
    const shortFps = (short.frames * 1000) / short.wallMs;
    log(`  ${short.frames} frames in ${round(short.wallMs / 1000, 2)} s: ${round(shortFps, 2)} frames/s`);
    const breakdown = shortBreakdown(system, seen, short);
    log(`  ${JSON.stringify(breakdown)}`);
    await stop(); // analyze below gets the machine to itself

    log(`defaults: analyze on the same clip, model loading included, ${cores} worker threads`);
    const analyze = (await spawnWorker(['inprocess', clip.path, 'ocr', String(opts.shortStride), String(cores)]).result) as {
      frames: number;
      totalMs: number;
      wallMs: number;
    };
    const analyzeFps = (analyze.frames * 1000) / analyze.totalMs;
    log(`  ${analyze.frames} frames in ${round(analyze.totalMs / 1000, 2)} s: ${round(analyzeFps, 2)} frames/s`);

    return {
      shipped: {
        frames: shipped.frames,
        fps: round(fps, 2),
        wallMs: round(shipped.wallMs, 0),
        inferConcurrency,
        inprocessFps: round(inprocessFps, 2),
        inprocessWorkers: cores,
        singleLoopFps: round(singleLoopFps, 2),
        singleLoopRegions: loop.regions,
        cpuMsPerFrame: round(cpuMsPerFrame),
        singleLoopCpuMsPerFrame: round(loop.cpuMs / loop.frames),
        ratioInprocess: round(fps / inprocessFps, 2),
        ratioSingleLoop: round(fps / singleLoopFps, 2),
      },
      short: {
        frames: short.frames,
        fps: round(shortFps, 2),
        wallMs: round(short.wallMs, 0),
        analyzeFps: round(analyzeFps, 2),
        analyzeMs: round(analyze.totalMs, 0),
        analyzeModelLoadMs: round(analyze.totalMs - analyze.wallMs, 0),
        ratio: round(shortFps / analyzeFps, 2),
        breakdown,
      },
    };
  } finally {
    await stop();
  }
}

export function defaultsTargets(r: DefaultsResult): Array<{ what: string; target: string; value: string; met: boolean }> {
  return [
    {
      what: '`npm start` as shipped / in-process (text_regions 720p)',
      target: '≥ 1.0',
      value: String(r.shipped.ratioInprocess),
      met: r.shipped.ratioInprocess >= 1,
    },
    {
      what: '`npm start` as shipped / single-loop script',
      target: '≥ 1.0',
      value: String(r.shipped.ratioSingleLoop),
      met: r.shipped.ratioSingleLoop >= 1,
    },
    {
      what: `short job (${r.short.frames} fr ocr) end to end / analyze with model loading`,
      target: '≥ 0.8',
      value: String(r.short.ratio),
      met: r.short.ratio >= 0.8,
    },
  ];
}

export function printDefaults(r: DefaultsResult): string[] {
  const s = r.shipped;
  const b = r.short.breakdown;
  const lines = [
    `text_regions 720p (${s.frames} fr): \`npm start\` as shipped (inference concurrency ${s.inferConcurrency ?? '?'}) ${s.fps} frames/s ` +
      `(${s.cpuMsPerFrame} CPU ms/frame, all apps); in-process analyze (${s.inprocessWorkers} workers) ${s.inprocessFps} (ratio ${s.ratioInprocess}); ` +
      `single-loop script ${s.singleLoopFps} (ratio ${s.ratioSingleLoop}, ${s.singleLoopCpuMsPerFrame} CPU ms/frame, ${s.singleLoopRegions} regions)`,
    `short job, ocr 10 s 720p (${r.short.frames} fr): end to end ${r.short.fps} frames/s (${r.short.wallMs} ms); ` +
      `analyze with model loading ${r.short.analyzeFps} (${r.short.analyzeMs} ms, of which ~${r.short.analyzeModelLoadMs} loading); ratio ${r.short.ratio}`,
    '',
  ];
  const row = (what: string, at: number, prev: number, note = '') => [
    what,
    String(round(at * 1000, 0)),
    String(round((at - prev) * 1000, 0)),
    note,
  ];
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ');
  const rows = [
    ['short job milestone', 'ms from submit', 'ms since previous', 'of which'],
    row('HTTP 202 (upload, probe, store, commit, publish)', b.accepted, 0, fmt(b.intakeMs)),
    row('extracting (queue, materialize, probe)', b.extracting, b.accepted, `${fmt(b.extractorMs)} (probed by ${b.probedBy})`),
    row('first frame published', b.firstFramePublished, b.extracting),
    row('first result (inference)', b.firstResult, b.firstFramePublished),
    row('first frames event (persisted)', b.firstPersisted, b.firstResult),
    row('extracted (all frames published)', b.extracted, b.firstPersisted),
    row('last result', b.lastResult, Math.max(b.extracted, b.firstPersisted)),
    row('last frames event', b.lastPersisted, b.lastResult),
    row('completed', b.completed, b.lastPersisted),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  const f = (x: string[]) => `| ${x.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  lines.push(f(rows[0]), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(f));
  return lines;
}

// ---------------------------------------------------------------- helpers

interface Seen {
  /** Per job: [arrival ms on performance.now(), kind] of its events and work messages. */
  byJob: Map<string, Array<[number, string, Record<string, unknown>]>>;
}

function observe(nc: NatsConnection): Seen {
  const byJob = new Map<string, Array<[number, string, Record<string, unknown>]>>();
  const add = (jobId: string, kind: string, body: Record<string, unknown>) => {
    const list = byJob.get(jobId) ?? [];
    list.push([performance.now(), kind, body]);
    byJob.set(jobId, list);
  };
  nc.subscribe('fw.events.*.*', {
    callback: (_err, msg) => {
      const [, , jobId, type] = msg.subject.split('.');
      add(jobId, type, msg.json<Record<string, unknown>>());
    },
  });
  nc.subscribe(WORK_SUBJECTS.persist, {
    callback: (_err, msg) => add(msg.json<{ job_id: string }>().job_id, 'result', {}),
  });
  // The frame messages hold a JPEG after a JSON header; the job id is in the header (Fw-Job-Id).
  nc.subscribe(WORK_SUBJECTS.infer, {
    callback: (_err, msg) => {
      const jobId = msg.headers?.get('Fw-Job-Id');
      if (jobId) add(jobId, 'frame', {});
    },
  });
  return { byJob };
}

interface JobRun {
  jobId: string;
  t0: number;
  acceptedAt: number;
  frames: number;
  wallMs: number;
}

async function runJob(system: TestSystem, seen: Seen, bytes: Buffer, fields: Record<string, string>): Promise<JobRun> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([bytes], { type: 'video/mp4' }), 'video.mp4');
  const t0 = performance.now();
  const res = await fetch(`${system.baseUrl}/v1/jobs`, { method: 'POST', body: form });
  const acceptedAt = performance.now();
  const body = (await res.json()) as { job_id?: string };
  if (res.status !== 202 || !body.job_id) throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
  const jobId = body.job_id;
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    const end = (seen.byJob.get(jobId) ?? []).find(([, kind]) => kind === 'completed' || kind === 'failed');
    if (end) {
      if (end[1] !== 'completed') throw new Error(`job ${jobId} failed: ${JSON.stringify(end[2])}`);
      return { jobId, t0, acceptedAt, frames: Number(end[2].frames_done), wallMs: end[0] - t0 };
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not end`);
    await sleep(5);
  }
}

function shortBreakdown(system: TestSystem, seen: Seen, run: JobRun): ShortJobBreakdown {
  const list = seen.byJob.get(run.jobId) ?? [];
  const s = (ms: number | undefined) => (ms === undefined ? NaN : round((ms - run.t0) / 1000, 3));
  const first = (kind: string) => list.find(([, k]) => k === kind)?.[0];
  const last = (kind: string) => [...list].reverse().find(([, k]) => k === kind)?.[0];
  const logLine = (app: 'intake' | 'extractor', msg: string) =>
    system
      .logsOf(app)
      .split('\n')
      .filter((l) => l.includes(run.jobId) && l.includes(`"msg":"${msg}"`))
      .map((l) => JSON.parse(l) as { timings_ms?: Record<string, number>; probed_by?: string })[0];
  const intake = logLine('intake', 'job submitted');
  const extractor = logLine('extractor', 'decoding');
  const framesEvents = list.filter(([, k]) => k === 'frames');
  const allCounted = framesEvents.find(([, , b]) => Number(b.frames_done) + Number(b.frames_failed) >= run.frames);
  return {
    accepted: s(run.acceptedAt),
    intakeMs: intake?.timings_ms ?? {},
    extracting: s(first('extracting')),
    extractorMs: extractor?.timings_ms ?? {},
    probedBy: extractor?.probed_by ?? '?',
    firstFramePublished: s(first('frame')),
    firstResult: s(first('result')),
    firstPersisted: s(framesEvents[0]?.[0]),
    extracted: s(first('extracted')),
    lastResult: s(last('result')),
    lastPersisted: s(allCounted?.[0]),
    completed: s(first('completed')),
  };
}

/** CPU ms so far of every app process of the system (children it waited for included: ffmpeg, ffprobe). */
function systemCpuMs(system: TestSystem): number {
  return system.apps.reduce((sum, a) => sum + cpuTotalMs(readCpu(a.proc.pid ?? 0)), 0);
}

/** The frames at once the inference replica chose, from its `models loaded` log line. */
function modelsLoadedConcurrency(system: TestSystem): number | null {
  const m = /"concurrency":(\d+)[^\n]*"msg":"models loaded"/.exec(system.logsOf('inference'));
  return m ? Number(m[1]) : null;
}
