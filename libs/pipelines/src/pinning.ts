/**
 * Pinning: what a job records so that its results can be traced to exactly
 * what produced them — the pipeline version and the sha256 of every model
 * file its tools read. The files are named statically by the tools
 * (`Tool.modelFiles`), so pinning never loads a model; each file is hashed
 * once per process and the hash kept.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { CompiledPipeline } from './definition';
import type { ModelRef } from './plugin';

export interface PipelinePin {
  id: string;
  version: string;
  models: ModelRef[];
}

/** sha256 of files, computed once per path (concurrent callers share the work; a failure is not cached). */
export class ModelFileHasher {
  private readonly cache = new Map<string, Promise<ModelRef>>();

  hash(path: string): Promise<ModelRef> {
    let hit = this.cache.get(path);
    if (!hit) {
      hit = sha256File(path).then(
        (sha256) => ({ name: basename(path), sha256 }),
        (err: unknown) => {
          this.cache.delete(path);
          throw new Error(`cannot hash model file ${path}: ${(err as Error).message}`, { cause: err });
        },
      );
      this.cache.set(path, hit);
    }
    return hit;
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every file the pipeline's tools read, in node order, each once. */
export function pipelineModelFiles(pipeline: CompiledPipeline): string[] {
  const files = new Set<string>();
  for (const node of pipeline.order) for (const f of node.impl.modelFiles?.() ?? []) files.add(f);
  return [...files];
}

/** The pipeline's version and the hash of every model file it uses. */
export async function pinPipeline(pipeline: CompiledPipeline, hasher: ModelFileHasher): Promise<PipelinePin> {
  const models = await Promise.all(pipelineModelFiles(pipeline).map((f) => hasher.hash(f)));
  return { id: pipeline.definition.id, version: pipeline.definition.version, models };
}
