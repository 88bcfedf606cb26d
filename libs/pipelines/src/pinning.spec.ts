import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPlugins } from './builtin';
import { PluginRegistry } from './plugin';
import { ModelFileHasher, pinPipeline, pipelineModelFiles } from './pinning';
import { PADDLEOCR_MODEL_FILES } from './plugins/paddleocr/models';
import { PipelineRegistry } from './registry';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('pinning', () => {
  let dir: string;
  beforeAll(() => {
    // Stand-ins for the model files: pinning hashes them and never loads them.
    dir = mkdtempSync(join(tmpdir(), 'fw-models-'));
    for (const f of Object.values(PADDLEOCR_MODEL_FILES)) writeFileSync(join(dir, f), `contents of ${f}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const registry = () => PipelineRegistry.fromDirectories(new PluginRegistry(builtinPlugins({ paddleocr: { modelDir: dir } })));

  it('names every file each shipped pipeline reads, without loading anything', () => {
    const reg = registry();
    expect(pipelineModelFiles(reg.get('ocr'))).toEqual([
      join(dir, PADDLEOCR_MODEL_FILES.det),
      join(dir, PADDLEOCR_MODEL_FILES.cls),
      join(dir, PADDLEOCR_MODEL_FILES.rec),
      join(dir, PADDLEOCR_MODEL_FILES.keys),
    ]);
    expect(pipelineModelFiles(reg.get('text_regions'))).toEqual([join(dir, PADDLEOCR_MODEL_FILES.det)]);
    expect(pipelineModelFiles(reg.get('frame_stats'))).toEqual([]);
  });

  it('pins the pipeline version and the sha256 of each file', async () => {
    const reg = registry();
    expect(await pinPipeline(reg.get('ocr'), new ModelFileHasher())).toEqual({
      id: 'ocr',
      version: '2.0.0',
      models: [PADDLEOCR_MODEL_FILES.det, PADDLEOCR_MODEL_FILES.cls, PADDLEOCR_MODEL_FILES.rec, PADDLEOCR_MODEL_FILES.keys].map((name) => ({
        name,
        sha256: sha(`contents of ${name}`),
      })),
    });
    expect(await pinPipeline(reg.get('frame_stats'), new ModelFileHasher())).toEqual({ id: 'frame_stats', version: '1.0.0', models: [] });
  });

  it('hashes each file once, and names a file it cannot read', async () => {
    const hasher = new ModelFileHasher();
    const path = join(dir, 'once.bin');
    writeFileSync(path, 'first');
    const first = await hasher.hash(path);
    writeFileSync(path, 'second');
    expect(await hasher.hash(path)).toEqual(first);
    expect(first).toEqual({ name: 'once.bin', sha256: sha('first') });
    await expect(hasher.hash(join(dir, 'missing.onnx'))).rejects.toThrow(`cannot hash model file ${join(dir, 'missing.onnx')}: ENOENT`);
  });
});
