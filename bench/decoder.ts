/**
 * Decoder CPU per sampled frame (`npm run bench`, skip with --skip=decoder):
 * the system's ffmpeg and the bundled 2018 build, at 720p and 1080p, stride
 * sampling (the bench's --stride), with ffmpeg's decoder threads left to
 * ffmpeg (`auto`: one per core, and more) and fixed at 1 and 2. Each decode
 * is the extractor's (decodeFrames: decode, select, JPEG) with nothing after
 * it; its CPU is ffmpeg's own utime + stime (this process's reaped children).
 *
 * Then the whole pipeline, where inference competes for the cores: the
 * in-process `analyze` path (bench/worker.ts) on 720p text_regions with
 * FW_DECODE_THREADS at its default and at 1, frames/s and ffmpeg CPU per frame.
 *
 * Options: --decoder-seconds=30 (length of the videos decoded).
 */
import { availableParallelism } from 'node:os';
import { type DecoderBinaries, decodeFrames, DEFAULT_DECODE_THREADS, describeDecoder, resolveDecoder } from '@framewire/media';
import { benchVideo, type BenchVideo, readCpu, round, spawnWorker } from './support';

export interface DecoderRow {
  decoder: string;
  version: string;
  video: string;
  /** `auto`: no -threads option (ffmpeg's choice). */
  threads: string;
  frames: number;
  wallMs: number;
  /** Sampled frames per second of the decode alone. */
  fps: number;
  /** ffmpeg utime + stime per sampled frame. */
  cpuMsPerFrame: number;
}

export interface PipelineRow {
  threads: string;
  frames: number;
  fps: number;
  ffmpegCpuMsPerFrame: number;
  totalCpuMsPerFrame: number;
}

export interface DecoderResult {
  stride: number;
  rows: DecoderRow[];
  pipeline: PipelineRow[];
  /** FW_DECODE_THREADS's default (0: ffmpeg's choice). */
  defaultThreads: number;
}

const THREADS: Array<number | null> = [null, 1, 2];

export async function benchDecoder(opts: { stride: number; argv: readonly string[]; log: (line: string) => void }): Promise<DecoderResult> {
  const seconds = Number(opts.argv.find((a) => a.startsWith('--decoder-seconds='))?.split('=')[1] ?? 30);
  const videos = [await benchVideo(1280, 720, seconds), await benchVideo(1920, 1080, seconds)];
  const rows: DecoderRow[] = [];
  for (const [name, decoder] of decoders()) {
    const { version } = await describeDecoder({ FFMPEG_PATH: decoder.ffmpeg, FFPROBE_PATH: decoder.ffprobe, PATH: '' });
    for (const video of videos) {
      for (const threads of THREADS) {
        const row = await timeDecode(video, decoder, opts.stride, threads);
        rows.push({ decoder: name, version, video: video.name, threads: threads === null ? 'auto' : String(threads), ...row });
        opts.log(`  decoder ${name} ${video.name} threads ${threads ?? 'auto'}: ${row.fps} frames/s, ${row.cpuMsPerFrame} CPU ms/frame`);
      }
    }
  }
  const pipeline: PipelineRow[] = [];
  for (const threads of ['0', '1']) {
    const r = (await spawnWorker(['inprocess', videos[0].path, 'text_regions', String(opts.stride), String(availableParallelism())], {
      FW_DECODE_THREADS: threads,
    }).result) as { frames: number; wallMs: number; cpuNodeMs: number; cpuFfmpegMs: number };
    pipeline.push({
      threads: threads === '0' ? 'auto' : threads,
      frames: r.frames,
      fps: round((r.frames * 1000) / r.wallMs, 2),
      ffmpegCpuMsPerFrame: round(r.cpuFfmpegMs / r.frames),
      totalCpuMsPerFrame: round((r.cpuFfmpegMs + r.cpuNodeMs) / r.frames),
    });
    opts.log(`  analyze text_regions ${videos[0].name}, FW_DECODE_THREADS=${threads}: ${pipeline[pipeline.length - 1].fps} frames/s`);
  }
  return { stride: opts.stride, rows, pipeline, defaultThreads: DEFAULT_DECODE_THREADS };
}

/** The system pair when there is one, and the bundled build. */
function decoders(): Array<[string, DecoderBinaries]> {
  const out: Array<[string, DecoderBinaries]> = [];
  try {
    out.push(['system', resolveDecoder({ PATH: process.env.PATH, FW_DECODER: 'system' })]);
  } catch {
    // no ffmpeg on PATH: the bundled build alone
  }
  out.push(['bundled', resolveDecoder({ PATH: '', FW_DECODER: 'bundled' })]);
  return out;
}

async function timeDecode(
  video: BenchVideo,
  decoder: DecoderBinaries,
  stride: number,
  threads: number | null,
): Promise<Pick<DecoderRow, 'frames' | 'wallMs' | 'fps' | 'cpuMsPerFrame'>> {
  const cpu0 = readCpu('self')?.childrenMs ?? 0;
  const t0 = performance.now();
  let frames = 0;
  for await (const _ of decodeFrames(video.path, {
    stride,
    maxFrames: null,
    maxWidth: 1920,
    ffmpegPath: decoder.ffmpeg,
    decodeThreads: threads,
  })) {
    frames++;
  }
  const wallMs = performance.now() - t0;
  // ffmpeg has exited and been reaped: its CPU is in this process's children times
  const cpuMs = (readCpu('self')?.childrenMs ?? 0) - cpu0;
  return { frames, wallMs: round(wallMs, 0), fps: round((frames * 1000) / wallMs, 1), cpuMsPerFrame: round(cpuMs / Math.max(1, frames)) };
}

export function decoderTables(r: DecoderResult): string[][][] {
  const decode: string[][] = [['decoder', 'video', '-threads', 'sampled frames', 'frames/s (decode alone)', 'ffmpeg CPU ms per frame']];
  for (const row of r.rows) {
    decode.push([
      `${row.decoder} (${row.version})`,
      row.video,
      row.threads,
      String(row.frames),
      String(row.fps),
      String(row.cpuMsPerFrame),
    ]);
  }
  const pipeline: string[][] = [
    ['analyze text_regions 720p', 'FW_DECODE_THREADS', 'frames/s', 'ffmpeg CPU ms/frame', 'total CPU ms/frame'],
  ];
  for (const p of r.pipeline) {
    pipeline.push([
      `stride ${r.stride}, ${p.frames} fr`,
      p.threads,
      String(p.fps),
      String(p.ffmpegCpuMsPerFrame),
      String(p.totalCpuMsPerFrame),
    ]);
  }
  return [decode, pipeline];
}
