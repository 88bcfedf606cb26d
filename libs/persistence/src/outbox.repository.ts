import type { DataSource } from 'typeorm';
import { compareIds, publishableInOrder } from './outbox-order';
import type { OutboxMessage, OutgoingMessage } from './records';
import { inTransaction, withConnection, type Row, type Sql } from './sql';

export interface RelayOptions {
  /** Only rows at least this old: younger ones are still being published by the request that wrote them. */
  minAgeMs: number;
  /** Rows locked per pass. */
  limit: number;
}

export interface RelayPass {
  /** Messages published (and deleted) in this pass. */
  published: number;
  /** Rows this pass locked: as many as `limit` means there may be more. */
  locked: number;
}

/**
 * The transactional outbox. `insertOutbox` writes a job's messages in the
 * transaction that creates the job (JobsRepository.createPending); the request
 * then publishes them and deletes them here; `relayPass` publishes what a crash
 * or an outage left behind.
 */
export class OutboxRepository {
  constructor(private readonly ds: DataSource) {}

  /** Delete rows whose messages the stream has acknowledged. */
  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await withConnection(this.ds, (sql) => sql.query(`DELETE FROM "outbox" WHERE "id" = ANY($1::bigint[])`, [ids]));
  }

  /**
   * One relay pass, in one transaction: lock the due rows no other relay holds
   * (FOR UPDATE SKIP LOCKED), publish them one by one in each job's order,
   * delete the published ones and commit. A failed publish ends the pass: what
   * was published before it is deleted, the rest stays for the next pass, and
   * the publish error is thrown after the commit. A crash anywhere leaves rows
   * that were maybe published; the next pass publishes them again under the
   * same Nats-Msg-Id.
   */
  async relayPass(opts: RelayOptions, publish: (m: OutboxMessage) => Promise<void>): Promise<RelayPass> {
    const pass = await inTransaction(this.ds, async (sql): Promise<RelayPass & { failure?: { err: unknown } }> => {
      const { rows: locked } = await sql.query(
        `SELECT * FROM "outbox" WHERE "created_at" <= now() - make_interval(secs => $1::float8 / 1000)
         ORDER BY "id" LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [opts.minAgeMs, opts.limit],
      );
      if (locked.length === 0) return { published: 0, locked: 0 };
      const jobIds = [...new Set(locked.map((r) => String(r.job_id)))];
      const { rows: remaining } = await sql.query<{ id: string; job_id: string }>(
        `SELECT "id"::text AS "id", "job_id" FROM "outbox" WHERE "job_id" = ANY($1::uuid[])`,
        [jobIds],
      );
      const done: string[] = [];
      let failure: { err: unknown } | undefined;
      for (const message of publishableInOrder(locked.map(toOutboxMessage), remaining)) {
        try {
          await publish(message);
        } catch (err) {
          failure = { err };
          break;
        }
        done.push(message.id);
      }
      if (done.length > 0) await sql.query(`DELETE FROM "outbox" WHERE "id" = ANY($1::bigint[])`, [done]);
      return { published: done.length, locked: locked.length, failure };
    });
    if (pass.failure) throw pass.failure.err;
    return { published: pass.published, locked: pass.locked };
  }

  /** How many messages wait in the outbox. */
  async count(): Promise<number> {
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "outbox"`);
      return rows[0]?.n ?? 0;
    });
  }
}

/** Write a job's messages, in order, inside the caller's transaction; returns the rows in publish order. */
export async function insertOutbox(sql: Sql, jobId: string, messages: readonly OutgoingMessage[]): Promise<OutboxMessage[]> {
  if (messages.length === 0) return [];
  const { rows } = await sql.query(
    `INSERT INTO "outbox" ("job_id", "subject", "msg_id", "payload", "headers")
     SELECT $1::uuid, t."subject", t."msg_id", decode(t."payload", 'base64'), t."headers"::jsonb
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t("subject", "msg_id", "payload", "headers", "n")
     ORDER BY t."n"
     RETURNING *`,
    [
      jobId,
      messages.map((m) => m.subject),
      messages.map((m) => m.msg_id),
      messages.map((m) => Buffer.from(m.payload).toString('base64')),
      messages.map((m) => JSON.stringify(m.headers)),
    ],
  );
  return rows.map(toOutboxMessage).sort((a, b) => compareIds(a.id, b.id));
}

function toOutboxMessage(row: Row): OutboxMessage {
  return {
    id: String(row.id),
    job_id: String(row.job_id),
    subject: String(row.subject),
    msg_id: String(row.msg_id),
    payload: row.payload as Buffer,
    headers: row.headers as Record<string, string>,
  };
}
