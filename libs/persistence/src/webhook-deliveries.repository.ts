import type { DataSource } from 'typeorm';
import { UUID_ANY_CASE } from '@framewire/contracts';
import { toWebhookDeliveryRecord, type WebhookDeliveryInput, type WebhookDeliveryRecord } from './records';
import { withConnection } from './sql';

/** The attempts to deliver jobs' webhooks: written by the status service, read by intake's job view. */
export class WebhookDeliveriesRepository {
  constructor(private readonly ds: DataSource) {}

  /** Records one attempt (or the final `given_up`). A job deleted meanwhile is no error: nothing is recorded. */
  async record(d: WebhookDeliveryInput): Promise<void> {
    await withConnection(this.ds, (sql) =>
      sql.query(
        `INSERT INTO "webhook_deliveries" ("job_id", "event", "attempt", "at", "outcome", "http_status", "error", "duration_ms")
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM "jobs" WHERE "id" = $1)`,
        [d.job_id, d.event, d.attempt, d.at, d.outcome, d.http_status, d.error, d.duration_ms],
      ),
    );
  }

  /** A job's attempts, oldest first. */
  async list(jobId: string): Promise<WebhookDeliveryRecord[]> {
    if (!UUID_ANY_CASE.test(jobId)) return [];
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query(`SELECT * FROM "webhook_deliveries" WHERE "job_id" = $1 ORDER BY "at", "id"`, [jobId]);
      return rows.map(toWebhookDeliveryRecord);
    });
  }

  /**
   * How the webhook of (job, event) stands: the attempts made so far and
   * whether it is settled (delivered or given up: never POST it again).
   */
  async progress(jobId: string, event: string): Promise<{ attempts: number; settled: boolean }> {
    return withConnection(this.ds, async (sql) => {
      const { rows } = await sql.query<{ attempts: string; settled: boolean }>(
        `SELECT count(*) FILTER (WHERE "outcome" <> 'given_up') AS attempts,
                coalesce(bool_or("outcome" IN ('delivered', 'given_up')), false) AS settled
           FROM "webhook_deliveries" WHERE "job_id" = $1 AND "event" = $2`,
        [jobId, event],
      );
      return { attempts: Number(rows[0]?.attempts ?? 0), settled: rows[0]?.settled ?? false };
    });
  }
}
