import type { OutboxMessage } from './records';

/**
 * Which of the rows a relay has locked it may publish now, in order. A job's
 * messages go out in id order, so a locked row is publishable only when every
 * earlier row of its job still in the table is locked by this relay too: an
 * earlier row held by another relay (or not due yet) makes this job wait for a
 * later tick. A row that is gone was published (it is deleted only then).
 *
 * `remaining` is every row id of the locked rows' jobs still in the table.
 */
export function publishableInOrder(
  locked: readonly OutboxMessage[],
  remaining: ReadonlyArray<{ id: string; job_id: string }>,
): OutboxMessage[] {
  const mine = new Set(locked.map((m) => m.id));
  const firstBlocked = new Map<string, bigint>();
  for (const row of remaining) {
    if (mine.has(row.id)) continue;
    const id = BigInt(row.id);
    const seen = firstBlocked.get(row.job_id);
    if (seen === undefined || id < seen) firstBlocked.set(row.job_id, id);
  }
  return [...locked]
    .sort((a, b) => compareIds(a.id, b.id))
    .filter((m) => {
      const blocked = firstBlocked.get(m.job_id);
      return blocked === undefined || BigInt(m.id) < blocked;
    });
}

export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
