import { effectivePatch } from './projection';
import type { JobProjectionState } from '@framewire/persistence';

const state: JobProjectionState = {
  status: 'running',
  video: { duration_ms: 1000, fps: 25, width: 640, height: 360, codec: 'h264', frame_count: 25 },
  frames_total: null,
  frames_done: 0,
  frames_failed: 0,
  frames_reused: 0,
  error_code: null,
  error_message: null,
  started_at: new Date('2026-01-01T00:00:00Z'),
  extracted_at: null,
  finished_at: null,
};

describe('effectivePatch', () => {
  it('drops entries equal to the state (dates by value, video by fields)', () => {
    expect(
      effectivePatch(state, {
        status: 'running',
        started_at: new Date('2026-01-01T00:00:00Z'),
        video: { ...state.video! },
        frames_done: 0,
      }),
    ).toEqual({});
  });

  it('keeps real changes', () => {
    expect(effectivePatch(state, { frames_total: 3, video: { ...state.video!, fps: 30 }, frames_done: 0 })).toEqual({
      frames_total: 3,
      video: { ...state.video!, fps: 30 },
    });
  });
});
