import { publishableInOrder } from './outbox-order';
import type { OutboxMessage } from './records';

const msg = (id: number, job: string): OutboxMessage => ({
  id: String(id),
  job_id: job,
  subject: `s.${id}`,
  msg_id: `${job}:${id}`,
  payload: new Uint8Array(),
  headers: {},
});
const ids = (ms: OutboxMessage[]) => ms.map((m) => Number(m.id));
const rows = (...rs: Array<[number, string]>) => rs.map(([id, job_id]) => ({ id: String(id), job_id }));

describe('publishableInOrder', () => {
  it('publishes every locked row, in id order (numerically, not as text), when nothing else of their jobs remains', () => {
    const locked = [msg(10, 'a'), msg(9, 'a'), msg(11, 'b')];
    expect(ids(publishableInOrder(locked, rows([9, 'a'], [10, 'a'], [11, 'b'])))).toEqual([9, 10, 11]);
  });

  it('holds back a job whose earlier row another relay holds, and only that job', () => {
    // Another relay locked row 4 (job a); this one got 5 (job a) and 6 (job b).
    const locked = [msg(5, 'a'), msg(6, 'b')];
    expect(ids(publishableInOrder(locked, rows([4, 'a'], [5, 'a'], [6, 'b'])))).toEqual([6]);
  });

  it('publishes the rows before a gap and holds the ones after it', () => {
    const locked = [msg(1, 'a'), msg(3, 'a')];
    expect(ids(publishableInOrder(locked, rows([1, 'a'], [2, 'a'], [3, 'a'])))).toEqual([1]);
  });

  it('treats a row that is gone as published: the later row may go', () => {
    expect(ids(publishableInOrder([msg(8, 'a')], rows([8, 'a'])))).toEqual([8]);
  });

  it('is not held back by a later row it did not lock', () => {
    expect(ids(publishableInOrder([msg(1, 'a')], rows([1, 'a'], [2, 'a'])))).toEqual([1]);
  });
});
