import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Broker } from '@framewire/messaging';
import { OutboxRepository, type OutboxMessage } from '@framewire/persistence';
import { LOGGER, PeriodicTask, type Logger } from '@framewire/runtime';
import type { IntakeConfig } from '../config';
import { INTAKE_CONFIG } from '../tokens';

/** Rows one relay pass locks; a full pass is followed by another at once. */
export const RELAY_BATCH = 100;

/**
 * Publishes the transactional outbox. `publishNow` is a submit's fast path: the
 * job's messages go out right after the commit and their rows are deleted.
 * The relay (every intake replica, every FW_OUTBOX_RELAY_INTERVAL_MS) takes
 * the rows older than FW_OUTBOX_RELAY_MIN_AGE_MS that nobody deleted (intake
 * crashed after the commit, NATS or Postgres was down) and publishes them,
 * replicas sharing the work through row locks. A publish is idempotent by its
 * Nats-Msg-Id inside the stream's duplicate window; a message published again
 * outside it meets idempotent stages (the extractor re-reads the job; results
 * are upserted; events are recorded once per id).
 *
 * An outage never stops the app: it is logged once, and every tick tries again.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly outbox: OutboxRepository,
    private readonly broker: Broker,
  ) {
    this.task = new PeriodicTask(
      {
        intervalMs: config.outboxRelayIntervalMs,
        logger,
        failingMessage: 'outbox relay failed; retrying on the next tick',
        recoveredMessage: 'outbox relay recovered',
      },
      () => this.run(),
    );
  }

  /**
   * Publish a new job's messages in order and delete their rows. Never throws:
   * whatever is not published (or not deleted) stays for the relay, and the
   * job is still going to run.
   */
  async publishNow(messages: readonly OutboxMessage[]): Promise<void> {
    const done: string[] = [];
    try {
      for (const message of messages) {
        await this.publish(message);
        done.push(message.id);
      }
    } catch (err) {
      this.logger.warn({ err, job_id: messages[0]?.job_id }, 'could not publish the new job yet; the outbox relay will');
    }
    try {
      await this.outbox.delete(done);
    } catch (err) {
      this.logger.warn(
        { err, job_id: messages[0]?.job_id },
        'could not clear the published outbox rows; the relay will publish them again (deduplicated)',
      );
    }
  }

  onApplicationBootstrap(): void {
    this.task.start();
    this.logger.info(
      { interval_ms: this.config.outboxRelayIntervalMs, min_age_ms: this.config.outboxRelayMinAgeMs },
      'outbox relay started',
    );
  }

  /** One relay run, unless the previous one is still going. */
  tick(): Promise<void> {
    return this.task.runNow();
  }

  private async run(): Promise<void> {
    let published = 0;
    try {
      for (;;) {
        const pass = await this.outbox.relayPass({ minAgeMs: this.config.outboxRelayMinAgeMs, limit: RELAY_BATCH }, (m) => this.publish(m));
        published += pass.published;
        // Another pass only when this one was full and made progress.
        if (this.task.isStopped || pass.locked < RELAY_BATCH || pass.published === 0) break;
      }
    } finally {
      if (published > 0) this.logger.info({ published }, 'outbox relay published messages left behind');
    }
  }

  private async publish(message: OutboxMessage): Promise<void> {
    await this.broker.publish(message.subject, message.payload, {
      msgId: message.msg_id,
      jobId: message.job_id,
      headers: message.headers,
    });
  }

  /** Stop before the connections close: the pass in flight finishes (or fails) first. */
  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }
}
