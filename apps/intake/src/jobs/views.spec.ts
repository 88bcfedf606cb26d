import { jobRecord } from './job-record.fixture';
import { jobView, legacyStatus, legacyStatusView, progressFraction } from './views';

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
});
