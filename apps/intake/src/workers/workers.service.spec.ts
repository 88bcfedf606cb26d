import { DomainError } from '@framewire/contracts';
import { liveWorkers, workerEntry, type WorkerRegistry } from '@framewire/messaging';
import { parseStage, workerListView, WorkersService } from './workers.service';

const activity = {
  started_at: '2026-01-01T00:00:00.000Z',
  uptime_s: 10,
  jobs_processed: 0,
  jobs_failed: 0,
  frames_processed: 0,
  frames_failed: 0,
  messages_handled: 0,
  redeliveries: 0,
  in_flight: 0,
};
const T = Date.parse('2026-01-01T00:00:10Z');
const entry = (stage: 'inference' | 'status', id: string) =>
  workerEntry({ workerId: id, stage, host: 'h', pid: 1, version: '0.1.0' }, activity, new Date(T));

describe('workers API', () => {
  it('counts live replicas per stage, every stage present', () => {
    const items = liveWorkers([entry('inference', 'a'), entry('inference', 'b'), entry('status', 'c')], T, 1000);
    expect(workerListView(items, 1000)).toEqual({
      items,
      stages: { intake: 0, extractor: 0, inference: 2, persister: 0, status: 1 },
      ttl_ms: 1000,
    });
  });

  it('takes an optional stage filter and refuses an unknown one', () => {
    expect(parseStage(undefined)).toBeUndefined();
    expect(parseStage('')).toBeUndefined();
    expect(parseStage('inference')).toBe('inference');
    for (const bad of ['Inference', 'gpu', ['inference'], 3]) {
      expect(() => parseStage(bad)).toThrow(DomainError);
    }
  });

  it('reads the registry with the filter, and reports an unreachable registry as BROKER_UNAVAILABLE', async () => {
    const live = jest.fn().mockResolvedValue([]);
    const ok = new WorkersService({ settings: { heartbeatIntervalMs: 1, ttlMs: 5 }, live } as unknown as WorkerRegistry);
    await expect(ok.list('status')).resolves.toMatchObject({ items: [], ttl_ms: 5 });
    expect(live).toHaveBeenCalledWith('status');
    const down = new WorkersService({
      settings: { heartbeatIntervalMs: 1, ttlMs: 5 },
      live: () => Promise.reject(new Error('TIMEOUT')),
    } as unknown as WorkerRegistry);
    await expect(down.list(undefined)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
  });
});
