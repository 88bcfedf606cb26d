import { processCores } from '@framewire/runtime';
import { loadInferenceConfig } from './config';

describe('inference: CPU-bound defaults', () => {
  const cores = processCores();

  it('inference runs one frame at once per core of the replica unless FW_INFER_CONCURRENCY says otherwise', () => {
    expect(loadInferenceConfig({}).concurrency).toBe(Math.min(64, cores));
    expect(loadInferenceConfig({}).replicaCores).toBe(cores);
    expect(loadInferenceConfig({ FW_INFER_CONCURRENCY: '3' }).concurrency).toBe(3);
    expect(() => loadInferenceConfig({ FW_INFER_CONCURRENCY: '0' })).toThrow(/FW_INFER_CONCURRENCY: must be >= 1/);
  });

  it('replicas a supervisor starts on one host share its cores out', () => {
    expect(loadInferenceConfig({ FW_REPLICAS_PER_HOST: '2' }).concurrency).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(loadInferenceConfig({ FW_REPLICAS_PER_HOST: String(cores * 4) }).concurrency).toBe(1);
    expect(() => loadInferenceConfig({ FW_REPLICAS_PER_HOST: '-1' })).toThrow(/FW_REPLICAS_PER_HOST/);
  });
});
