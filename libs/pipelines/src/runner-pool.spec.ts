import { DomainError } from '@framewire/contracts';
import { renderTextFrame } from '../test-support/render-text';
import { InProcessPipelineRunner } from './runner';
import { ThreadPoolPipelineRunner } from './runner-pool';
import { createPipelineRuntime } from './runtime';

describe('ThreadPoolPipelineRunner', () => {
  jest.setTimeout(60_000);

  it('runs frames on worker threads with the same results as InProcessPipelineRunner, and maps frame failures', async () => {
    const frame = await renderTextFrame(320, 180, [{ text: 'POOL', left: 20, top: 40, size: 40 }], { quality: 85 });
    const input = { jpeg: frame.jpeg, width: frame.width, height: frame.height, index: 3, ptsMs: 100 };
    const { runner } = createPipelineRuntime();
    const { runner: pool } = createPipelineRuntime({ workers: 2 });
    try {
      expect(runner).toBeInstanceOf(InProcessPipelineRunner);
      expect(pool).toBeInstanceOf(ThreadPoolPipelineRunner);
      await pool.init(['frame_stats']);
      expect((pool as ThreadPoolPipelineRunner).size).toBe(2);
      expect(pool.pipelineIds()).toContain('frame_stats');
      expect(pool.versionInfo('frame_stats')).toEqual(expect.objectContaining({ id: 'frame_stats' }));
      const expected = await runner.run('frame_stats', input);
      const got = await Promise.all([1, 2, 3, 4].map(() => pool.run('frame_stats', input)));
      for (const g of got) expect(g.result).toEqual(expected.result);
      // An undecodable frame is a FRAME_FAILED DomainError, as from InProcessPipelineRunner.
      const bad = { ...input, jpeg: Buffer.from('not a jpeg') };
      await expect(pool.run('frame_stats', bad)).rejects.toEqual(expect.objectContaining({ code: 'FRAME_FAILED' }));
      await expect(pool.run('frame_stats', bad)).rejects.toBeInstanceOf(DomainError);
    } finally {
      await pool.close();
      await runner.close();
    }
  });
});
