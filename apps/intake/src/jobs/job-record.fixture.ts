import type { JobRecord } from '@framewire/persistence';

export const FIXTURE_JOB_ID = '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60';

/** A running job record for unit tests of the API's views and mappers. */
export function jobRecord(over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: FIXTURE_JOB_ID,
    status: 'running',
    pipeline_id: 'text_regions',
    pipeline_version: '1.0.0',
    models: null,
    input_key: 'inputs/x/video',
    input_size: 1000,
    input_sha256: 'ab',
    frame_stride: 2,
    max_frames: null,
    sample_fps: null,
    start_ms: null,
    end_ms: null,
    sample: 'frames',
    keyframe_count: null,
    video: null,
    frames_total: null,
    frames_done: 0,
    frames_failed: 0,
    reuse: true,
    frames_reused: 0,
    inference_ms: 0,
    error_code: null,
    error_message: null,
    idempotency_key: null,
    client_tag: null,
    retention_days: null,
    callback_url: null,
    created_at: new Date('2026-01-01T00:00:00Z'),
    started_at: null,
    extracted_at: null,
    finished_at: null,
    updated_at: new Date('2026-01-01T00:00:01Z'),
    ...over,
  };
}
