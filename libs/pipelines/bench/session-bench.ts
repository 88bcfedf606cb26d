/**
 * Which ONNX Runtime session options run each PaddleOCR model fastest on this
 * machine: every configuration gets its own plugin (its own det, cls and rec
 * sessions), and rounds run the `ocr` pipeline on the 720p benchmark frame
 * through each configuration in turn (alternating order), so load from other
 * processes hits all of them alike. Frames are decoded before timing.
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only libs/pipelines/bench/session-bench.ts [rounds] [name,filters]
 *
 * Prints the median and min ms of each node (detect = det, angle = cls,
 * read = rec) per configuration, and process CPU ms per frame.
 */
import { loadavg } from 'node:os';
import {
  FrameImage,
  ImageStatsPlugin,
  type OnnxSessionOptions,
  PaddleOcrPlugin,
  PipelineRegistry,
  InProcessPipelineRunner,
  PluginRegistry,
} from '@framewire/pipelines';
import { BENCH_TEXTS, renderTextFrame } from '../test-support/render-text';

const CONFIGS: Array<[string, Partial<OnnxSessionOptions>]> = [
  ['intra=2 no-spin all (default)', { intraOpNumThreads: 2, allowSpinning: false }],
  ['intra=2 spin all', { intraOpNumThreads: 2, allowSpinning: true }],
  ['intra=1 spin all', { intraOpNumThreads: 1, allowSpinning: true }],
  ['intra=1 no-spin all', { intraOpNumThreads: 1, allowSpinning: false }],
  ['intra=2 no-spin extended', { intraOpNumThreads: 2, allowSpinning: false, graphOptimizationLevel: 'extended' }],
  ['intra=2 no-spin basic', { intraOpNumThreads: 2, allowSpinning: false, graphOptimizationLevel: 'basic' }],
  ['intra=2 parallel inter=2', { intraOpNumThreads: 2, allowSpinning: false, executionMode: 'parallel', interOpNumThreads: 2 }],
  ['intra=2 no-spin no-arena', { intraOpNumThreads: 2, allowSpinning: false, enableCpuMemArena: false }],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 10);
  const only = process.argv[3]?.split(',');
  const frame = await renderTextFrame(1280, 720, BENCH_TEXTS, { background: 'texture', quality: 85 });
  const input = { jpeg: frame.jpeg, width: frame.width, height: frame.height, index: 0, ptsMs: 0 };
  console.log(`frame 1280x720, ${rounds} rounds, node ${process.version}, load ${loadavg()[0].toFixed(2)}`);

  const subjects = [];
  for (const [name, sessionOptions] of CONFIGS.filter(([n]) => !only || only.some((o) => n.includes(o)))) {
    const plugins = new PluginRegistry([new PaddleOcrPlugin({ sessionOptions }), new ImageStatsPlugin()]);
    const runner = new InProcessPipelineRunner(PipelineRegistry.fromDirectories(plugins), plugins);
    await runner.init(['ocr']);
    for (let i = 0; i < 2; i++) await runner.run('ocr', input);
    subjects.push({ name, runner, nodes: {} as Record<string, number[]>, cpu: [] as number[] });
  }
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 === 0 ? subjects : [...subjects].reverse()) {
      const f = new FrameImage(input);
      await f.rgb();
      const c0 = process.cpuUsage();
      const { timings_ms } = await s.runner.run('ocr', f);
      const c = process.cpuUsage(c0);
      s.cpu.push((c.user + c.system) / 1000);
      for (const [node, ms] of Object.entries(timings_ms)) (s.nodes[node] ??= []).push(ms);
    }
  }
  const f = (x: number) => x.toFixed(1).padStart(6);
  console.log('config                        | detect (det)  | angle (cls)   | read (rec)    | cpu ms');
  console.log('                              | median   min  | median   min  | median   min  | median');
  for (const s of subjects) {
    await s.runner.close();
    const col = (xs: number[]) => `${f(median(xs))} ${f(Math.min(...xs))}`;
    console.log(
      `${s.name.padEnd(29)} | ${col(s.nodes['detect'])} | ${col(s.nodes['angle'])} | ${col(s.nodes['read'])} | ${f(median(s.cpu))}`,
    );
  }
  console.log(`load after: ${loadavg()[0].toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
