import { randomUUID } from 'node:crypto';
import { makeEvent, type JobEvent } from '@framewire/contracts';
import { InvalidJobEventError, JobEventsClient, type ReceivedJobEvent } from '@framewire/events';
import { Broker, DEFAULT_TOPOLOGY, provisionStreams } from '@framewire/messaging';
import pino from 'pino';
import { startNatsServer, type TestNats } from '../support/nats-server';

jest.setTimeout(30_000);

/** @framewire/events, the typed subscriber users get, against a real JetStream server. */
describe('JobEventsClient', () => {
  let nats: TestNats;
  let broker: Broker;
  let client: JobEventsClient;

  beforeAll(async () => {
    nats = await startNatsServer();
    broker = await Broker.connect({ servers: nats.url, name: 'events-test', logger: pino({ level: 'silent' }) });
    await provisionStreams(broker.jsm, DEFAULT_TOPOLOGY);
    client = await JobEventsClient.connect({ servers: nats.url });
  });

  afterAll(async () => {
    await client?.close();
    await broker?.drain();
    await nats?.stop();
  });

  function lifecycle(jobId: string): JobEvent[] {
    return [
      makeEvent('submitted', jobId, { pipeline_id: 'text_regions', frame_stride: 1, max_frames: null }),
      makeEvent('extracting', jobId, { video: { duration_ms: 1000, fps: 30, width: 320, height: 240, codec: 'h264', frame_count: 30 } }),
      makeEvent('frames', jobId, { frames_done: 10, frames_failed: 0, frames_total: null }),
      makeEvent('extracted', jobId, { frames_total: 30, frames_decoded: 30 }),
      makeEvent('frames', jobId, { frames_done: 30, frames_failed: 0, frames_total: 30 }),
      makeEvent('completed', jobId, { frames_total: 30, frames_done: 30, frames_failed: 0, processing_ms: 900 }),
    ];
  }

  async function publish(events: JobEvent[]): Promise<void> {
    for (const [i, e] of events.entries()) await broker.publishEvent(e, String(i));
  }

  async function take(iterable: AsyncIterable<ReceivedJobEvent>, max = 100): Promise<ReceivedJobEvent[]> {
    const out: ReceivedJobEvent[] = [];
    for await (const r of iterable) {
      out.push(r);
      if (out.length >= max) break;
    }
    return out;
  }

  it("replays one job's events in order and ends after its terminal event", async () => {
    const a = randomUUID();
    const b = randomUUID();
    const events = lifecycle(a);
    await publish(events);
    await publish(lifecycle(b).slice(0, 2));
    const got = await take(client.job(a));
    expect(got.map((r) => r.event)).toEqual(events);
    expect(got.every((r, i) => i === 0 || r.sequence > got[i - 1].sequence)).toBe(true);
    expect(got.at(-1)!.pending).toBe(0);

    const resumed = await take(client.job(a, { from: { afterSequence: got[2].sequence } }));
    expect(resumed.map((r) => r.sequence)).toEqual(got.slice(3).map((r) => r.sequence));
    const onlyFrames = await take(client.job(a, { types: ['frames'] }));
    expect(onlyFrames.map((r) => r.event.type)).toEqual(['frames', 'frames']);
  });

  it('follows a running job live, from now on, until it ends', async () => {
    const id = randomUUID();
    const events = lifecycle(id);
    await publish(events.slice(0, 2));
    const live = take(client.job(id, { from: 'now' }));
    const replay = take(client.job(id));
    await new Promise((r) => setTimeout(r, 300));
    await publish(events.slice(2));
    expect((await live).map((r) => r.event.type)).toEqual(['frames', 'extracted', 'frames', 'completed']);
    expect((await replay).map((r) => r.event.type)).toEqual(events.map((e) => e.type));
  });

  it('ends a caught-up subscription at once when nothing is stored, and stops on abort', async () => {
    const id = randomUUID();
    expect(await take(client.job(id, { until: 'caught-up' }))).toEqual([]);
    const abort = new AbortController();
    const pending = take(client.all({ from: 'now', signal: abort.signal }));
    setTimeout(() => abort.abort(), 200);
    expect(await pending).toEqual([]);
  });

  it('subscribes to every job', async () => {
    const ids = [randomUUID(), randomUUID()];
    const all = take(client.all({ from: 'now', types: ['completed'] }), 2);
    await new Promise((r) => setTimeout(r, 300));
    for (const id of ids) await publish(lifecycle(id));
    expect((await all).map((r) => r.event.job_id)).toEqual(ids);
  });

  it('refuses an event of an unknown version loudly', async () => {
    const id = randomUUID();
    await broker.publishJson(
      `fw.events.${id}.frames`,
      { ...makeEvent('frames', id, { frames_done: 1, frames_failed: 0 }), v: 2 },
      { msgId: `${id}:v2` },
    );
    await expect(take(client.job(id))).rejects.toThrow(InvalidJobEventError);
  });
});
