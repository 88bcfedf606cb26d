import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { isTerminal, overloaded } from '@framewire/contracts';
import { isTerminalEvent, JobEventsClient, type ReceivedJobEvent, type StartAt } from '@framewire/events';
import { Broker } from '@framewire/messaging';
import type { JobRecord } from '@framewire/persistence';
import { LOGGER, type Logger } from '@framewire/runtime';
import { BoundedSlots } from '../admission/admission';
import type { IntakeConfig } from '../config';
import { QueryService } from '../jobs/query.service';
import { INTAKE_CONFIG } from '../tokens';

export interface JobWatch {
  job: JobRecord;
  /** Whether the job had already ended when the watch opened: the events are a finite replay. */
  finished: boolean;
  /** The events in stream order, ending after the job's terminal event (or when the watch is closed). */
  events: AsyncIterable<ReceivedJobEvent>;
}

/** How often a live watch re-reads the job, in case its terminal event is no longer stored. */
const RECHECK_MS = 5000;
/** What a client refused for too many open streams is asked to wait. */
const STREAMS_RETRY_AFTER_S = 5;

/**
 * One job's events for the SSE route and the gRPC WatchJob stream, from the
 * FW_EVENTS stream (the same events a NATS subscriber sees, with the same
 * sequence numbers). Replay, live and resume are JetStream ordered consumers
 * (@framewire/events). Progress events are already throttled at the source
 * (the persister), so the streams pass every stored event on unchanged and a
 * resumed stream continues exactly where it left off.
 */
@Injectable()
export class JobWatchService implements BeforeApplicationShutdown {
  private readonly client: JobEventsClient;
  private readonly open = new Set<AbortController>();
  /** FW_MAX_EVENT_STREAMS: SSE responses and WatchJob calls together. */
  private readonly slots: BoundedSlots;

  constructor(
    private readonly queries: QueryService,
    broker: Broker,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INTAKE_CONFIG) config: IntakeConfig,
  ) {
    this.client = broker.jobEvents();
    this.slots = new BoundedSlots(config.maxEventStreams);
  }

  /**
   * NOT_FOUND for an unknown job (before anything is streamed). A job that has
   * already ended gives a finite replay: its stored events after the start
   * point, up to its terminal event. A running job streams until its terminal
   * event; should that event be gone (FW_EVENTS keeps events for a limited
   * time), the watch ends once the jobs table has shown the job finished for a
   * while.
   */
  async watch(jobId: string, from: StartAt, signal?: AbortSignal): Promise<JobWatch> {
    const release = this.slots.tryAcquire();
    if (!release) {
      throw overloaded(
        `too many open event streams (${this.slots.limit}); retry after ${STREAMS_RETRY_AFTER_S} s, or poll GET /v1/jobs/{id}`,
        STREAMS_RETRY_AFTER_S,
      );
    }
    let job: JobRecord;
    try {
      job = await this.queries.getJob(jobId);
    } catch (err) {
      release();
      throw err;
    }
    const finished = isTerminal(job.status);
    const abort = new AbortController();
    // The slot is free again when the stream ends, or when its client goes away (even if the stream was never read).
    abort.signal.addEventListener('abort', release, { once: true });
    const onAbort = () => abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) abort.abort();

    return { job, finished, events: this.stream(job, finished, from, abort, () => signal?.removeEventListener('abort', onAbort)) };
  }

  private async *stream(
    job: JobRecord,
    finished: boolean,
    from: StartAt,
    abort: AbortController,
    cleanup: () => void,
  ): AsyncGenerator<ReceivedJobEvent> {
    this.open.add(abort);
    const recheck = finished ? null : this.recheckUntilFinished(job.id, abort);
    try {
      if (finished && from === 'now') return;
      const source = this.client.job(job.id, { from, until: finished ? 'caught-up' : 'terminal', signal: abort.signal });
      for await (const received of source) {
        yield received;
        if (isTerminalEvent(received.event)) return;
      }
    } finally {
      this.open.delete(abort);
      if (recheck) clearInterval(recheck);
      cleanup();
      abort.abort();
    }
  }

  private recheckUntilFinished(jobId: string, abort: AbortController): NodeJS.Timeout {
    let seenFinished = false;
    const timer = setInterval(() => {
      this.queries
        .getJob(jobId)
        .then((job) => {
          // Finished on two reads in a row, and still no terminal event: it is not coming.
          if (isTerminal(job.status) && seenFinished) abort.abort();
          seenFinished = isTerminal(job.status);
        })
        .catch((err: unknown) => this.logger.warn({ err, job_id: jobId }, 'could not re-read a watched job'));
    }, RECHECK_MS);
    timer.unref();
    return timer;
  }

  /** True once the app shuts down: open watches have been ended early. */
  stopping = false;

  /** End every open watch, so SSE responses and WatchJob calls let the servers close. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
    for (const abort of this.open) abort.abort();
  }
}
