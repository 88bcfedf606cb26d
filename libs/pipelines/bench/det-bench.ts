/**
 * Per-frame cost of paddleocr/detect_text on a 720p frame, per ONNX Runtime
 * session configuration: preprocess (decode + resize + NCHW), inference, DB
 * post-processing.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only libs/pipelines/bench/det-bench.ts [rounds] [name,filters]
 *
 * Each configuration loads its own session, warms up, then runs `runs` frames
 * (default 15) interleaved with the others; the frame is decoded anew every run
 * (a fresh FrameImage), as in production. Prints median and min ms; `cpu ms` is
 * process CPU time per frame (all threads).
 */
import { loadavg } from 'node:os';
import { FrameImage, type OnnxSessionOptions, PaddleOcrPlugin } from '@framewire/pipelines';
import { BENCH_TEXTS, renderTextFrame } from '../test-support/render-text';

const CONFIGS: Array<[string, Partial<OnnxSessionOptions>]> = [
  ['intra=1 seq all arena', { intraOpNumThreads: 1 }],
  ['intra=2 seq all arena', { intraOpNumThreads: 2 }],
  ['intra=2 seq all arena no-spin', { intraOpNumThreads: 2, allowSpinning: false }],
  ['intra=1 seq all arena no-spin', { intraOpNumThreads: 1, allowSpinning: false }],
  ['intra=0(auto) seq all arena', { intraOpNumThreads: 0 }],
  ['intra=2 parallel inter=2', { intraOpNumThreads: 2, executionMode: 'parallel', interOpNumThreads: 2 }],
  ['intra=2 seq basic', { intraOpNumThreads: 2, graphOptimizationLevel: 'basic' }],
  ['intra=2 seq extended', { intraOpNumThreads: 2, graphOptimizationLevel: 'extended' }],
  ['intra=2 seq disabled', { intraOpNumThreads: 2, graphOptimizationLevel: 'disabled' }],
  ['intra=2 seq all no-arena', { intraOpNumThreads: 2, enableCpuMemArena: false }],
  ['intra=2 seq all no-mempattern', { intraOpNumThreads: 2, enableMemPattern: false }],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15);
  const only = process.argv[3]?.split(',');
  const frame = await renderTextFrame(1280, 720, BENCH_TEXTS, { background: 'texture', quality: 85 });
  const input = { jpeg: frame.jpeg, width: frame.width, height: frame.height, index: 0, ptsMs: 0 };
  const configs = CONFIGS.filter(([name]) => !only || only.some((o) => name.includes(o)));
  console.log(`frame 1280x720 JPEG ${frame.jpeg.length} bytes, ${runs} rounds, node ${process.version}, load ${loadavg()[0].toFixed(2)}`);

  // Every configuration gets its own session; rounds interleave them so that
  // load from other processes on the machine hits all of them alike.
  const subjects = [];
  for (const [name, sessionOptions] of configs) {
    const plugin = new PaddleOcrPlugin({ sessionOptions });
    await plugin.init({ tools: ['detect_text'] });
    for (let i = 0; i < 3; i++) await plugin.detect({ frame: new FrameImage(input) });
    subjects.push({
      name,
      plugin,
      pre: [] as number[],
      inf: [] as number[],
      post: [] as number[],
      tot: [] as number[],
      cpu: [] as number[],
      regions: 0,
    });
  }
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? subjects : [...subjects].reverse();
    for (const s of order) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const { output, timings } = await s.plugin.detect({ frame: new FrameImage(input) });
      const c = process.cpuUsage(c0);
      s.tot.push(performance.now() - t0);
      s.cpu.push((c.user + c.system) / 1000);
      s.pre.push(timings.preprocess);
      s.inf.push(timings.inference);
      s.post.push(timings.postprocess);
      s.regions = output.regions.length;
    }
  }
  const f = (x: number) => x.toFixed(1).padStart(6);
  console.log('config                         | preprocess    | inference     | postprocess   | total         | cpu ms | regions');
  console.log('                               | median   min  | median   min  | median   min  | median   min  | median |');
  for (const s of subjects) {
    await s.plugin.close();
    const col = (xs: number[]) => `${f(median(xs))} ${f(Math.min(...xs))}`;
    console.log(
      `${s.name.padEnd(30)} | ${col(s.pre)} | ${col(s.inf)} | ${col(s.post)} | ${col(s.tot)} | ${f(median(s.cpu))} | ${s.regions}`,
    );
  }
  console.log(`load after: ${loadavg()[0].toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
