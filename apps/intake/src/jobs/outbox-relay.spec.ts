import type { Broker } from '@framewire/messaging';
import type { OutboxMessage, OutboxRepository, RelayPass } from '@framewire/persistence';
import type { Logger } from '@framewire/runtime';
import { loadIntakeConfig } from '../config';
import { OutboxRelay, RELAY_BATCH } from './outbox-relay';

const message = (id: string): OutboxMessage => ({
  id,
  job_id: 'job-1',
  subject: `s.${id}`,
  msg_id: `m.${id}`,
  payload: new Uint8Array([1]),
  headers: { 'Fw-Trace-Id': 't' },
});

function setup(opts: { failOn?: string; passes?: Array<RelayPass | Error> } = {}) {
  const published: string[] = [];
  const deleted: string[][] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const broker = {
    publish: jest.fn(async (subject: string) => {
      if (subject === opts.failOn) throw new Error('nats down');
      published.push(subject);
      return Promise.resolve({ seq: 1, duplicate: false, stream: 'FW_WORK' });
    }),
  } as unknown as Broker;
  const passes = [...(opts.passes ?? [])];
  const outbox = {
    delete: jest.fn(async (ids: string[]) => {
      deleted.push(ids);
      return Promise.resolve();
    }),
    relayPass: jest.fn(async () => {
      const next = passes.shift() ?? { published: 0, locked: 0 };
      if (next instanceof Error) throw next;
      return Promise.resolve(next);
    }),
  } as unknown as OutboxRepository;
  const logger = {
    warn: (_o: unknown, msg: string) => warnings.push(msg),
    info: (o: unknown, msg?: string) => infos.push(msg ?? String(o)),
  } as unknown as Logger;
  const relay = new OutboxRelay(loadIntakeConfig({}), logger, outbox, broker);
  return { relay, published, deleted, warnings, infos, outbox };
}

describe('OutboxRelay', () => {
  it('publishNow publishes in order and deletes what it published', async () => {
    const t = setup();
    await t.relay.publishNow([message('1'), message('2')]);
    expect(t.published).toEqual(['s.1', 's.2']);
    expect(t.deleted).toEqual([['1', '2']]);
  });

  it('publishNow stops at the first failed publish, never throws, and leaves the rest to the relay', async () => {
    const t = setup({ failOn: 's.1' });
    await expect(t.relay.publishNow([message('1'), message('2')])).resolves.toBeUndefined();
    expect(t.published).toEqual([]);
    expect(t.deleted).toEqual([[]]);
    expect(t.warnings).toEqual([expect.stringMatching(/the outbox relay will/)]);
  });

  it('logs an outage once, however many ticks fail, and its end once', async () => {
    const down = new Error('database unavailable');
    const t = setup({ passes: [down, down, down, { published: 2, locked: 2 }] });
    for (let i = 0; i < 4; i++) await t.relay.tick();
    expect(t.warnings).toEqual(['outbox relay failed; retrying on the next tick']);
    expect(t.infos).toEqual(['outbox relay published messages left behind', 'outbox relay recovered']);
  });

  it('runs another pass at once after a full one, and stops after a partial one', async () => {
    const t = setup({
      passes: [
        { published: RELAY_BATCH, locked: RELAY_BATCH },
        { published: 3, locked: 3 },
      ],
    });
    await t.relay.tick();
    expect(t.outbox.relayPass).toHaveBeenCalledTimes(2);
  });

  it('does nothing once stopped', async () => {
    const t = setup();
    await t.relay.beforeApplicationShutdown();
    await t.relay.tick();
    expect(t.outbox.relayPass).not.toHaveBeenCalled();
  });
});
