/**
 * `npm run bench`: every stage against its limit, in one go on this machine.
 *
 *   npm run bench -- [--stride=9] [--workloads=ocr:720p,text_regions:1080p] [--skip=limit,inprocess,inprocess1,defaults,distributed,jobs,services,persister,reuse,keyframes,decoder,peer]
 *                    [--replicas=1d,1,2] [--out=bench/results/x.json]
 *
 * On videos it generates (bench/support.ts: 720p and 1080p, 30 s, 30 fps,
 * changing text over a moving pattern), for each workload (pipeline × video):
 *   1. in-process: `framewire analyze`'s code path (decode → sample → JPEG →
 *      preprocess → infer; no broker, no database) in its own process;
 *   2. the inference limit: the models alone on the same frames' preprocessed
 *      tensors (recorded in step 1), in a tight loop, with one process and
 *      intra-op threads = cores, and with one process per core (1 thread
 *      each); the faster is the limit;
 *   3. distributed: every app as its own process (test/support/system.ts),
 *      one inference replica and then two, the job submitted over HTTP and
 *      timed from submit to its `completed` event.
 * With the 1-replica system it also measures intake latency (200 × a 1 MB
 * video at concurrency 16), status-read latency (GET /v1/jobs/{id} at a fixed
 * rate), persister throughput (a 20 000-row backlog drained by a fresh
 * persister) and event lag (a frame's result on fw.work.persist → the first
 * `frames` event that counts it).
 *
 * Prints the tables and writes everything as JSON under bench/results/.
 */
import { readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchDecoder, decoderTables, type DecoderResult } from './decoder';
import { benchKeyframes, keyframesTable, type KeyframesResult } from './keyframes';
import { benchPeer, peerTables, type PeerResult } from './peer';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { WORK_SUBJECTS, STAGES } from '@framewire/contracts';
import { startSystem, type TestSystem } from '../test/support/system';
import { parsePersisterVariants, persisterBench, type PersisterBenchResult } from './persister';
import {
  benchVideo,
  cpuTotalMs,
  percentile,
  postgresCpuMs,
  readCpu,
  publishPersistBacklog,
  readMemory,
  round,
  ROOT,
  sleep,
  smallVideo,
  spawnWorker,
  type BenchVideo,
} from './support';
import { benchDefaults, defaultsTargets, printDefaults, type DefaultsResult } from './defaults';
import { benchReuse, reuseTable, type ReuseRow } from './reuse';

// ---------------------------------------------------------------- options

interface Options {
  stride: number;
  workloads: Array<{ pipeline: string; video: '720p' | '1080p' }>;
  skip: Set<string>;
  /** Inference set-ups of the distributed runs: `<n>` replicas with a pool of cores/n worker threads each (1 intra-op thread per session), `<n>d` with the defaults before the pool (one JS thread, intra-op threads = cores / n). */
  replicas: string[];
  out: string;
  intakeJobs: number;
  intakeConcurrency: number;
  statusRate: number;
  statusSeconds: number;
  persistRows: number;
  /** Event lag is measured again with this FW_PROGRESS_INTERVAL_MS (0: not). */
  lagIntervalMs: number;
  /** Extra environment of the persister replica that drains the backlog (--persist-env=FW_PERSIST_BATCH_SIZE=2000,...). */
  persistEnv: Record<string, string>;
  /** The persister-alone section: its rounds, and the builds it compares (--persister-builds=before=/tmp/main-dist,after,after-serial+FW_PERSIST_BATCHES_IN_FLIGHT=1). */
  persisterRounds: number;
  persisterBuilds: string | undefined;
  /** Length of bench/reuse.ts's videos. */
  reuseSeconds: number;
}

function parseOptions(argv: string[]): Options {
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    stride: Number(arg('stride') ?? 9),
    workloads: (arg('workloads') ?? 'ocr:720p,ocr:1080p,text_regions:720p,text_regions:1080p').split(',').map((w) => {
      const [pipeline, video] = w.split(':');
      if (video !== '720p' && video !== '1080p') throw new Error(`bad workload ${w}`);
      return { pipeline, video };
    }),
    skip: new Set((arg('skip') ?? '').split(',').filter(Boolean)),
    replicas: (arg('replicas') ?? '1d,1,2').split(','),
    out: arg('out') ?? join(ROOT, 'bench', 'results', `bench-${stamp}.json`),
    intakeJobs: Number(arg('intake-jobs') ?? 200),
    intakeConcurrency: Number(arg('intake-concurrency') ?? 16),
    statusRate: Number(arg('status-rate') ?? 50),
    statusSeconds: Number(arg('status-seconds') ?? 10),
    persistRows: Number(arg('persist-rows') ?? 20_000),
    lagIntervalMs: Number(arg('lag-interval') ?? 200),
    persisterRounds: Number(arg('persister-rounds') ?? 2),
    persisterBuilds: arg('persister-builds'),
    reuseSeconds: Number(arg('reuse-seconds') ?? 10),
    persistEnv: Object.fromEntries(
      (arg('persist-env') ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('=') as [string, string]),
    ),
  };
}

// ---------------------------------------------------------------- results

interface LimitConfig {
  name: string;
  processes: number;
  intraThreads: number;
  spinning: boolean;
  fps: number;
  wallMs: number;
  cpuMsPerFrame: number;
  modelMsPerFrame: Record<string, number>;
}

interface DistributedRun {
  setup: string;
  replicas: number;
  onnxThreads: number;
  jobId: string;
  frames: number;
  wallMs: number;
  fps: number;
  cpuMsPerFrame: Record<string, number>;
}

interface InprocessRun {
  workers: number;
  frames: number;
  items: number;
  fps: number;
  wallMs: number;
  cpuMsPerFrame: { ffmpeg: number; node: number; total: number };
  nodeMsPerFrame: Record<string, number>;
  peakRssMiB: number | null;
}

interface WorkloadResult {
  name: string;
  pipeline: string;
  video: Omit<BenchVideo, 'path'>;
  stride: number;
  frames: number;
  items: number;
  /** analyze with its worker pool (one worker thread per core). */
  inprocess?: InprocessRun;
  /** analyze on one thread (as before the pool); also the run that records the limit's inputs. */
  inprocess1?: InprocessRun;
  limit?: { configs: LimitConfig[]; best: string; fps: number };
  distributed: DistributedRun[];
  ratios: Record<string, number>;
}

interface SystemResult {
  setup: string;
  replicas: number;
  onnxThreads: number;
  inferConcurrency: number;
  peakRssMiB: Record<string, number[]>;
  eventLagMs?: { p50: number; p99: number; max: number; samples: number };
}

interface BenchResult {
  date: string;
  machine: { cpus: number; model: string; memGiB: number; node: string; loadBefore: number[]; loadAfter?: number[] };
  options: Omit<Options, 'skip' | 'out'> & { skip: string[] };
  workloads: WorkloadResult[];
  systems: SystemResult[];
  intake?: {
    seconds: number;
    perS: number;
    cpuMsPerSubmission: Record<string, number>;
    jobs: number;
    concurrency: number;
    videoBytes: number;
    p50: number;
    p99: number;
    max: number;
    errors: number;
  };
  /** While the 200 intake jobs run. */
  statusReads?: { ratePerS: number; requests: number; p50: number; p99: number; max: number; errors: number };
  /** With no job running. */
  statusReadsIdle?: { ratePerS: number; requests: number; p50: number; p99: number; max: number; errors: number };
  persister?: {
    rows: number;
    seconds: number;
    rowsPerS: number;
    batch: string;
    env: Record<string, string>;
    persisterCpuMsPer1000Rows: number;
    postgresCpuMsPer1000Rows: number;
  };
  /** The persister alone (--skip=persister): builds and settings drained in alternating rounds (bench/persister.ts). */
  persisterBatches?: PersisterBenchResult;
  eventLagShortInterval?: { intervalMs: number; workload: string; p50: number; p99: number; max: number; samples: number };
  /** bench/defaults.ts: `npm start` as shipped, the single-loop script, a short job's breakdown. */
  defaults?: DefaultsResult;
  /** Temporal reuse (bench/reuse.ts): ocr frames/s with and without it on three videos. */
  reuse?: ReuseRow[];
  targets: Array<{ what: string; target: string; value: string; met: boolean }>;
  durationS: number;
  /** bench/keyframes.ts, bench/decoder.ts, bench/peer.ts. */
  keyframes?: KeyframesResult;
  decoder?: DecoderResult;
  peer?: PeerResult;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: {
      cpus: availableParallelism(),
      model: cpus()[0]?.model ?? '?',
      memGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      loadBefore: loadavg().map((x) => round(x, 2)),
    },
    options: { ...opts, skip: [...opts.skip] },
    workloads: [],
    systems: [],
    targets: [],
    durationS: 0,
  };
  log(`framewire bench: ${result.machine.cpus} cores, ${result.machine.memGiB} GiB, node ${process.version}; stride ${opts.stride}`);

  if (!opts.skip.has('persister')) {
    log(`persister alone: ${opts.persistRows} rows a drain, ${opts.persisterRounds} rounds`);
    result.persisterBatches = await persisterBench({
      rows: opts.persistRows,
      jobs: 200,
      rounds: opts.persisterRounds,
      variants: parsePersisterVariants(opts.persisterBuilds, opts.persistEnv),
      nodeOptions: process.env.BENCH_PERSISTER_NODE_OPTIONS,
      log,
    });
  }
  const videos = { '720p': await benchVideo(1280, 720, 30), '1080p': await benchVideo(1920, 1080, 30) };
  const recordRoot = join(tmpdir(), `framewire-bench-rec-${process.pid}`);
  try {
    for (const [i, w] of opts.workloads.entries()) {
      const video = videos[w.video];
      const { path: _path, ...videoFacts } = video;
      const wr: WorkloadResult = {
        name: `${w.pipeline} ${w.video}`,
        pipeline: w.pipeline,
        video: videoFacts,
        stride: opts.stride,
        frames: Math.ceil(video.frames / opts.stride),
        items: 0,
        distributed: [],
        ratios: {},
      };
      result.workloads.push(wr);
      const recordDir = join(recordRoot, String(i));
      if (!opts.skip.has('inprocess')) {
        log(`[${wr.name}] in-process (framewire analyze's path, ${availableParallelism()} worker threads), stride ${opts.stride}`);
        wr.inprocess = await runInprocess(video, w.pipeline, opts.stride, availableParallelism());
        wr.frames = wr.inprocess.frames;
        wr.items = wr.inprocess.items;
        log(`  ${wr.frames} frames, ${wr.inprocess.fps} frames/s, ${JSON.stringify(wr.inprocess.cpuMsPerFrame)} CPU ms/frame`);
      }
      if (!opts.skip.has('limit') || !(opts.skip.has('inprocess') || opts.skip.has('inprocess1'))) {
        // One thread, as analyze ran before the worker pool; it also records every model input for the limit.
        log(`[${wr.name}] in-process, 1 thread (recording the model inputs)`);
        wr.inprocess1 = await runInprocess(video, w.pipeline, opts.stride, 1, recordDir);
        log(`  ${wr.inprocess1.fps} frames/s, ${JSON.stringify(wr.inprocess1.cpuMsPerFrame)} CPU ms/frame`);
      }
      if (!opts.skip.has('limit')) {
        const configs: Array<Omit<LimitConfig, 'fps' | 'wallMs' | 'cpuMsPerFrame' | 'modelMsPerFrame' | 'name'>> = [
          { processes: 1, intraThreads: availableParallelism(), spinning: false },
          { processes: availableParallelism(), intraThreads: 1, spinning: false },
        ];
        if (i === 0) {
          configs.push({ processes: 1, intraThreads: availableParallelism(), spinning: true });
          configs.push({ processes: availableParallelism(), intraThreads: 1, spinning: true });
        }
        const measured: LimitConfig[] = [];
        for (const c of configs) {
          const name = `${c.processes} proc × ${c.intraThreads} thread${c.intraThreads > 1 ? 's' : ''}${c.spinning ? ', spinning' : ''}`;
          log(`[${wr.name}] inference limit: ${name}`);
          measured.push({ name, ...c, ...(await runLimit(recordDir, c)) });
          log(`  ${measured[measured.length - 1].fps} frames/s`);
        }
        const best = measured.reduce((a, b) => (b.fps > a.fps ? b : a));
        wr.limit = { configs: measured, best: best.name, fps: best.fps };
      }
      await rm(recordDir, { recursive: true, force: true });
    }

    if (!opts.skip.has('defaults')) {
      result.defaults = await benchDefaults({ stride: opts.stride, shortStride: 5, video: videos['720p'], log });
    }
    if (!opts.skip.has('distributed')) {
      for (const replicas of opts.replicas) {
        await distributed(opts, result, videos, replicas);
      }
    }
    if (!opts.skip.has('reuse')) {
      log(`temporal reuse: ocr, stride 3, ${opts.reuseSeconds} s videos, reuse on and off`);
      const limit = result.workloads.find((w) => w.pipeline === 'ocr' && w.video.width === 1280)?.limit?.fps ?? null;
      result.reuse = await benchReuse({ seconds: opts.reuseSeconds, limitFps: limit, log });
    }
  } finally {
    await rm(recordRoot, { recursive: true, force: true });
  }

  for (const w of result.workloads) {
    const best = w.distributed.reduce<DistributedRun | null>((a, b) => (a === null || b.fps > a.fps ? b : a), null);
    if (w.inprocess) {
      for (const d of w.distributed) w.ratios[`distributed ${d.setup} / in-process`] = round(d.fps / w.inprocess.fps, 2);
      if (best) w.ratios['distributed best / in-process'] = round(best.fps / w.inprocess.fps, 2);
      if (w.limit) w.ratios['in-process / limit'] = round(w.inprocess.fps / w.limit.fps, 2);
      if (w.inprocess1) w.ratios['in-process pool / in-process 1 thread'] = round(w.inprocess.fps / w.inprocess1.fps, 2);
    }
  }
  if (!opts.skip.has('keyframes')) result.keyframes = await benchKeyframes({ argv: process.argv, log });
  if (!opts.skip.has('decoder')) result.decoder = await benchDecoder({ stride: opts.stride, argv: process.argv, log });
  if (!opts.skip.has('peer')) {
    const ocr720 = result.workloads.find((w) => w.name === 'ocr 720p')?.distributed ?? [];
    const distributedFps = ocr720.length > 0 ? Math.max(...ocr720.map((d) => d.fps)) : null;
    result.peer = await benchPeer({ stride: opts.stride, argv: process.argv, log, distributedFps });
  }
  result.machine.loadAfter = loadavg().map((x) => round(x, 2));
  result.targets = targets(result);
  result.durationS = Math.round((Date.now() - started) / 1000);
  printTables(result);
  await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(opts.out, JSON.stringify(result, null, 2) + '\n');
  log(`results written to ${opts.out} (${result.durationS} s)`);
}

async function runInprocess(
  video: BenchVideo,
  pipeline: string,
  stride: number,
  workers: number,
  recordDir?: string,
): Promise<InprocessRun> {
  const args = ['inprocess', video.path, pipeline, String(stride), String(workers), ...(recordDir ? [recordDir] : [])];
  const r = (await spawnWorker(args).result) as {
    frames: number;
    items: number;
    wallMs: number;
    cpuNodeMs: number;
    cpuFfmpegMs: number;
    nodeMsPerFrame: Record<string, number>;
    peakRssMiB: number | null;
  };
  return {
    workers,
    frames: r.frames,
    items: r.items,
    fps: round((r.frames * 1000) / r.wallMs, 2),
    wallMs: round(r.wallMs, 0),
    cpuMsPerFrame: {
      ffmpeg: round(r.cpuFfmpegMs / r.frames),
      node: round(r.cpuNodeMs / r.frames),
      total: round((r.cpuFfmpegMs + r.cpuNodeMs) / r.frames),
    },
    nodeMsPerFrame: mapValues(r.nodeMsPerFrame, (v) => round(v)),
    peakRssMiB: r.peakRssMiB === null ? null : round(r.peakRssMiB, 0),
  };
}

async function runLimit(
  recordDir: string,
  c: { processes: number; intraThreads: number; spinning: boolean },
): Promise<Pick<LimitConfig, 'fps' | 'wallMs' | 'cpuMsPerFrame' | 'modelMsPerFrame'>> {
  const workers = Array.from({ length: c.processes }, (_, k) =>
    spawnWorker(['limit', recordDir, String(c.intraThreads), c.spinning ? '1' : '0', String(k), String(c.processes)]),
  );
  await Promise.all(workers.map((w) => w.ready));
  workers.forEach((w) => w.go());
  const rs = (await Promise.all(workers.map((w) => w.result))) as Array<{
    frames: number;
    wallMs: number;
    cpuMs: number;
    modelMsPerFrame: Record<string, number>;
  }>;
  const frames = rs.reduce((s, r) => s + r.frames, 0);
  const wallMs = Math.max(...rs.map((r) => r.wallMs));
  const modelMsPerFrame: Record<string, number> = {};
  for (const r of rs)
    for (const [k, v] of Object.entries(r.modelMsPerFrame)) modelMsPerFrame[k] = round((modelMsPerFrame[k] ?? 0) + v / rs.length);
  return {
    fps: round((frames * 1000) / wallMs, 2),
    wallMs: round(wallMs, 0),
    cpuMsPerFrame: round(rs.reduce((s, r) => s + r.cpuMs, 0) / frames),
    modelMsPerFrame,
  };
}

// ---------------------------------------------------------------- distributed

interface Watcher {
  nc: NatsConnection;
  completed(jobId: string, timeoutMs: number): Promise<{ at: number; status: string }>;
  /** Per job: arrival times of frame results, and (time, cumulative count) of progress events. */
  lagSamples(jobIds: readonly string[]): number[];
  close(): Promise<void>;
}

async function watch(nats: TestSystem['nats']): Promise<Watcher> {
  const nc = await connect({ ...nats.clientOptions, servers: nats.url });
  const terminal = new Map<string, { at: number; status: string }>();
  const waiters = new Map<string, (v: { at: number; status: string }) => void>();
  const results = new Map<string, number[]>();
  const progress = new Map<string, Array<[number, number]>>();
  const onTerminal = (status: string) => (_err: unknown, msg: { subject: string }) => {
    const jobId = msg.subject.split('.')[2];
    const v = { at: performance.now(), status };
    terminal.set(jobId, v);
    waiters.get(jobId)?.(v);
  };
  nc.subscribe('fw.events.*.completed', { callback: onTerminal('completed') });
  nc.subscribe('fw.events.*.failed', { callback: onTerminal('failed') });
  nc.subscribe('fw.events.*.frames', {
    callback: (_err, msg) => {
      const ev = msg.json<{ job_id: string; frames_done: number; frames_failed: number }>();
      const list = progress.get(ev.job_id) ?? [];
      list.push([performance.now(), ev.frames_done + ev.frames_failed]);
      progress.set(ev.job_id, list);
    },
  });
  nc.subscribe(WORK_SUBJECTS.persist, {
    callback: (_err, msg) => {
      const r = msg.json<{ job_id: string }>();
      const list = results.get(r.job_id) ?? [];
      list.push(performance.now());
      results.set(r.job_id, list);
    },
  });
  return {
    nc,
    completed: (jobId, timeoutMs) =>
      new Promise((resolveDone, reject) => {
        const hit = terminal.get(jobId);
        if (hit) return resolveDone(hit);
        const t = setTimeout(() => reject(new Error(`job ${jobId} did not end within ${timeoutMs} ms`)), timeoutMs);
        waiters.set(jobId, (v) => {
          clearTimeout(t);
          resolveDone(v);
        });
      }),
    lagSamples: (jobIds) => {
      const lags: number[] = [];
      for (const jobId of jobIds) {
        const rs = results.get(jobId) ?? [];
        const ps = progress.get(jobId) ?? [];
        rs.forEach((t, k) => {
          const ev = ps.find(([at, count]) => count >= k + 1 && at >= t);
          if (ev) lags.push(ev[0] - t);
        });
      }
      return lags;
    },
    close: () => nc.close(),
  };
}

async function distributed(opts: Options, result: BenchResult, videos: Record<'720p' | '1080p', BenchVideo>, spec: string): Promise<void> {
  const replicas = Number.parseInt(spec, 10);
  const defaults = spec.endsWith('d');
  const perReplica = Math.max(1, Math.floor(availableParallelism() / replicas));
  // Before the pool: one frame at a time per replica, its sessions on cores / replicas threads. With it: cores / replicas frames at once, one thread each.
  const onnxThreads = defaults ? perReplica : 1;
  const inferConcurrency = defaults ? 1 : perReplica;
  const setup = `${replicas} inference × ${inferConcurrency} frame${inferConcurrency > 1 ? 's' : ''} at once × ${onnxThreads} ONNX thread${onnxThreads > 1 ? 's' : ''}`;
  log(`distributed: starting every app, ${setup} (FW_INFER_CONCURRENCY=${inferConcurrency}, FW_ONNX_THREADS=${onnxThreads})`);
  const system = await startSystem({
    replicas: { inference: replicas },
    env: { FW_ONNX_THREADS: String(onnxThreads), FW_INFER_CONCURRENCY: String(inferConcurrency) },
  });
  const sys: SystemResult = { setup, replicas, onnxThreads, inferConcurrency, peakRssMiB: {} };
  result.systems.push(sys);
  const watcher = await watch(system.nats);
  const jobIds: string[] = [];
  try {
    for (const w of opts.skip.has('jobs') ? [] : result.workloads) {
      const video = videos[w.video.name.startsWith('1080') ? '1080p' : '720p'];
      const bytes = await readFile(video.path);
      await sleep(1000); // let the previous job's trailing work settle
      const before = cpuByApp(system);
      const t0 = performance.now();
      const { jobId } = await submit(system.baseUrl, bytes, { pipeline_id: w.pipeline, frame_stride: String(opts.stride) });
      jobIds.push(jobId);
      const end = await watcher.completed(jobId, 30 * 60_000);
      const wallMs = end.at - t0;
      if (end.status !== 'completed') throw new Error(`job ${jobId} ${end.status}`);
      const after = cpuByApp(system);
      const frames = await countRows(system, jobId);
      const run: DistributedRun = {
        setup,
        replicas,
        onnxThreads,
        jobId,
        frames,
        wallMs: round(wallMs, 0),
        fps: round((frames * 1000) / wallMs, 2),
        cpuMsPerFrame: Object.fromEntries(STAGES.map((s) => [s, round(((after[s] ?? 0) - (before[s] ?? 0)) / frames)])),
      };
      w.distributed.push(run);
      log(
        `[${w.name}] distributed ${setup}: ${frames} frames in ${round(wallMs / 1000)} s, ${run.fps} frames/s; CPU ms/frame ${JSON.stringify(run.cpuMsPerFrame)}`,
      );
    }
    const lags = watcher.lagSamples(jobIds);
    if (lags.length > 0) {
      sys.eventLagMs = {
        p50: round(percentile(lags, 50)),
        p99: round(percentile(lags, 99)),
        max: round(Math.max(...lags)),
        samples: lags.length,
      };
      log(`event lag (result → progress event): ${JSON.stringify(sys.eventLagMs)}`);
    }
    if (spec === opts.replicas[opts.replicas.length - 1] && !opts.skip.has('services'))
      await services(opts, result, system, watcher, videos);
    for (const a of system.apps) {
      const m = readMemory(a.proc.pid ?? 0);
      if (m) (sys.peakRssMiB[a.app] ??= []).push(round(m.peakMiB, 0)); // replicas the bench replaced are gone
    }
    log(`peak RSS (MiB): ${JSON.stringify(sys.peakRssMiB)}`);
  } finally {
    await watcher.close();
    await system.stop();
  }
}

function cpuByApp(system: TestSystem): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of system.apps) out[a.app] = (out[a.app] ?? 0) + cpuTotalMs(readCpu(a.proc.pid ?? 0));
  return out;
}

async function countRows(system: TestSystem, jobId: string): Promise<number> {
  const pg = new Client({ connectionString: system.db.url });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM frame_results WHERE job_id = $1', [jobId]);
    return rows[0].n;
  } finally {
    await pg.end();
  }
}

async function submit(baseUrl: string, bytes: Buffer, fields: Record<string, string>): Promise<{ jobId: string; ms: number }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([bytes], { type: 'video/mp4' }), 'video.mp4');
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/v1/jobs`, { method: 'POST', body: form });
  const body = (await res.json()) as { job_id?: string };
  const ms = performance.now() - t0;
  if (res.status !== 202 || !body.job_id) throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
  return { jobId: body.job_id, ms };
}

// ---------------------------------------------------------------- services

async function services(
  opts: Options,
  result: BenchResult,
  system: TestSystem,
  watcher: Watcher,
  videos: Record<'720p' | '1080p', BenchVideo>,
): Promise<void> {
  // Intake: 200 submissions of a 1 MB video, 16 at a time (each a 1-frame frame_stats job, so the rest of the system stays busy but not flooded).
  const small = await smallVideo();
  const bytes = await readFile(small.path);
  const latencies: number[] = [];
  const jobIds: string[] = [];
  let errors = 0;
  let next = 0;
  log(`intake: ${opts.intakeJobs} submissions of ${bytes.length} bytes at concurrency ${opts.intakeConcurrency}`);
  const cpuBefore = cpuByApp(system);
  const i0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.intakeConcurrency }, async () => {
      while (next < opts.intakeJobs) {
        next++;
        try {
          const r = await submit(system.baseUrl, bytes, { pipeline_id: 'frame_stats', frame_stride: '1', max_frames: '1' });
          latencies.push(r.ms);
          jobIds.push(r.jobId);
        } catch (err) {
          errors++;
          log(`  submit failed: ${(err as Error).message}`);
        }
      }
    }),
  );
  const intakeSeconds = (performance.now() - i0) / 1000;
  const cpuAfter = cpuByApp(system);
  const cpuPerJob = Object.fromEntries(STAGES.map((s) => [s, round(((cpuAfter[s] ?? 0) - (cpuBefore[s] ?? 0)) / opts.intakeJobs)]));
  result.intake = {
    seconds: round(intakeSeconds, 2),
    perS: round(opts.intakeJobs / intakeSeconds, 1),
    cpuMsPerSubmission: cpuPerJob,
    jobs: opts.intakeJobs,
    concurrency: opts.intakeConcurrency,
    videoBytes: bytes.length,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(Math.max(...latencies)),
    errors,
  };
  log(`  intake latency ${JSON.stringify(result.intake)}`);

  // Status reads at a fixed rate (open loop): while those jobs run (the extractor busy with them), then on a quiet system.
  log(`status reads: GET /v1/jobs/{id} at ${opts.statusRate}/s for ${opts.statusSeconds} s, while the intake jobs run`);
  result.statusReads = await statusReads(opts, system.baseUrl, jobIds);
  log(`  status reads (busy) ${JSON.stringify(result.statusReads)}`);

  // Wait for the intake jobs to end, so the persister backlog below is all that runs.
  for (const id of jobIds) await watcher.completed(id, 10 * 60_000);
  await sleep(2000);
  log(`status reads: the same, with no job running`);
  result.statusReadsIdle = await statusReads(opts, system.baseUrl, jobIds);
  log(`  status reads (idle) ${JSON.stringify(result.statusReadsIdle)}`);

  // Persister: a backlog of persistRows results (100 per job) published while no persister runs, drained by a fresh one.
  const persister = system.apps.find((a) => a.app === 'persister' && a.proc.exitCode === null && a.proc.signalCode === null);
  if (!persister) throw new Error('no persister running');
  persister.proc.kill('SIGTERM');
  await persister.exited;
  const perJob = Math.ceil(opts.persistRows / jobIds.length);
  log(`persister: publishing a backlog of ${perJob * jobIds.length} frame results`);
  await publishPersistBacklog(watcher.nc, jobIds, perJob, 1);
  const pg = new Client({ connectionString: system.db.url });
  await pg.connect();
  try {
    const count = async () => (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM frame_results')).rows[0].n;
    const base = await count();
    const want = base + perJob * jobIds.length;
    const p0 = performance.now();
    // BENCH_PERSISTER_NODE_OPTIONS (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof) profiles the replica that drains the backlog.
    const nodeOptions = process.env.BENCH_PERSISTER_NODE_OPTIONS;
    const fresh = await system.start('persister', { ...opts.persistEnv, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) });
    const pgCpu0 = postgresCpuMs();
    const cpu0 = cpuTotalMs(readCpu(fresh.proc.pid ?? 0));
    let have = base;
    while (have < want) {
      await sleep(50);
      have = await count();
      if (performance.now() - p0 > 10 * 60_000) throw new Error(`persister stuck at ${have - base} rows`);
    }
    const seconds = (performance.now() - p0) / 1000;
    const persisterCpuMs = cpuTotalMs(readCpu(fresh.proc.pid ?? 0)) - cpu0;
    const postgresMs = postgresCpuMs() - pgCpu0;
    result.persister = {
      persisterCpuMsPer1000Rows: round((persisterCpuMs * 1000) / (want - base)),
      postgresCpuMsPer1000Rows: round((postgresMs * 1000) / (want - base)),
      env: opts.persistEnv,
      rows: want - base,
      seconds: round(seconds, 2),
      rowsPerS: round((want - base) / seconds, 0),
      batch: `FW_PERSIST_BATCH_SIZE ${opts.persistEnv.FW_PERSIST_BATCH_SIZE ?? '500 (default)'}, FW_PERSIST_BATCH_WAIT_MS ${opts.persistEnv.FW_PERSIST_BATCH_WAIT_MS ?? '25 (default)'}`,
    };
    log(`  persister ${JSON.stringify(result.persister)} (timed from the new replica's start log)`);
  } finally {
    await pg.end();
  }

  // Event lag with a shorter progress interval: a fresh persister with FW_PROGRESS_INTERVAL_MS=lagIntervalMs, one job.
  const w = result.workloads.find((x) => x.pipeline === 'text_regions') ?? result.workloads[0];
  if (w && opts.lagIntervalMs > 0) {
    for (const a of system.apps.filter((x) => x.app === 'persister' && x.proc.exitCode === null && x.proc.signalCode === null)) {
      a.proc.kill('SIGTERM');
      await a.exited;
    }
    await system.start('persister', { FW_PROGRESS_INTERVAL_MS: String(opts.lagIntervalMs) });
    const video = videos[w.video.name.startsWith('1080') ? '1080p' : '720p'];
    log(`event lag with FW_PROGRESS_INTERVAL_MS=${opts.lagIntervalMs}: one ${w.name} job`);
    const { jobId } = await submit(system.baseUrl, await readFile(video.path), {
      pipeline_id: w.pipeline,
      frame_stride: String(opts.stride),
    });
    await watcher.completed(jobId, 30 * 60_000);
    const lags = watcher.lagSamples([jobId]);
    result.eventLagShortInterval = {
      intervalMs: opts.lagIntervalMs,
      workload: w.name,
      p50: round(percentile(lags, 50)),
      p99: round(percentile(lags, 99)),
      max: round(Math.max(...lags)),
      samples: lags.length,
    };
    log(`  ${JSON.stringify(result.eventLagShortInterval)}`);
  }
}

async function statusReads(opts: Options, baseUrl: string, jobIds: string[]): Promise<NonNullable<BenchResult['statusReads']>> {
  const n = opts.statusRate * opts.statusSeconds;
  const reads: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await sleep(Math.max(0, t0 + (i * 1000) / opts.statusRate - performance.now()));
      const s = performance.now();
      try {
        const res = await fetch(`${baseUrl}/v1/jobs/${jobIds[i % jobIds.length]}`);
        await res.arrayBuffer();
        if (res.status !== 200) errors++;
        reads.push(performance.now() - s);
      } catch {
        errors++;
      }
    }),
  );
  return {
    ratePerS: opts.statusRate,
    requests: n,
    p50: round(percentile(reads, 50), 2),
    p99: round(percentile(reads, 99), 2),
    max: round(Math.max(...reads), 2),
    errors,
  };
}

// ---------------------------------------------------------------- report

function targets(r: BenchResult): BenchResult['targets'] {
  const out: BenchResult['targets'] = [];
  for (const w of r.workloads) {
    const d = w.ratios['distributed best / in-process'];
    if (d !== undefined)
      out.push({ what: `${w.name}: distributed (best replicas) / in-process`, target: '≥ 0.90', value: String(d), met: d >= 0.9 });
    const l = w.ratios['in-process / limit'];
    if (l !== undefined) out.push({ what: `${w.name}: in-process / inference limit`, target: '≥ 0.85', value: String(l), met: l >= 0.85 });
  }
  if (r.persister)
    out.push({ what: 'persister rows/s', target: '≥ 20 000', value: String(r.persister.rowsPerS), met: r.persister.rowsPerS >= 20_000 });
  if (r.statusReadsIdle) {
    const q = r.statusReadsIdle;
    out.push({ what: 'status reads p99 ms, no job running', target: '≤ 20', value: String(q.p99), met: q.p99 <= 20 });
  }
  if (r.statusReads)
    out.push({
      what: 'status reads p99 ms, 200 jobs running',
      target: '≤ 20',
      value: String(r.statusReads.p99),
      met: r.statusReads.p99 <= 20,
    });
  for (const s of r.systems) {
    if (s.eventLagMs) {
      out.push({
        what: `event lag p99 ms (${s.setup})`,
        target: '≤ 250',
        value: String(s.eventLagMs.p99),
        met: s.eventLagMs.p99 <= 250,
      });
    }
  }
  if (r.eventLagShortInterval) {
    const e = r.eventLagShortInterval;
    out.push({
      what: `event lag p99 ms (FW_PROGRESS_INTERVAL_MS=${e.intervalMs})`,
      target: '≤ 250',
      value: String(e.p99),
      met: e.p99 <= 250,
    });
  }
  if (r.defaults) out.push(...defaultsTargets(r.defaults));
  if (r.intake)
    out.push({ what: 'intake p99 ms (1 MB, concurrency 16)', target: '≤ 250', value: String(r.intake.p99), met: r.intake.p99 <= 250 });
  return out;
}

function printTables(r: BenchResult): void {
  const lines: string[] = [];
  lines.push('');
  lines.push(`Framewire bench ${r.date} — ${r.machine.cpus} cores (${r.machine.model}), ${r.machine.memGiB} GiB, node ${r.machine.node}`);
  lines.push(
    `frame stride ${r.options.stride} on 30 s, 30 fps videos (${Math.ceil(900 / r.options.stride)} sampled frames of 900 decoded)`,
  );
  lines.push('');
  const rows: string[][] = [['workload', 'mode', 'frames/s', 'CPU ms per frame per stage', 'ratio']];
  for (const w of r.workloads) {
    const name = `${w.name} (${w.frames} fr)`;
    if (w.limit) {
      for (const c of w.limit.configs) {
        rows.push([name, `limit: ${c.name}${c.name === w.limit.best ? ' *' : ''}`, String(c.fps), `models ${c.cpuMsPerFrame}`, '']);
      }
    }
    if (w.inprocess1) {
      const c = w.inprocess1.cpuMsPerFrame;
      rows.push([name, 'in-process, 1 thread', String(w.inprocess1.fps), `ffmpeg ${c.ffmpeg} · node ${c.node} (total ${c.total})`, '']);
    }
    if (w.inprocess) {
      const c = w.inprocess.cpuMsPerFrame;
      rows.push([
        name,
        `in-process, ${w.inprocess.workers} worker threads`,
        String(w.inprocess.fps),
        `ffmpeg ${c.ffmpeg} · node ${c.node} (total ${c.total})`,
        ratio(w.ratios['in-process / limit'], 'of limit'),
      ]);
    }
    for (const d of w.distributed) {
      const c = d.cpuMsPerFrame;
      const total = round(Object.values(c).reduce((a, b) => a + b, 0));
      rows.push([
        name,
        `distributed: ${d.setup}`,
        String(d.fps),
        `${STAGES.map((s) => `${s} ${c[s]}`).join(' · ')} (total ${total})`,
        ratio(w.ratios[`distributed ${d.setup} / in-process`], 'of in-process'),
      ]);
    }
  }
  lines.push(...table(rows));
  lines.push('');
  const rss: string[][] = [['system', ...STAGES.map((s) => `${s} peak RSS MiB`), 'event lag p50 / p99 ms']];
  for (const s of r.systems) {
    rss.push([
      s.setup,
      ...STAGES.map((a) => (s.peakRssMiB[a] ?? []).join(' + ')),
      s.eventLagMs ? `${s.eventLagMs.p50} / ${s.eventLagMs.p99}` : '',
    ]);
  }
  for (const w of r.workloads)
    if (w.inprocess) rss.push([`in-process ${w.name}`, `${w.inprocess.peakRssMiB} (one process)`, '', '', '', '', '']);
  lines.push(...table(rss));
  lines.push('');
  if (r.intake)
    lines.push(
      `intake: ${r.intake.jobs} × ${r.intake.videoBytes} B at concurrency ${r.intake.concurrency}: p50 ${r.intake.p50} ms, p99 ${r.intake.p99} ms, max ${r.intake.max} ms, ${r.intake.errors} errors; ${r.intake.perS} submissions/s; CPU ms per submission ${STAGES.map((s) => `${s} ${r.intake?.cpuMsPerSubmission[s]}`).join(' · ')}`,
    );
  if (r.statusReads)
    lines.push(
      `status reads, 200 jobs running: ${r.statusReads.requests} at ${r.statusReads.ratePerS}/s: p50 ${r.statusReads.p50} ms, p99 ${r.statusReads.p99} ms, max ${r.statusReads.max} ms, ${r.statusReads.errors} errors`,
    );
  if (r.statusReadsIdle) {
    const q = r.statusReadsIdle;
    lines.push(
      `status reads, no job running: ${q.requests} at ${q.ratePerS}/s: p50 ${q.p50} ms, p99 ${q.p99} ms, max ${q.max} ms, ${q.errors} errors`,
    );
  }
  if (r.persister) {
    const p = r.persister;
    lines.push(
      `persister: ${p.rows} rows in ${p.seconds} s = ${p.rowsPerS} rows/s (${p.batch}); CPU ms per 1000 rows: persister ${p.persisterCpuMsPer1000Rows}, postgres ${p.postgresCpuMsPer1000Rows}`,
    );
  }
  for (const s of r.persisterBatches?.summary ?? []) {
    lines.push(
      `persister alone [${s.variant}]: ${s.rows} rows, ${s.rowsPerS} rows/s; CPU ms per 1000 rows: persister ${s.persisterCpuMsPer1000Rows}, postgres ${s.postgresCpuMsPer1000Rows} (its backends; all postgres processes ${s.postgresAllCpuMsPer1000Rows}) — median of ${r.persisterBatches?.rounds} rounds`,
    );
  }
  if (r.eventLagShortInterval) {
    const e = r.eventLagShortInterval;
    lines.push(`event lag with FW_PROGRESS_INTERVAL_MS=${e.intervalMs} (${e.workload}): p50 ${e.p50} ms, p99 ${e.p99} ms, max ${e.max} ms`);
  }
  if (r.defaults) lines.push('', ...printDefaults(r.defaults));
  if (r.reuse) {
    lines.push('');
    lines.push(...table(reuseTable(r.reuse)));
  }
  for (const t of [
    ...(r.keyframes ? [keyframesTable(r.keyframes)] : []),
    ...(r.decoder ? decoderTables(r.decoder) : []),
    ...(r.peer ? peerTables(r.peer) : []),
  ])
    lines.push('', ...table(t));
  lines.push('');
  lines.push(
    ...table([['target', 'wanted', 'measured', 'met'], ...r.targets.map((t) => [t.what, t.target, t.value, t.met ? 'yes' : 'NO'])]),
  );
  lines.push(`load average before ${r.machine.loadBefore.join(' ')}, after ${r.machine.loadAfter?.join(' ')}; ${r.durationS} s`);
  console.log(lines.join('\n'));
}

function ratio(x: number | undefined, what: string): string {
  return x === undefined ? '' : `${x} ${what}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => `| ${r.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [fmt(rows[0]), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(fmt)];
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
