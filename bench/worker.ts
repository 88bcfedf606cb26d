/**
 * One measurement in its own process, started by bench/run.ts (spawnWorker):
 *
 *   inprocess <video> <pipeline> <stride> <workers> [recordDir]
 *     `framewire analyze`'s code path (analyzeVideo: probe, ffmpeg decode and
 *     sampling, JPEG, pipeline; `workers` frames at once) timed like a job
 *     of the distributed system, whose models are loaded before it arrives:
 *     from the call (probe included) to the last frame, less model loading. With a recordDir (and 1 worker: the hook
 *     sees only this thread), every ONNX run's inputs are also written there
 *     (the time spent writing is measured and taken out of the figures), for
 *     the limit below.
 *
 *   limit <recordDir> <intraThreads> <spin 0|1> <shard> <shards>
 *     The inference limit: the models alone, replaying those recorded inputs
 *     (preprocessed frames) in a tight loop, every `shards`-th frame from
 *     `shard`. Prints READY after loading and warming up, and starts timing
 *     on a line on stdin, so several shards run at once.
 *
 * Prints one line `RESULT <json>`.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxModel, type TensorData, type TensorMap } from '@framewire/pipelines';
import { analyzeVideo } from '../apps/cli/src/analyze';
import { cpuTotalMs, readCpu, readMemory } from './support';

interface RecordedFeed {
  name: string;
  type: string;
  dims: number[];
  offset: number;
  length: number;
}
interface RecordedRun {
  model: string;
  feeds: RecordedFeed[];
}
interface RecordingIndex {
  models: Record<string, string>;
  frames: Array<{ index: number; runs: RecordedRun[] }>;
}

async function inprocess(
  video: string,
  pipeline: string,
  stride: number,
  workers: number,
  recordDir: string | undefined,
): Promise<unknown> {
  if (recordDir && workers !== 1) throw new Error('recording needs 1 worker');
  if (recordDir) mkdirSync(recordDir, { recursive: true });
  const fd = recordDir ? openSync(join(recordDir, 'feeds.bin'), 'w') : null;
  const index: RecordingIndex = { models: {}, frames: [] };
  let offset = 0;
  let current: RecordedRun[] = [];
  let recordMs = 0;
  // Record every model run's inputs: the same preprocessed tensors the limit replays.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with call() below
  const run = OnnxModel.prototype.run;
  OnnxModel.prototype.run = async function (this: OnnxModel, feeds: TensorMap): Promise<TensorMap> {
    if (fd === null) return run.call(this, feeds);
    const t0 = performance.now();
    index.models[this.name] = this.path;
    const rec: RecordedRun = { model: this.name, feeds: [] };
    for (const [name, t] of Object.entries(feeds)) {
      const data = t.data as Float32Array;
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      writeSync(fd, bytes);
      rec.feeds.push({ name, type: t.type, dims: [...t.dims], offset, length: data.length });
      offset += bytes.length;
    }
    current.push(rec);
    recordMs += performance.now() - t0;
    return run.call(this, feeds);
  };

  // Timed like a distributed job (submit → completed, models already loaded): from the call, probe included, minus model loading.
  const t0 = performance.now();
  const cpu0 = readCpu('self');
  let loadStart = 0;
  let loadCpu0 = cpu0;
  let loadMs = 0;
  let loadCpuMs = 0;
  let modelsMs = 0;
  const nodeMs: Record<string, number> = {};
  let frames = 0;
  let failed = 0;
  let items = 0;
  for await (const f of analyzeVideo(video, {
    pipeline,
    stride,
    workers,
    maxFrames: undefined,
    onVideo: () => {
      loadStart = performance.now();
      loadCpu0 = readCpu('self');
    },
    onModelsLoaded: (ms) => {
      modelsMs = ms;
      loadMs = performance.now() - loadStart;
      loadCpuMs = cpuTotalMs(readCpu('self')) - cpuTotalMs(loadCpu0);
      recordMs = 0;
    },
  })) {
    frames++;
    if (f.error) failed++;
    for (const [node, ms] of Object.entries(f.timings_ms)) nodeMs[node] = (nodeMs[node] ?? 0) + ms;
    items += countItems(f.result);
    index.frames.push({ index: f.frame_index, runs: current });
    current = [];
  }
  // totalMs: the whole call, model loading included (what `framewire analyze` takes from a cold start, less node's own start).
  const totalMs = performance.now() - t0 - recordMs;
  const wallMs = totalMs - loadMs;
  const cpu1 = readCpu('self');
  if (fd !== null && recordDir) {
    closeSync(fd);
    writeFileSync(join(recordDir, 'index.json'), JSON.stringify(index));
  }
  return {
    frames,
    failed,
    items,
    wallMs,
    totalMs,
    modelsMs,
    recordMs,
    cpuNodeMs: (cpu1?.selfMs ?? 0) - (cpu0?.selfMs ?? 0) - loadCpuMs - recordMs,
    cpuFfmpegMs: (cpu1?.childrenMs ?? 0) - (cpu0?.childrenMs ?? 0),
    nodeMsPerFrame: Object.fromEntries(Object.entries(nodeMs).map(([k, v]) => [k, v / Math.max(1, frames)])),
    peakRssMiB: readMemory('self')?.peakMiB ?? null,
  };
}

/** Regions or lines in a frame's result (a sanity check that the text was seen). */
function countItems(result: Record<string, unknown> | null): number {
  let n = 0;
  for (const v of Object.values(result ?? {})) {
    const o = v as { regions?: unknown[]; lines?: unknown[] } | null;
    n += (o?.regions?.length ?? 0) + (o?.lines?.length ?? 0);
  }
  return n;
}

async function limit(recordDir: string, threads: number, spin: boolean, shard: number, shards: number): Promise<unknown> {
  const index = JSON.parse(readFileSync(join(recordDir, 'index.json'), 'utf8')) as RecordingIndex;
  const bin = readFileSync(join(recordDir, 'feeds.bin'));
  const models = new Map<string, OnnxModel>();
  for (const [name, path] of Object.entries(index.models)) {
    models.set(name, await OnnxModel.load(path, { intraOpNumThreads: threads, allowSpinning: spin }));
  }
  const frames = index.frames.filter((_, i) => i % shards === shard);
  // Tensors built before timing: the limit is the models alone.
  const work = frames.map((f) =>
    f.runs.map((r) => {
      const feeds: Record<string, TensorData> = {};
      for (const x of r.feeds) {
        const data = new Float32Array(x.length);
        data.set(new Float32Array(bin.buffer, bin.byteOffset + x.offset, x.length));
        feeds[x.name] = { type: 'float32', data, dims: x.dims };
      }
      return { model: models.get(r.model) as OnnxModel, feeds };
    }),
  );
  for (const runs of work.slice(0, 2)) for (const r of runs) await r.model.run(r.feeds); // warm-up
  process.stdout.write('READY\n');
  await new Promise<void>((r) => process.stdin.once('data', () => r()));
  const t0 = performance.now();
  const cpu0 = readCpu('self');
  const perModel: Record<string, number> = {};
  for (const runs of work) {
    for (const r of runs) {
      const s = performance.now();
      await r.model.run(r.feeds);
      perModel[r.model.name] = (perModel[r.model.name] ?? 0) + performance.now() - s;
    }
  }
  const wallMs = performance.now() - t0;
  const cpuMs = cpuTotalMs(readCpu('self')) - cpuTotalMs(cpu0);
  for (const m of models.values()) await m.close();
  return {
    frames: frames.length,
    wallMs,
    cpuMs,
    modelMsPerFrame: Object.fromEntries(Object.entries(perModel).map(([k, v]) => [k, v / Math.max(1, frames.length)])),
    peakRssMiB: readMemory('self')?.peakMiB ?? null,
  };
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  let result: unknown;
  if (mode === 'inprocess') result = await inprocess(args[0], args[1], Number(args[2]), Number(args[3]), args[4]);
  else if (mode === 'limit') result = await limit(args[0], Number(args[1]), args[2] === '1', Number(args[3]), Number(args[4]));
  else throw new Error(`unknown mode ${mode}`);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
