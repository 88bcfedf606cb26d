/**
 * The peer of bench/peer.ts in its own process: @gutenye/ocr-node (ESM only),
 * as its README uses it, in a frame loop over the JPEGs of a directory (in
 * name order). Models are loaded and one frame is read before timing starts.
 *
 *   node bench/peer-worker.mjs <dir>
 *
 * Prints `RESULT {"frames", "wallMs", "cpuMs", "texts": [[line, …] per frame]}`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ocr from '@gutenye/ocr-node';

const dir = process.argv[2];
const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
const jpegs = await Promise.all(files.map((f) => readFile(join(dir, f))));
const ocr = await Ocr.create();
await ocr.detect(jpegs[0]);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const texts = [];
for (const jpeg of jpegs) {
  const lines = await ocr.detect(jpeg);
  texts.push(lines.map((l) => l.text));
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`RESULT ${JSON.stringify({ frames: jpegs.length, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, texts })}\n`);
