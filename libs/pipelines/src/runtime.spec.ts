import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@framewire/runtime';
import { PIPELINE_CONFIG } from './config';
import { InProcessPipelineRunner } from './runner';
import { ThreadPoolPipelineRunner } from './runner-pool';
import { createPipelineRuntime, sessionThreads } from './runtime';

describe('sessionThreads', () => {
  it('takes FW_ONNX_THREADS when set, else shares the cores out between workers, else leaves the default', () => {
    expect(sessionThreads(3, 1, 8)).toBe(3);
    expect(sessionThreads(3, 4, 8)).toBe(3);
    expect(sessionThreads(0, 4, 8)).toBe(2);
    expect(sessionThreads(undefined, 3, 8)).toBe(2);
    expect(sessionThreads(0, 8, 2)).toBe(1);
    expect(sessionThreads(0, 1, 8)).toBeUndefined();
    expect(sessionThreads(undefined, 1, 8)).toBeUndefined();
  });
});

describe('PIPELINE_CONFIG', () => {
  it('reads the pipeline variables, splitting the directory lists', () => {
    expect(loadConfig(PIPELINE_CONFIG, {})).toEqual({ modelDir: undefined, pipelineDirs: [], pluginDirs: [], onnxThreads: 0 });
    expect(
      loadConfig(PIPELINE_CONFIG, { FW_MODEL_DIR: '/m', FW_PIPELINE_DIRS: '/a, /b', FW_PLUGIN_DIRS: '/p', FW_ONNX_THREADS: '2' }),
    ).toEqual({ modelDir: '/m', pipelineDirs: ['/a', '/b'], pluginDirs: ['/p'], onnxThreads: 2 });
  });

  it('names a bad variable', () => {
    expect(() => loadConfig(PIPELINE_CONFIG, { FW_ONNX_THREADS: 'many' })).toThrow(/FW_ONNX_THREADS/);
  });
});

describe('createPipelineRuntime', () => {
  it('builds the built-in pipelines with an in-process runner for one worker and a thread pool for more', async () => {
    const one = createPipelineRuntime();
    expect(one.pipelines.ids()).toEqual(expect.arrayContaining(['ocr', 'text_regions', 'frame_stats']));
    expect(one.runner).toBeInstanceOf(InProcessPipelineRunner);
    expect(one.runner.pipelineIds()).toEqual(one.pipelines.ids());
    const pool = createPipelineRuntime({ workers: 3 });
    expect(pool.runner).toBeInstanceOf(ThreadPoolPipelineRunner);
    expect(pool.runner.pipelineIds()).toEqual(one.pipelines.ids());
    await Promise.all([one.runner.close(), pool.runner.close()]); // nothing started: nothing to wait for
  });

  it('adds the definitions of FW_PIPELINE_DIRS and refuses a bad worker count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-runtime-'));
    try {
      const definition = {
        id: 'stats_only',
        name: 'stats only',
        version: '1.0.0',
        nodes: [{ id: 'stats', plugin: 'image_stats', tool: 'frame_stats' }],
        edges: [],
        entry: ['stats'],
        outputs: ['stats'],
      };
      writeFileSync(join(dir, 'stats_only.json'), JSON.stringify(definition));
      const { pipelines } = createPipelineRuntime(loadConfig(PIPELINE_CONFIG, { FW_PIPELINE_DIRS: dir }));
      expect(pipelines.has('stats_only')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => createPipelineRuntime({ workers: 0 })).toThrow(/workers/);
  });
});
