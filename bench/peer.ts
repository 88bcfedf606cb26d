/**
 * The peer (`npm run bench`, skip with --skip=peer): @gutenye/ocr-node, the
 * Node OCR library a user would reach for (the same PP-OCR models, run on our
 * onnxruntime-node and sharp through npm `overrides`), in a frame loop on the
 * frames the `ocr` 720p workload samples (the extractor's decode: stride,
 * JPEG quality 85), side by side with the in-process `analyze` on the same
 * video and stride, and the distributed system's frames/s where the run has
 * it (it stores the same results as `analyze`).
 *
 * Accuracy: each frame's known lines (bench/support.ts draws three, changing
 * every 3 s) against the lines read, exact matches after collapsing runs of
 * spaces, and the same ignoring spaces (a line read in two pieces, or
 * "Score0-0" for "Score 0 - 0", counts there); the example column shows, for the first frame, what each read in
 * place of each line (the read line closest to it).
 *
 * Options: --peer-frames=N (at most N frames; default all the stride gives).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFrames } from '@framewire/media';
import { analyzeVideo } from '../apps/cli/src/analyze';
import { benchVideo, benchVideoTextsAt, ROOT, round } from './support';

export interface PeerRow {
  who: string;
  frames: number;
  fps: number;
  /** Known lines read exactly, of all known lines of the frames. */
  linesMatched: number | null;
  linesExpected: number | null;
  /** Known lines found in the frame's text with every space removed (split lines and spacing forgiven, not a wrong letter). */
  linesMatchedNoSpaces: number | null;
  /** For the first frame: each known line → the closest line read. */
  example: Array<{ expected: string; read: string }>;
}

export interface PeerResult {
  video: string;
  stride: number;
  rows: PeerRow[];
  /** analyze frames/s ÷ the peer's. */
  speedup: number;
}

export async function benchPeer(opts: {
  stride: number;
  argv: readonly string[];
  log: (line: string) => void;
  /** The distributed system's best frames/s on the ocr 720p workload, when the run measured it. */
  distributedFps?: number | null;
}): Promise<PeerResult> {
  const maxArg = opts.argv.find((a) => a.startsWith('--peer-frames='))?.split('=')[1];
  const maxFrames = maxArg === undefined ? null : Number(maxArg);
  const video = await benchVideo(1280, 720, 30);
  const rows: PeerRow[] = [];

  // Framewire in-process, models loaded before the clock starts (as the peer's).
  const read: Array<{ index: number; texts: string[] }> = [];
  let start = 0;
  for await (const f of analyzeVideo(video.path, {
    pipeline: 'ocr',
    stride: opts.stride,
    maxFrames: maxFrames ?? undefined,
    workers: availableParallelism(),
    onModelsLoaded: () => (start = performance.now()),
  })) {
    read.push({ index: f.frame_index, texts: textsOf(f.result) });
  }
  const analyzeMs = performance.now() - start;
  rows.push(score(`framewire analyze (${availableParallelism()} worker threads)`, read, analyzeMs));
  opts.log(`  analyze: ${rows[0].fps} frames/s, ${rows[0].linesMatched}/${rows[0].linesExpected} lines exact`);

  // The peer, in its own process, on the same frames as JPEG.
  const dir = await mkdtemp(join(tmpdir(), 'framewire-peer-'));
  try {
    const indexes: number[] = [];
    for await (const f of decodeFrames(video.path, { stride: opts.stride, maxFrames, maxWidth: 1920 })) {
      await writeFile(join(dir, `${String(f.index).padStart(8, '0')}.jpg`), f.jpeg);
      indexes.push(f.index);
    }
    const r = await runPeer(dir);
    const peer = score(
      '@gutenye/ocr-node (frame loop)',
      indexes.map((index, k) => ({ index, texts: r.texts[k] ?? [] })),
      r.wallMs,
    );
    rows.push(peer);
    opts.log(`  peer: ${peer.fps} frames/s, ${peer.linesMatched}/${peer.linesExpected} lines exact`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (opts.distributedFps != null) {
    rows.push({
      who: 'framewire distributed (best setup)',
      frames: read.length,
      fps: opts.distributedFps,
      linesMatched: null,
      linesExpected: null,
      linesMatchedNoSpaces: null,
      example: [],
    });
  }
  return { video: video.name, stride: opts.stride, rows, speedup: round(rows[0].fps / rows[1].fps, 2) };
}

function runPeer(dir: string): Promise<{ frames: number; wallMs: number; texts: string[][] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'peer-worker.mjs'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('RESULT '.length)) as { frames: number; wallMs: number; texts: string[][] });
      else reject(new Error(`peer exited ${code}: ${err}`));
    });
  });
}

/** Every `text` string of a frame result (the ocr pipeline's lines), in order. */
function textsOf(result: unknown): string[] {
  if (Array.isArray(result)) return result.flatMap(textsOf);
  if (result === null || typeof result !== 'object') return [];
  const o = result as Record<string, unknown>;
  return typeof o.text === 'string' ? [o.text] : Object.values(o).flatMap(textsOf);
}

const norm = (s: string) => s.trim().replace(/\s+/g, ' ');

function score(who: string, frames: Array<{ index: number; texts: string[] }>, wallMs: number): PeerRow {
  let matched = 0;
  let expected = 0;
  let matchedNoSpaces = 0;
  const bare = (s: string) => s.replace(/\s+/g, '');
  for (const f of frames) {
    const got = new Set(f.texts.map(norm));
    const all = bare(f.texts.join(''));
    for (const line of benchVideoTextsAt(f.index)) {
      expected++;
      if (got.has(norm(line))) matched++;
      if (all.includes(bare(line))) matchedNoSpaces++;
    }
  }
  const first = frames[0];
  const example = first
    ? benchVideoTextsAt(first.index).map((line) => ({
        expected: norm(line),
        read: first.texts.map(norm).reduce((best, t) => (distance(t, norm(line)) < distance(best, norm(line)) ? t : best), ''),
      }))
    : [];
  return {
    who,
    frames: frames.length,
    fps: round((frames.length * 1000) / wallMs, 2),
    linesMatched: matched,
    linesExpected: expected,
    linesMatchedNoSpaces: matchedNoSpaces,
    example,
  };
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

export function peerTables(r: PeerResult): string[][][] {
  const rows = [['ocr 720p, stride ' + String(r.stride), 'frames', 'frames/s', 'known lines read exactly', 'ignoring spaces']];
  const share = (n: number | null, of: number | null) =>
    n === null || of === null ? '(same results as analyze)' : `${n}/${of} (${round((100 * n) / Math.max(1, of), 0)} %)`;
  for (const row of r.rows) {
    rows.push([
      row.who,
      String(row.frames),
      String(row.fps),
      share(row.linesMatched, row.linesExpected),
      share(row.linesMatchedNoSpaces, row.linesExpected),
    ]);
  }
  const examples = [['first frame: known line', ...r.rows.filter((x) => x.example.length > 0).map((x) => x.who)]];
  const withExamples = r.rows.filter((x) => x.example.length > 0);
  for (let k = 0; k < (withExamples[0]?.example.length ?? 0); k++) {
    examples.push([withExamples[0].example[k].expected, ...withExamples.map((x) => `"${x.example[k]?.read ?? ''}"`)]);
  }
  return [rows, examples];
}
