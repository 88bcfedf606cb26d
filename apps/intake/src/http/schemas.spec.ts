import type { JobRecord } from '@framewire/persistence';
import { workerEntry, liveWorkers } from '@framewire/messaging';
import { jobMetricsView, jobView, legacyStatusView, resultView } from '../jobs/views';
import { workerListView } from '../workers/workers.service';
import { componentSchemas, frameResultSchema, jobMetricsReportSchema, jobSchema, legacyStatusSchema, workerListSchema } from './schemas';

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
  video: { duration_ms: 1000, fps: 30, width: 320, height: 240, codec: 'h264', frame_count: 30 },
  frames_total: 5,
  frames_done: 5,
  frames_failed: 0,
  inference_ms: 412.5,
  error_code: null,
  error_message: null,
  idempotency_key: null,
  client_tag: 'x',
  retention_days: 30,
  created_at: new Date('2026-01-01T00:00:00Z'),
  started_at: new Date('2026-01-01T00:00:01Z'),
  extracted_at: new Date('2026-01-01T00:00:02Z'),
  finished_at: new Date('2026-01-01T00:00:03Z'),
  updated_at: new Date('2026-01-01T00:00:03Z'),
};

describe('OpenAPI schemas', () => {
  it('describe exactly what the views return', () => {
    expect(jobSchema.strict().parse(jobView(job))).toEqual(jobView(job));
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
      ]),
    );
    expect(JSON.stringify(schemas.JobPage)).toContain('"$ref":"#/components/schemas/Job"');
    expect(JSON.stringify(schemas.Job)).toContain('"$ref":"#/components/schemas/JobMetrics"');
    expect(JSON.stringify(schemas.WorkerList)).toContain('"$ref":"#/components/schemas/Worker"');
    expect(JSON.stringify(schemas.FrameResult)).toContain('"$ref":"#/components/schemas/FrameGeometry"');
    expect(JSON.stringify(schemas)).not.toContain('"$id"');
  });
});
