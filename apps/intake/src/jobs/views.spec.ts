import { jobRecord } from './job-record.fixture';
import { jobMetrics, jobMetricsView, jobView, legacyStatus, legacyStatusView, progressFraction } from './views';

const job = jobRecord;

describe('job views', () => {
  it('reports progress as 0 until the total is known, then done+failed over total', () => {
    expect(progressFraction(job())).toBe(0);
    expect(progressFraction(job({ frames_total: 10, frames_done: 3, frames_failed: 1 }))).toBeCloseTo(0.4);
    expect(progressFraction(job({ status: 'completed', frames_total: 0 }))).toBe(1);
    expect(progressFraction(job({ frames_total: 0 }))).toBe(0);
  });

  it('derives queue and processing times from the timestamps', () => {
    const v = jobView(
      job({
        status: 'completed',
        started_at: new Date('2026-01-01T00:00:00.250Z'),
        finished_at: new Date('2026-01-01T00:00:02.250Z'),
        frames_total: 4,
        frames_done: 4,
      }),
    );
    expect(v.timings).toMatchObject({ queue_ms: 250, processing_ms: 2000 });
    expect(v.progress).toEqual({ frames_done: 4, frames_failed: 0, frames_total: 4, fraction: 1 });
    expect(v.error).toBeNull();
  });

  it('shows the error of a failed job', () => {
    expect(jobView(job({ status: 'failed', error_code: 'INVALID_VIDEO', error_message: 'file is not a video' })).error).toEqual({
      code: 'INVALID_VIDEO',
      message: 'file is not a video',
    });
  });

  it('keeps the original four statuses for legacy clients', () => {
    expect(legacyStatus('cancelled')).toBe('failed');
    expect(legacyStatus('pending')).toBe('pending');
    expect(Object.keys(legacyStatusView(job()))).toEqual(['job_id', 'status', 'progress', 'created_at', 'updated_at']);
  });

  it('measures a finished job stage by stage: queue, extraction, inference, processing, end to end, frames per second', () => {
    const done = job({
      status: 'completed',
      created_at: new Date('2026-01-01T00:00:00.000Z'),
      started_at: new Date('2026-01-01T00:00:00.250Z'),
      extracted_at: new Date('2026-01-01T00:00:01.250Z'),
      finished_at: new Date('2026-01-01T00:00:04.250Z'),
      frames_total: 10,
      frames_done: 9,
      frames_failed: 1,
      inference_ms: 1234.5678,
    });
    expect(jobMetrics(done)).toEqual({
      queue_ms: 250,
      extraction_ms: 1000,
      inference_ms: 1234.568,
      mean_frame_ms: 123.457,
      processing_ms: 4000,
      end_to_end_ms: 4250,
      frames_per_second: 2.25,
      frame_count: 10,
      frames_done: 9,
      frames_failed: 1,
      frames_reused: 0,
      error: null,
    });
    expect(jobView(done).metrics).toEqual(jobMetrics(done));
    expect(jobMetricsView(done)).toMatchObject({ job_id: done.id, status: 'completed', processing_ms: 4000 });
  });

  it('leaves unknown durations null while a job runs, and shows a failed job’s error', () => {
    expect(jobMetrics(job())).toMatchObject({
      queue_ms: null,
      extraction_ms: null,
      inference_ms: 0,
      mean_frame_ms: null,
      processing_ms: null,
      end_to_end_ms: null,
      frames_per_second: null,
      frame_count: null,
    });
    const running = jobMetrics(job({ started_at: new Date('2026-01-01T00:00:00.500Z'), frames_done: 2, inference_ms: 30 }));
    expect(running).toMatchObject({ queue_ms: 500, extraction_ms: null, inference_ms: 30, mean_frame_ms: 15, frames_per_second: null });
    const failed = jobMetrics(
      job({
        status: 'failed',
        started_at: new Date('2026-01-01T00:00:00.100Z'),
        finished_at: new Date('2026-01-01T00:00:00.100Z'),
        error_code: 'INVALID_VIDEO',
        error_message: 'moov atom not found',
      }),
    );
    // It took no measurable time: no rate rather than a division by zero.
    expect(failed).toMatchObject({
      processing_ms: 0,
      frames_per_second: null,
      error: { code: 'INVALID_VIDEO', message: 'moov atom not found' },
    });
  });
});
