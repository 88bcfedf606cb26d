import { eventSubject, STREAMS, WORK_CONSUMERS } from '@framewire/contracts';
import type { Broker } from '@framewire/messaging';

export interface FlowLimits {
  /** Frames of one job published but not yet persisted, at most. */
  jobFramesInFlight: number;
  /** Frames waiting for or in inference across all jobs, at most. */
  globalFramesInFlight: number;
  /** How often a blocked extraction re-checks. */
  pollMs: number;
  /** Give up waiting (and go on) after this long without any progress: a stalled signal must never stall a job. */
  stallMs: number;
}

/**
 * Bounds the frames a job has in flight, so one huge job cannot fill the
 * queue ahead of everyone else: frames of concurrent jobs interleave. The
 * job's progress comes from its latest `frames` event (cumulative counts),
 * read straight from the events stream; the global backlog from the inference
 * consumer's pending counts.
 */
export class FlowControl {
  private published = 0;
  private baseline: number | null = null;
  private finished = 0;
  private lastGlobalCheck = 0;

  constructor(
    private readonly broker: Broker,
    private readonly jobId: string,
    private readonly limits: FlowLimits,
    private readonly heartbeat: () => void,
    private readonly signal: AbortSignal,
  ) {}

  /** Count a frame the stream accepted as new (a deduplicated republish is not in flight). */
  published1(duplicate: boolean): void {
    if (!duplicate) this.published++;
  }

  /** Wait until this job (and the system) may take one more frame. */
  async admit(): Promise<void> {
    if (this.baseline === null) this.baseline = await this.persistedSoFar();
    let lastProgress = Date.now();
    let seen = this.finished;
    while (!this.signal.aborted) {
      const jobFull = this.published - this.finished >= this.limits.jobFramesInFlight;
      const globalFull = !jobFull && (await this.globalFull());
      if (!jobFull && !globalFull) return;
      await sleep(this.limits.pollMs);
      this.heartbeat();
      this.finished = Math.max(this.finished, (await this.persistedSoFar()) - this.baseline);
      if (this.finished !== seen) {
        seen = this.finished;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > this.limits.stallMs) return;
    }
  }

  /** The job's cumulative persisted frame count from its latest progress event, or 0. */
  private async persistedSoFar(): Promise<number> {
    const last = await this.broker.lastMessage(STREAMS.events, eventSubject(this.jobId, 'frames'));
    if (!last) return 0;
    const ev = last.json<{ frames_done?: number; frames_failed?: number }>();
    return (ev.frames_done ?? 0) + (ev.frames_failed ?? 0);
  }

  private async globalFull(): Promise<boolean> {
    // A consumer-info round trip every 250 ms at most.
    if (Date.now() - this.lastGlobalCheck < 250) return false;
    this.lastGlobalCheck = Date.now();
    const info = await this.broker.consumerInfo(STREAMS.work, WORK_CONSUMERS.infer);
    return info.num_pending + info.num_ack_pending >= this.limits.globalFramesInFlight;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
