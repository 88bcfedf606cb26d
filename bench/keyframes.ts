/**
 * Keyframe sampling on a long video (`npm run bench`, skip with --skip=keyframes):
 * the bench's 10-minute 720p video (bench/support.ts; x264's default GOP,
 * at most 250 frames, plus its scene cuts), analysed in-process (`framewire
 * analyze`'s path) with `sample=keyframes` and with a frame_stride giving
 * about as many frames. Timed from the call to the last frame, model loading
 * taken out (a job's models are loaded before it arrives); decode CPU is
 * ffmpeg's and ffprobe's utime + stime (this process's reaped children).
 *
 * With `ocr` the models dominate either way; with the cheap `frame_stats`
 * what is left is mostly decoding.
 *
 * Options: --keyframes-seconds=600, --keyframes-pipelines=ocr,frame_stats.
 */
import { availableParallelism } from 'node:os';
import { probeKeyframes } from '@framewire/media';
import { analyzeVideo } from '../apps/cli/src/analyze';
import { benchVideo, readCpu, round } from './support';

export interface KeyframesRun {
  pipeline: string;
  mode: string;
  frames: number;
  /** Call to last frame, model loading taken out. */
  wallMs: number;
  fps: number;
  decodeCpuMs: number;
  decodeCpuMsPerFrame: number;
}

export interface KeyframesResult {
  video: { name: string; frames: number; seconds: number };
  keyframes: number;
  stride: number;
  runs: KeyframesRun[];
  /** Per pipeline: the stride run's time / the keyframe run's. */
  speedup: Record<string, number>;
}

export async function benchKeyframes(opts: { argv: readonly string[]; log: (line: string) => void }): Promise<KeyframesResult> {
  const arg = (name: string) => opts.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const seconds = Number(arg('keyframes-seconds') ?? 600);
  const pipelines = (arg('keyframes-pipelines') ?? 'ocr,frame_stats').split(',');
  const video = await benchVideo(1280, 720, seconds, `720p-${seconds}s`);
  const keyframes = (await probeKeyframes(video.path)).keyframes.length;
  const stride = Math.max(1, Math.round(video.frames / keyframes));
  opts.log(`  ${video.name}: ${video.frames} frames, ${keyframes} keyframes; stride ${stride} for as many frames`);
  const runs: KeyframesRun[] = [];
  const speedup: Record<string, number> = {};
  for (const pipeline of pipelines) {
    const pair: KeyframesRun[] = [];
    for (const [mode, sampling] of [
      ['keyframes', { sample: 'keyframes' }],
      [`frame_stride ${stride}`, { stride }],
    ] as const) {
      const r = await timeAnalyze(video.path, pipeline, mode, sampling);
      pair.push(r);
      opts.log(`  ${pipeline} ${mode}: ${r.frames} frames in ${r.wallMs} ms, ${r.fps} frames/s, decode CPU ${r.decodeCpuMs} ms`);
    }
    runs.push(...pair);
    speedup[pipeline] = round(pair[1].wallMs / pair[0].wallMs, 2);
  }
  return { video: { name: video.name, frames: video.frames, seconds }, keyframes, stride, runs, speedup };
}

async function timeAnalyze(
  path: string,
  pipeline: string,
  mode: string,
  sampling: { sample?: string; stride?: number },
): Promise<KeyframesRun> {
  const cpu0 = readCpu('self')?.childrenMs ?? 0;
  const t0 = performance.now();
  let loadStart = 0;
  let loadMs = 0;
  let frames = 0;
  for await (const _ of analyzeVideo(path, {
    pipeline,
    stride: sampling.stride,
    maxFrames: undefined,
    sample: sampling.sample,
    workers: availableParallelism(),
    onVideo: () => (loadStart = performance.now()),
    onModelsLoaded: () => (loadMs = performance.now() - loadStart),
  })) {
    frames++;
  }
  const wallMs = performance.now() - t0 - loadMs;
  const decodeCpuMs = (readCpu('self')?.childrenMs ?? 0) - cpu0;
  return {
    pipeline,
    mode,
    frames,
    wallMs: round(wallMs, 0),
    fps: round((frames * 1000) / wallMs, 2),
    decodeCpuMs: round(decodeCpuMs, 0),
    decodeCpuMsPerFrame: round(decodeCpuMs / Math.max(1, frames)),
  };
}

export function keyframesTable(r: KeyframesResult): string[][] {
  const rows = [['sampling', 'frames', 'time (s)', 'frames/s', 'decode CPU (s)', 'decode CPU ms/frame', 'ratio']];
  for (const run of r.runs) {
    rows.push([
      `${run.pipeline} ${r.video.name} (${r.video.frames} fr), ${run.mode}`,
      String(run.frames),
      String(round(run.wallMs / 1000, 1)),
      String(run.fps),
      String(round(run.decodeCpuMs / 1000, 1)),
      String(run.decodeCpuMsPerFrame),
      run.mode === 'keyframes' ? `${r.speedup[run.pipeline]}× faster` : '',
    ]);
  }
  return rows;
}
