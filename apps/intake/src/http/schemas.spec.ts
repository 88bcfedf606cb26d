import type { JobRecord } from '@framewire/persistence';
import { workerEntry, liveWorkers } from '@framewire/messaging';
import { jobDetailView, jobMetricsView, jobView, legacyStatusView, resultView } from '../jobs/views';
import { workerListView } from '../workers/workers.service';
import {
  componentSchemas,
  frameResultSchema,
  frameStatsDocSchema,
  jobMetricsReportSchema,
  jobSchema,
  legacyStatusSchema,
  textLinesOutputDocSchema,
  textRegionsOutputDocSchema,
  tracksPageSchema,
  workerListSchema,
} from './schemas';

const job: JobRecord = {
  id: '0b7e6f3e-4a53-4c38-9a4b-1f2d3c4e5f60',
  status: 'completed',
  pipeline_id: 'text_regions',
  pipeline_version: '1.0.0',
  models: [{ name: 'det', sha256: 'ab' }],
  input_key: 'inputs/x/video',
  input_size: 1000,
  input_sha256: 'ab',
  frame_stride: 2,
  max_frames: 5,
  sample_fps: null,
  sample: 'frames',
  keyframe_count: null,
  start_ms: 0,
  end_ms: 1000,
  video: { duration_ms: 1000, fps: 30, width: 320, height: 240, codec: 'h264', frame_count: 30 },
  frames_total: 5,
  frames_done: 5,
  frames_failed: 0,
  reuse: true,
  frames_reused: 0,
  inference_ms: 412.5,
  error_code: null,
  error_message: null,
  idempotency_key: null,
  client_tag: 'x',
  retention_days: 30,
  callback_url: null,
  created_at: new Date('2026-01-01T00:00:00Z'),
  started_at: new Date('2026-01-01T00:00:01Z'),
  extracted_at: new Date('2026-01-01T00:00:02Z'),
  finished_at: new Date('2026-01-01T00:00:03Z'),
  updated_at: new Date('2026-01-01T00:00:03Z'),
};

describe('OpenAPI schemas', () => {
  it('describe exactly what the views return', () => {
    expect(jobSchema.strict().parse(jobView(job))).toEqual(jobView(job));
    const hooked = { ...job, callback_url: 'https://hooks.example.com/fw' };
    const detail = jobDetailView(hooked, [
      {
        id: 1,
        job_id: job.id,
        event: 'completed',
        attempt: 1,
        at: new Date('2026-01-01T00:00:04Z'),
        outcome: 'failed',
        http_status: 500,
        error: 'HTTP 500',
        duration_ms: 12,
      },
    ]);
    expect(jobSchema.strict().parse(detail)).toEqual(detail);
    expect(detail.webhook).toEqual({
      url: 'https://hooks.example.com/fw',
      deliveries: [
        {
          event: 'completed',
          attempt: 1,
          at: '2026-01-01T00:00:04.000Z',
          outcome: 'failed',
          http_status: 500,
          error: 'HTTP 500',
          duration_ms: 12,
        },
      ],
    });
    expect(jobDetailView(job, []).webhook).toBeNull();
    expect(
      jobSchema.parse(jobView({ ...job, status: 'pending', video: null, frames_total: null, started_at: null, finished_at: null })),
    ).toBeTruthy();
    expect(legacyStatusSchema.strict().parse(legacyStatusView(job))).toEqual(legacyStatusView(job));
    const row = {
      job_id: job.id,
      frame_index: 0,
      pts_ms: 0,
      result: { detect: { regions: [] } },
      error: null,
      timings_ms: {},
      worker_id: 'w',
      geometry: { analysed: { width: 1920, height: 1080 }, source: { width: 3840, height: 2160 } },
      reused_from: null,
      created_at: new Date(),
      updated_at: new Date(),
    };
    expect(frameResultSchema.strict().parse(resultView(row))).toEqual(resultView(row));
    expect(frameResultSchema.strict().parse(resultView({ ...row, geometry: null }))).toEqual(resultView({ ...row, geometry: null }));
    expect(jobMetricsReportSchema.strict().parse(jobMetricsView(job))).toEqual(jobMetricsView(job));
    const pending = { ...job, status: 'pending' as const, frames_total: null, started_at: null, extracted_at: null, finished_at: null };
    expect(jobMetricsReportSchema.parse(jobMetricsView(pending))).toEqual(jobMetricsView(pending));
    const now = Date.now();
    const activity = {
      started_at: new Date(now - 5000).toISOString(),
      uptime_s: 5,
      jobs_processed: 1,
      jobs_failed: 0,
      frames_processed: 4,
      frames_failed: 0,
      messages_handled: 5,
      redeliveries: 0,
      in_flight: 0,
    };
    const entry = workerEntry(
      { workerId: 'inference-a', stage: 'inference', host: 'h', pid: 7, version: '0.1.0' },
      activity,
      new Date(now),
    );
    const list = workerListView(liveWorkers([entry], now + 10, 15_000), 15_000);
    expect(workerListSchema.strict().parse(list)).toEqual(list);
  });

  it("describe a result's every output shape, and a tracks page", () => {
    const located = {
      polygon: [
        [10, 20],
        [110, 20],
        [110, 40],
        [10, 40],
      ],
      bbox: { x: 10, y: 20, width: 100, height: 20 },
      polygon_norm: [
        [0.03125, 0.0833],
        [0.3438, 0.0833],
        [0.3438, 0.1667],
        [0.03125, 0.1667],
      ],
      bbox_norm: { x: 0.03125, y: 0.0833, width: 0.3125, height: 0.0833 },
    };
    const result = {
      detect: { regions: [{ ...located, score: 0.9, angle: 180, angle_score: 0.99 }] },
      read: { lines: [{ ...located, text: 'FRAMEWIRE', confidence: 0.97, det_score: 0.9 }] },
      stats: {
        width: 320,
        height: 240,
        brightness: 0.5,
        contrast: 0.1,
        sharpness: 3,
        entropy: 5,
        dominant_colours: [{ hex: '#000000', rgb: [0, 0, 0], share: 0.5 }],
      },
      plugin: { labels: ['cat'] },
      scalar: 3,
    };
    const geometry = { analysed: { width: 320, height: 240 }, source: { width: 320, height: 240 } };
    const row = {
      job_id: job.id,
      frame_index: 0,
      pts_ms: 0,
      result,
      error: null,
      timings_ms: {},
      worker_id: 'w',
      geometry,
      reused_from: null,
    };
    const view = resultView({ ...row, created_at: new Date(), updated_at: new Date() });
    expect(frameResultSchema.strict().parse(view)).toEqual(view);
    // Each built-in output is its own shape (not only the free-form one that takes anything).
    expect(textRegionsOutputDocSchema.strict().parse(result.detect)).toEqual(result.detect);
    expect(textLinesOutputDocSchema.strict().parse(result.read)).toEqual(result.read);
    expect(frameStatsDocSchema.strict().parse(result.stats)).toEqual(result.stats);
    expect(textLinesOutputDocSchema.safeParse({ lines: [{ ...located, confidence: 1, det_score: 1 }] }).success).toBe(false);

    const box = { frame_index: 0, pts_ms: 0, ...located, text: 'FRAMEWIRE', score: 0.97 };
    const page = {
      job_id: job.id,
      status: 'running',
      final: false,
      items: [
        {
          track_index: 0,
          output: 'read',
          kind: 'text',
          text: 'FRAMEWIRE',
          confidence: 0.97,
          start_ms: 0,
          end_ms: 500,
          first_frame: 0,
          last_frame: 0,
          frame_count: 1,
          bbox: located.bbox,
          bbox_norm: located.bbox_norm,
          boxes: [box],
        },
      ],
      next_cursor: null,
    };
    expect(tracksPageSchema.strict().parse(page)).toEqual(page);
  });

  it('become OpenAPI 3.0 components that refer to each other', () => {
    const schemas = componentSchemas();
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        'Job',
        'JobPage',
        'ResultsPage',
        'FrameResult',
        'FrameGeometry',
        'Problem',
        'JobEvent',
        'VideoMetadata',
        'JobMetrics',
        'JobMetricsReport',
        'Worker',
        'WorkerList',
        'NodeOutput',
        'TextTrack',
        'TracksPage',
      ]),
    );
    expect(JSON.stringify(schemas.JobPage)).toContain('"$ref":"#/components/schemas/Job"');
    expect(JSON.stringify(schemas.Job)).toContain('"$ref":"#/components/schemas/JobMetrics"');
    expect(JSON.stringify(schemas.WorkerList)).toContain('"$ref":"#/components/schemas/Worker"');
    expect(JSON.stringify(schemas.FrameResult)).toContain('"$ref":"#/components/schemas/FrameGeometry"');
    expect(JSON.stringify(schemas)).not.toContain('"$id"');
  });
});
