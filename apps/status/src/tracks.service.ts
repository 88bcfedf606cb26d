import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { describeError, type TextTrack } from '@framewire/contracts';
import { FrameResultsRepository, MAX_RESULTS_PAGE, TracksRepository, type JobRecord } from '@framewire/persistence';
import { APP_CONFIG, LOGGER, type Logger } from '@framewire/runtime';
import { buildTracksForVideo, type TrackFrame } from '@framewire/tracks';
import type { StatusConfig } from './config';

/** What a build stored. */
export interface TracksBuilt {
  /** False when nothing was written: the job is gone, or (a running build) newer tracks are stored. */
  stored: boolean;
  tracks: number;
  text_tracks: number;
  region_tracks: number;
  /** Frame results the tracks were built from. */
  frames: number;
}

/**
 * A job's text tracks (libs/tracks) from its stored frame results: rebuilt
 * as a whole each time, so a rebuild of the same frames stores the same
 * tracks.
 *
 * - `buildFinal`: once every frame is in, awaited before `completed` is
 *   announced; its failures (DATABASE_UNAVAILABLE) fail the event handler,
 *   which retries like any outage.
 * - `buildRunning`: while the job runs, at most one build per job per
 *   FW_TRACKS_INTERVAL_MS per replica, in the background (the projection does
 *   not wait for it). Best effort: what a failed one would have shown, the
 *   next one or the final build shows, so a failure is logged, not retried.
 *   The repository never lets it replace final tracks or a build that saw more.
 */
@Injectable()
export class TracksService implements OnApplicationShutdown {
  private readonly lastBuild = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly frames: FrameResultsRepository,
    private readonly tracks: TracksRepository,
    @Inject(APP_CONFIG) private readonly config: Pick<StatusConfig, 'tracksIntervalMs'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Builds and stores the job's final tracks (idempotent). */
  async buildFinal(job: JobRecord): Promise<TracksBuilt> {
    this.lastBuild.delete(job.id);
    return this.build(job, true);
  }

  /**
   * Starts a build of a running job's tracks from its frames so far, unless
   * one ran for it less than FW_TRACKS_INTERVAL_MS ago or is still running.
   * Returns the build (for tests), or null when none was started.
   */
  buildRunning(job: JobRecord): Promise<void> | null {
    const interval = this.config.tracksIntervalMs;
    if (interval <= 0 || job.status !== 'running' || this.inFlight.has(job.id)) return null;
    const now = Date.now();
    const last = this.lastBuild.get(job.id);
    if (last !== undefined && now - last < interval) return null;
    this.forgetOld(now, interval);
    this.lastBuild.set(job.id, now);
    const run = this.build(job, false)
      .then(
        (built) => this.logger.debug({ job_id: job.id, ...built }, 'text tracks built (running)'),
        (err: unknown) => this.logger.warn({ job_id: job.id, err: describeError(err) }, 'building the text tracks of a running job failed'),
      )
      .finally(() => this.inFlight.delete(job.id));
    this.inFlight.set(job.id, run);
    return run;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async build(job: JobRecord, final: boolean): Promise<TracksBuilt> {
    const frames = await this.readFrames(job.id);
    const tracks = buildTracksForVideo(frames, { video: job.video, frameStride: job.frame_stride, sampleFps: job.sample_fps });
    const stored = await this.tracks.replaceForJob(job.id, tracks, { final, framesSeen: frames.length });
    return { stored, ...countTracks(tracks), frames: frames.length };
  }

  private async readFrames(jobId: string): Promise<TrackFrame[]> {
    const frames: TrackFrame[] = [];
    let after: number | null = null;
    do {
      const page = await this.frames.page(jobId, { limit: MAX_RESULTS_PAGE, afterFrameIndex: after });
      for (const r of page.items) frames.push({ frame_index: r.frame_index, pts_ms: r.pts_ms, result: r.error === null ? r.result : null });
      after = page.next_after_frame_index;
    } while (after !== null);
    return frames;
  }

  /** Throttle entries of jobs not built for a long while (finished elsewhere, failed, cancelled). */
  private forgetOld(now: number, interval: number): void {
    for (const [id, at] of this.lastBuild) if (now - at > 20 * interval) this.lastBuild.delete(id);
  }
}

export function countTracks(tracks: readonly TextTrack[]): Pick<TracksBuilt, 'tracks' | 'text_tracks' | 'region_tracks'> {
  const text = tracks.filter((t) => t.kind === 'text').length;
  return { tracks: tracks.length, text_tracks: text, region_tracks: tracks.length - text };
}
