import { parseExposition } from '../../../test/support/prometheus';
import { Metrics } from './metrics';

/** The value of `name{labels}` in an exposition (labels as written in the selector, any order). */
function value(text: string, series: string): number | undefined {
  const [, name, labels = ''] = /^([^{]+)(?:\{(.*)\})?$/.exec(series) ?? [];
  const want = Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const hit = parseExposition(text).find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(want).length &&
      Object.entries(want).every(([k, v]) => s.labels[k] === v),
  );
  return hit?.value;
}

describe('Metrics', () => {
  it('counts messages by outcome, redeliveries, frames and distinct jobs, and exposes them with the stage label', async () => {
    const m = new Metrics('inference', { defaultMetrics: false });
    m.started('inference', 1);
    m.settled('inference', 'ack', 0.02, 'job-a', 1);
    m.started('inference', 1);
    m.settled('inference', 'ack', 0.03, 'job-a', 1);
    m.started('inference', 2); // a retry
    m.settled('inference', 'nak', 0.01, 'job-b', 1);
    m.started('inference', 3);
    m.settled('inference', 'dead', 0.01, 'job-b', 1);
    m.nodeTimings('ocr', { det: 120, rec: 30.5 });

    const { body, contentType } = await m.expose();
    expect(contentType).toContain('text/plain');
    expect(value(body, 'framewire_messages_total{consumer="inference",outcome="ack",stage="inference"}')).toBe(2);
    expect(value(body, 'framewire_messages_total{consumer="inference",outcome="dead",stage="inference"}')).toBe(1);
    expect(value(body, 'framewire_redeliveries_total{consumer="inference",stage="inference"}')).toBe(2);
    expect(value(body, 'framewire_frames_processed_total{stage="inference"}')).toBe(2);
    expect(value(body, 'framewire_frames_failed_total{stage="inference"}')).toBe(1); // the nak is not a failure yet
    expect(value(body, 'framewire_jobs_processed_total{stage="inference"}')).toBe(1); // job-a once, however many frames
    expect(value(body, 'framewire_jobs_failed_total{stage="inference"}')).toBe(1);
    expect(value(body, 'framewire_messages_in_flight{consumer="inference",stage="inference"}')).toBe(0);
    expect(value(body, 'framewire_node_duration_seconds_count{pipeline="ocr",node="det",stage="inference"}')).toBe(1);
    expect(value(body, 'framewire_node_duration_seconds_bucket{le="0.25",pipeline="ocr",node="det",stage="inference"}')).toBe(1);
    expect(value(body, 'framewire_node_duration_seconds_bucket{le="0.1",pipeline="ocr",node="det",stage="inference"}')).toBe(0);
    expect(value(body, 'framewire_stage_duration_seconds_count{consumer="inference",outcome="ack",stage="inference"}')).toBe(2);

    expect(m.activity()).toMatchObject({
      jobs_processed: 1,
      jobs_failed: 1,
      frames_processed: 2,
      frames_failed: 1,
      messages_handled: 4,
      redeliveries: 2,
      in_flight: 0,
    });
  });

  it('serves the process metrics too', async () => {
    const m = new Metrics('status');
    const { body } = await m.expose();
    expect(body).toMatch(/^framewire_process_resident_memory_bytes\{stage="status"\} \d+/m);
    expect(body).toMatch(/^framewire_nodejs_eventloop_lag_seconds\{stage="status"\}/m);
  });

  it('reports uptime from its start', () => {
    const m = new Metrics('extractor', { defaultMetrics: false });
    expect(m.activity(m.startedAt.getTime() + 61_400).uptime_s).toBe(61);
  });
});
