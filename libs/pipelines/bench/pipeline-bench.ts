/**
 * Per-node cost of the shipped pipelines on a 720p frame, as the inference
 * stage runs them (sessions created once, options from DEFAULT_ONNX_SESSION_OPTIONS
 * unless FW_ONNX_THREADS is set):
 *
 *   npx ts-node -r tsconfig-paths/register --transpile-only libs/pipelines/bench/pipeline-bench.ts [rounds]
 *
 * Each round runs `ocr` and `frame_stats` on a fresh FrameImage whose JPEG was
 * already decoded (so node times exclude the decode), and times the decode on
 * its own. Prints median and min ms per node; load average before and after,
 * since other processes on the machine skew every figure.
 */
import { loadavg } from 'node:os';
import { FrameImage, PipelineRegistry, InProcessPipelineRunner, builtinPlugins, PluginRegistry } from '@framewire/pipelines';
import { BENCH_TEXTS, renderTextFrame } from '../test-support/render-text';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 20);
  const threads = Number(process.env.FW_ONNX_THREADS ?? 0);
  const frame = await renderTextFrame(1280, 720, BENCH_TEXTS, { background: 'texture', quality: 85 });
  const input = { jpeg: frame.jpeg, width: frame.width, height: frame.height, index: 0, ptsMs: 0 };
  const plugins = new PluginRegistry(builtinPlugins({ paddleocr: threads > 0 ? { sessionOptions: { intraOpNumThreads: threads } } : {} }));
  const runner = new InProcessPipelineRunner(PipelineRegistry.fromDirectories(plugins), plugins);
  const t0 = performance.now();
  await runner.init(['ocr', 'frame_stats']);
  console.log(
    `frame 1280x720 JPEG ${frame.jpeg.length} bytes, ${rounds} rounds, node ${process.version}, models loaded in ${Math.round(performance.now() - t0)} ms, load ${loadavg()[0].toFixed(2)}`,
  );

  const times: Record<string, number[]> = {};
  const add = (k: string, v: number) => (times[k] ??= []).push(v);
  let lines: unknown;
  for (let r = -3; r < rounds; r++) {
    const f = new FrameImage(input);
    const d0 = performance.now();
    await f.rgb();
    const decode = performance.now() - d0;
    const ocr = await runner.run('ocr', f);
    const stats = await runner.run('frame_stats', f); // the same FrameImage: already decoded
    // Whole pipelines as production runs them: decode included in the first node.
    const w0 = performance.now();
    await runner.run('ocr', new FrameImage(input));
    const ocrTotal = performance.now() - w0;
    const s0 = performance.now();
    await runner.run('frame_stats', new FrameImage(input));
    const statsTotal = performance.now() - s0;
    if (r < 0) continue; // warm-up
    add('decode (JPEG → RGB, sharp)', decode);
    for (const [node, ms] of Object.entries(ocr.timings_ms)) add(`ocr/${node}`, ms);
    for (const [node, ms] of Object.entries(stats.timings_ms)) add(`frame_stats/${node}`, ms);
    add('ocr, whole frame (decode included)', ocrTotal);
    add('frame_stats, whole frame (decode included)', statsTotal);
    lines = ocr.result['read'];
  }
  await runner.close();
  console.log('what                                        | median ms |  min ms');
  for (const [k, xs] of Object.entries(times)) {
    console.log(
      `${k.padEnd(43)} | ${median(xs).toFixed(1).padStart(9)} | ${Math.min(...xs)
        .toFixed(1)
        .padStart(7)}`,
    );
  }
  console.log('text read:', JSON.stringify((lines as { lines: Array<{ text: string }> }).lines.map((l) => l.text)));
  console.log(`load after: ${loadavg()[0].toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
