/**
 * Shared pieces of the benchmarks: process accounting from /proc, percentiles,
 * the generated videos, and spawning bench workers (TypeScript, through
 * ts-node, with the repository's path aliases).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { msgIds, WORK_SUBJECTS, type FrameResultV1 } from '@framewire/contracts';
import { resolveFfmpegPath } from '@framewire/media';
import { escapeFilterValue, FIXTURE_FONT_FILE } from '../test/support/fixtures';

export const ROOT = resolve(__dirname, '..');
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux this runs on). */
const CLK_TCK = 100;

export interface CpuSample {
  /** utime + stime of the process, ms. */
  selfMs: number;
  /** cutime + cstime: children it has waited for (ffmpeg, ffprobe), ms. */
  childrenMs: number;
}

/** CPU time of a live process from /proc/<pid>/stat; null when it is gone. */
export function readCpu(pid: number | 'self'): CpuSample | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name (which may hold spaces, inside parentheses).
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14 → f[11], stime f[12], cutime f[13], cstime f[14].
  const tick = (i: number) => (Number(f[i]) * 1000) / CLK_TCK;
  return { selfMs: tick(11) + tick(12), childrenMs: tick(13) + tick(14) };
}

export function cpuTotalMs(s: CpuSample | null): number {
  return s ? s.selfMs + s.childrenMs : 0;
}

/** VmHWM (peak RSS) and VmRSS of a live process, MiB; null when it is gone. */
export function readMemory(pid: number | 'self'): { peakMiB: number; rssMiB: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { peakMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- videos

export const VIDEO_FPS = 30;

export interface BenchVideo {
  name: string;
  path: string;
  width: number;
  height: number;
  frames: number;
  bytes: number;
}

const CACHE_DIR = join(tmpdir(), 'framewire-bench-videos');

/**
 * A moving test pattern (ffmpeg's testsrc2: colour bars, a moving gradient and
 * a counter) with subtitle-like text that changes every 3 s: three lines in
 * three sizes, white on a translucent box, and the frame counter the pattern
 * draws. H.264 (x264 veryfast, CRF 23), like a screen or camera recording.
 * Cached in the temp directory by size and duration.
 */
export async function benchVideo(width: number, height: number, seconds: number, name = `${height}p-${seconds}s`): Promise<BenchVideo> {
  const path = join(CACHE_DIR, `v2-${width}x${height}-${seconds}s.mp4`);
  const frames = seconds * VIDEO_FPS;
  if (!existsSync(path)) {
    await mkdir(CACHE_DIR, { recursive: true });
    const s = height / 720;
    const texts: string[] = [];
    const segments = Math.ceil(seconds / 3);
    for (let i = 0; i < segments; i++) {
      const from = i * 3 * VIDEO_FPS;
      const to = Math.min(frames, (i + 1) * 3 * VIDEO_FPS) - 1;
      for (const { text, x, y, size } of benchVideoLines(i)) {
        texts.push(
          'drawtext=' +
            [
              `fontfile=${escapeFilterValue(FIXTURE_FONT_FILE)}`,
              `text=${escapeFilterValue(text)}`,
              'expansion=none',
              'fontcolor=white',
              'box=1',
              'boxcolor=black@0.6',
              'boxborderw=6',
              `fontsize=${Math.round(size * s)}`,
              `x=${Math.round(x * s)}`,
              `y=${Math.round(y * s)}`,
              `enable=${escapeFilterValue(`between(n,${from},${to})`)}`,
            ].join(':'),
        );
      }
    }
    const tmp = `${path}.${process.pid}.tmp.mp4`;
    // A long video has hundreds of overlays: the filter goes in a file, not on the command line.
    const script = `${path}.${process.pid}.filter`;
    await writeFile(script, texts.join(',\n'));
    await runFfmpeg([
      ...['-f', 'lavfi', '-i', `testsrc2=s=${width}x${height}:r=${VIDEO_FPS}:d=${seconds}`],
      ...['-filter_script:v', script, '-frames:v', String(frames)],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', tmp],
    ]);
    await rm(script, { force: true });
    await rename(tmp, path);
  }
  return { name, path, width, height, frames, bytes: (await stat(path)).size };
}

/** Frames of a bench video between two changes of its text (3 s). */
export const TEXT_SEGMENT_FRAMES = 3 * VIDEO_FPS;

/** The text lines benchVideo draws in its `segment`-th 3 s (frames segment·90 to segment·90 + 89), at 720p coordinates. */
export function benchVideoLines(segment: number): Array<{ text: string; x: number; y: number; size: number }> {
  const i = segment;
  return [
    { text: `Chapter ${i + 1}: the quick brown fox jumps over the lazy dog`, x: 80, y: 560, size: 36 },
    { text: `Score ${i % 7} - ${(i * 3) % 5}   12:${String((i * 7) % 60).padStart(2, '0')}`, x: 860, y: 80, size: 40 },
    { text: `small print ${1000 + i * 37} at the bottom`, x: 820, y: 670, size: 20 },
  ];
}

/** The texts a bench video shows at frame `index`. */
export function benchVideoTextsAt(index: number): string[] {
  return benchVideoLines(Math.floor(index / TEXT_SEGMENT_FRAMES)).map((l) => l.text);
}

/** A small video of about `bytes` (a 640×360 noisy pattern at a fixed bitrate): the intake latency probe. */
export async function smallVideo(bytes = 1024 * 1024): Promise<BenchVideo> {
  const seconds = 8;
  const path = join(CACHE_DIR, `v2-small-${bytes}.mp4`);
  if (!existsSync(path)) {
    await mkdir(CACHE_DIR, { recursive: true });
    const kbit = Math.round((bytes * 8) / seconds / 1000);
    const tmp = `${path}.${process.pid}.tmp.mp4`;
    await runFfmpeg([
      ...['-f', 'lavfi', '-i', `testsrc2=s=640x360:r=${VIDEO_FPS}:d=${seconds}`, '-vf', 'noise=alls=24:allf=t'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', `${kbit}k`, '-maxrate', `${kbit}k`, '-bufsize', `${kbit}k`],
      ...['-pix_fmt', 'yuv420p', '-movflags', '+faststart', tmp],
    ]);
    await rename(tmp, path);
  }
  return { name: 'small', path, width: 640, height: 360, frames: seconds * VIDEO_FPS, bytes: (await stat(path)).size };
}

export function runFfmpeg(args: string[]): Promise<void> {
  const full = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args];
  return new Promise((resolveRun, reject) => {
    const child = spawn(resolveFfmpegPath(), full, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`ffmpeg failed (${code}): ${stderr}`))));
  });
}

// ---------------------------------------------------------------- workers

export interface WorkerHandle {
  proc: ChildProcess;
  /** Resolves with the JSON the worker printed last (a line starting with `RESULT `). */
  result: Promise<unknown>;
  /** Resolves when the worker printed `READY` (it then waits for a line on stdin). */
  ready: Promise<void>;
  go(): void;
}

/** Runs bench/worker.ts (or another bench script) in its own process (so its CPU, threads and memory are its own). */
export function spawnWorker(args: string[], env: Record<string, string> = {}, script = 'worker.ts'): WorkerHandle {
  const proc = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, 'bench', script), ...args],
    { cwd: ROOT, env: { ...process.env, ...env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((r) => (readyResolve = r));
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY\n')) readyResolve();
  });
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
  const result = new Promise<unknown>((resolveResult, reject) => {
    proc.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolveResult(JSON.parse(line.slice('RESULT '.length)));
      else reject(new Error(`bench worker ${args.join(' ')} exited ${code}:\n${err}\n${out.slice(-2000)}`));
    });
  });
  return { proc, result, ready, go: () => proc.stdin?.end('GO\n') };
}

/** CPU ms of the machine's Postgres server processes (all `postgres` processes), to tell the database's share of the persister's work. */
export function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuTotalMs(readCpu(Number(pid)));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** A frame result's detected regions as the bench backlogs write them: four text regions a frame. */
export function sampleRegions(k: number): unknown[] {
  return Array.from({ length: 4 }, (_, i) => ({
    polygon: [
      [80 + i, 60 + k],
      [640 + i, 60 + k],
      [640 + i, 110 + k],
      [80 + i, 110 + k],
    ],
    score: 0.9,
    bbox: { x: 80 + i, y: 60 + k, width: 560, height: 50 },
  }));
}

/**
 * Publish a backlog of frame results on fw.work.persist (for a persister to
 * drain): `perJob` results per job, frame indices from `firstIndex`, at most
 * 256 publishes awaiting their acknowledgement.
 */
export async function publishPersistBacklog(nc: NatsConnection, jobIds: string[], perJob: number, firstIndex = 0): Promise<void> {
  const js = jetstream(nc);
  const pending = new Set<Promise<unknown>>();
  for (const jobId of jobIds) {
    for (let k = firstIndex; k < firstIndex + perJob; k++) {
      const msg: FrameResultV1 = {
        v: 1,
        job_id: jobId,
        frame_index: k,
        pts_ms: k * 33.333,
        result: { detect: { regions: sampleRegions(k) } },
        error: null,
        timings_ms: { detect: 150 + (k % 20) },
        worker_id: 'bench',
      };
      const p = js.publish(WORK_SUBJECTS.persist, JSON.stringify(msg), { msgID: msgIds.persist(jobId, k) });
      pending.add(p);
      void p.finally(() => pending.delete(p));
      if (pending.size >= 256) await Promise.race(pending);
    }
  }
  await Promise.all(pending);
}
