import { processCores } from '@framewire/runtime';
import { loadExtractorConfig } from './config';

describe('extractor: CPU-bound defaults', () => {
  const cores = processCores();
  it('the extractor decodes at least two videos at once (a small job passes a huge one), more on more cores', () => {
    expect(loadExtractorConfig({}).concurrency).toBe(Math.min(64, Math.max(2, cores)));
    expect(loadExtractorConfig({ FW_REPLICAS_PER_HOST: String(cores * 4) }).concurrency).toBe(2);
    expect(loadExtractorConfig({ FW_EXTRACT_CONCURRENCY: '1' }).concurrency).toBe(1);
  });
});
