import { submitParamsSchema } from '@framewire/contracts';
import { loadIntakeConfig } from '../config';
import { samplingRequest, withDefaults } from './submit.service';

describe('the seed route defaults (POST /v1/video/submit)', () => {
  const defaults = { pipeline_id: 'text_regions' };

  it('applies FW_DEFAULT_SAMPLE_FPS only to an upload that chose no sampling of its own', () => {
    expect(withDefaults({}, defaults, 2)).toEqual({ pipeline_id: 'text_regions', sample_fps: '2' });
    expect(withDefaults({ frame_stride: '10' }, defaults, 2)).toEqual({ pipeline_id: 'text_regions', frame_stride: '10' });
    expect(withDefaults({ sample_fps: '0.5', pipeline_id: 'ocr' }, defaults, 2)).toEqual({ pipeline_id: 'ocr', sample_fps: '0.5' });
    expect(withDefaults({ sample: 'keyframes' }, defaults, 2)).toEqual({ pipeline_id: 'text_regions', sample: 'keyframes' });
    expect(withDefaults({ start_ms: '1000' }, defaults, null)).toEqual({ pipeline_id: 'text_regions', start_ms: '1000' });
  });

  it('gives params the limits and the extractor read as sampling by time over a range', () => {
    const params = submitParamsSchema.parse(withDefaults({ start_ms: '1000', end_ms: '4000' }, defaults, 2));
    expect(samplingRequest(params)).toEqual({
      frameStride: 1,
      maxFrames: null,
      sampleFps: 2,
      startMs: 1000,
      endMs: 4000,
      sample: 'frames',
    });
  });

  it('reads FW_DEFAULT_SAMPLE_FPS: off by default, a rate, or a refusal', () => {
    expect(loadIntakeConfig({}).defaultSampleFps).toBeNull();
    expect(loadIntakeConfig({ FW_DEFAULT_SAMPLE_FPS: '0.5' }).defaultSampleFps).toBe(0.5);
    expect(loadIntakeConfig({ FW_DEFAULT_SAMPLE_FPS: 'off' }).defaultSampleFps).toBeNull();
    for (const bad of ['0', '500', 'fast', '-1'])
      expect(() => loadIntakeConfig({ FW_DEFAULT_SAMPLE_FPS: bad })).toThrow(/FW_DEFAULT_SAMPLE_FPS/);
  });
});
