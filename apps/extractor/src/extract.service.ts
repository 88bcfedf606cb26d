import { Inject, Injectable } from '@nestjs/common';
import {
  encodeFrameMessage,
  makeEvent,
  msgIds,
  WORK_SUBJECTS,
  type ExtractRequestV1,
  type FrameResultV1,
  type InferRequestV1,
} from '@framewire/contracts';
import {
  checkVideoLimits,
  decodeThreadsOption,
  keyframesInRange,
  MediaToolkit,
  ReuseTracker,
  tooManyFramesWhileDecoding,
  type DecodedFrame,
  type KeyframeTable,
  type ReuseDecision,
  type SamplingRequest,
} from '@framewire/media';
import { Broker, CancellationRegistry, Consume, type HandlerContext } from '@framewire/messaging';
import { Metrics } from '@framewire/observability';
import { APP_CONFIG, LOGGER, WORKER_ID, type Logger } from '@framewire/runtime';
import { OBJECT_STORE, objectKeys, type ObjectStore } from '@framewire/storage';
import type { ExtractorConfig } from './config';
import { FlowControl } from './flow-control';

/**
 * fw.work.extract: probe the video, decode it, publish one fw.work.infer
 * message per sampled frame, then tell the job's frame total. Redelivery is
 * safe: every publish is deduplicated by what it means, and every write
 * downstream is an upsert.
 *
 * Temporal reuse (FW_REUSE_THRESHOLD, the job's `reuse`): each sampled frame's
 * small grayscale thumbnail is compared with the job's anchor, the last frame
 * sent to the models (ReuseTracker in @framewire/media). A frame that looks
 * the same skips inference: it goes straight to fw.work.persist as a result
 * with `reused_from: <anchor>` and no result of its own, and the persister
 * copies the anchor's result in whichever of the two lands first (see
 * RESOLVE_REUSED in @framewire/persistence). Decisions depend only on the
 * decoded frames, so a redelivered extraction makes the same ones, and both
 * paths publish with the frame's persist/infer message ids.
 */
@Injectable()
export class ExtractService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: ExtractorConfig,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WORKER_ID) private readonly workerId: string,
    private readonly broker: Broker,
    private readonly media: MediaToolkit,
    private readonly cancellations: CancellationRegistry,
    private readonly metrics: Metrics,
  ) {}

  @Consume({ kind: 'extract', mode: 'single', concurrency: (c: ExtractorConfig) => c.concurrency })
  async extract(req: ExtractRequestV1, ctx: HandlerContext): Promise<void> {
    // A job already failed or cancelled never gets here (the worker drops its message); one stopped while decoding aborts it.
    const cancel = this.cancellations.track(req.job_id);
    const t0 = performance.now();
    const local = await this.store.materialize(req.input_key);
    const t1 = performance.now();
    try {
      // Intake's probe of these same bytes travels in the message; a message queued before it did is probed here. The
      // limits are checked again either way, with this replica's caps (covering work queued before a cap was lowered),
      // and what only decoding shows (no duration, a frame over the pixel cap) is checked while decoding.
      const video = req.video ?? (await this.media.probeVideo(local.path));
      const probeMs = performance.now() - t1;
      const frameCap = this.config.maxFramesPerJob;
      // Keyframe sampling: list the keyframes first (no decoding) for their indices and their exact count.
      const keyframes = req.sample === 'keyframes' ? await this.listKeyframes(local.path, ctx, cancel.signal) : null;
      const sampling = samplingOf(
        req,
        keyframes === null ? null : keyframesInRange(keyframes, { startMs: req.start_ms, endMs: req.end_ms }).length,
      );
      checkVideoLimits(video, sampling, this.config);
      await this.broker.publishEvent(makeEvent('extracting', req.job_id, { video, worker_id: this.workerId }));
      this.logger.info(
        {
          video,
          stride: req.frame_stride,
          max_frames: req.max_frames,
          sample_fps: sampling.sampleFps,
          start_ms: sampling.startMs,
          end_ms: sampling.endMs,
          probed_by: req.video ? 'intake' : 'extractor',
          timings_ms: { materialize: Math.round(t1 - t0), probe: Math.round(probeMs) },
          sample: sampling.sample,
          keyframes: sampling.keyframeCount,
        },
        'decoding',
      );

      let decoded = 0;
      let sampled = 0;
      let lastIndex = -1;
      let reused = 0;
      const reuse = new ReuseTracker({
        threshold: req.reuse === false ? 0 : this.config.reuseThreshold,
        maxRun: this.config.reuseMaxRun,
      });
      const window = new PublishWindow(this.config.publishWindow);
      const flow = new FlowControl(
        this.broker,
        req.job_id,
        {
          jobFramesInFlight: this.config.jobFramesInFlight,
          globalFramesInFlight: this.config.globalFramesInFlight,
          pollMs: 100,
          stallMs: 30_000,
        },
        () => ctx.working(),
        cancel.signal,
      );
      const frames = this.media.decodeFrames(local.path, {
        stride: req.frame_stride,
        sampleFps: sampling.sampleFps,
        startMs: sampling.startMs,
        endMs: sampling.endMs,
        keyframes,
        decodeThreads: decodeThreadsOption(this.config.decodeThreads),
        // Without max_frames, decode one past the cap: finding it fails the job rather than cutting it short unsaid.
        maxFrames: req.max_frames === null ? frameCap + 1 : Math.min(req.max_frames, frameCap),
        signal: AbortSignal.any([ctx.signal, cancel.signal]),
        jpegQuality: this.config.jpegQuality,
        maxWidth: this.config.maxFrameWidth,
        maxFramePixels: this.config.maxFramePixels,
        maxDurationMs: this.config.maxDurationMs,
        timeoutMs: this.config.decodeTimeoutMs,
        onProgress: (p) => {
          decoded = Math.max(decoded, p.decodedFrames);
          ctx.working();
        },
      });
      for await (const frame of frames) {
        if (sampled === frameCap) throw tooManyFramesWhileDecoding(frameCap, sampling);
        await flow.admit();
        const decision: ReuseDecision = reuse.enabled
          ? reuse.decide(frame.index, await this.media.reuseThumbnail(frame.jpeg))
          : { reuse: false, score: null };
        const published = decision.reuse ? this.publishReused(req, frame, decision.anchor) : this.publishFrame(req, frame);
        await window.add(published.then((duplicate) => flow.published1(duplicate)));
        if (decision.reuse) reused++;
        sampled++;
        lastIndex = frame.index;
      }
      await window.drain();
      // A keyframe decode decodes only what it samples (and -progress counts just those).
      decoded = keyframes === null ? Math.max(decoded, lastIndex + 1) : Math.max(decoded, sampled);
      await this.broker.publishEvent(
        makeEvent('extracted', req.job_id, {
          frames_total: sampled,
          frames_decoded: decoded,
          frames_reused: reused,
          worker_id: this.workerId,
        }),
      );
      this.logger.info({ frames_total: sampled, frames_decoded: decoded, frames_reused: reused }, 'extracted');
    } catch (err) {
      // A stopped (cancelled or failed) job's decode is stopped on purpose: the work is done, not failed.
      if (cancel.signal.aborted) {
        this.logger.info('job stopped (cancelled or failed); stopped decoding');
        return;
      }
      throw err;
    } finally {
      cancel.release();
      await local.release();
    }
  }

  /** The video's keyframes (a demux pass over the whole file: seconds for hours of video), extending the work lease meanwhile. */
  private async listKeyframes(path: string, ctx: HandlerContext, signal: AbortSignal): Promise<KeyframeTable> {
    const lease = setInterval(() => ctx.working(), 5000);
    try {
      return await this.media.probeKeyframes(path, { signal: AbortSignal.any([ctx.signal, signal]) });
    } finally {
      clearInterval(lease);
    }
  }

  /** Publish one frame; resolves with whether the stream already had it (a deduplicated republish). */
  private async publishFrame(req: ExtractRequestV1, frame: DecodedFrame): Promise<boolean> {
    const inline = frame.jpeg.length <= this.config.inlineFrameMaxBytes;
    const key = objectKeys.frameKey(req.job_id, frame.index);
    const header: InferRequestV1 = {
      v: 1,
      job_id: req.job_id,
      pipeline_id: req.pipeline_id,
      frame_index: frame.index,
      pts_ms: frame.ptsMs,
      width: frame.width,
      height: frame.height,
      source_width: frame.sourceWidth,
      source_height: frame.sourceHeight,
      frame: inline ? { kind: 'inline', bytes: frame.jpeg.length } : { kind: 'object', key, bytes: frame.jpeg.length },
    };
    const store = () => this.store.put(key, frame.jpeg, { contentType: 'image/jpeg' });
    // A frame by reference is stored before it is published; a kept inline frame (FW_KEEP_FRAMES) while it is published,
    // and the frame counts as published once both are done (so `extracted`, and the job's end, wait for its image).
    if (!inline) await store();
    const [ack] = await Promise.all([
      this.broker.publish(WORK_SUBJECTS.infer, encodeFrameMessage(header, inline ? frame.jpeg : null), {
        msgId: msgIds.infer(req.job_id, frame.index),
        jobId: req.job_id,
      }),
      inline && this.config.keepFrames ? store() : null,
    ]);
    if (!ack.duplicate) this.metrics.frameDone();
    return ack.duplicate;
  }

  /**
   * A reused frame: published to fw.work.persist (with the msg id inference would use for this frame's result),
   * with no result, error or geometry of its own: the persister copies its anchor's. Its JPEG is still kept with
   * FW_KEEP_FRAMES (GET /v1/jobs/{id}/frames/{index} serves every sampled frame); nothing else reads it.
   */
  private async publishReused(req: ExtractRequestV1, frame: DecodedFrame, anchor: number): Promise<boolean> {
    const message: FrameResultV1 = {
      v: 1,
      job_id: req.job_id,
      frame_index: frame.index,
      pts_ms: frame.ptsMs,
      result: null,
      error: null,
      timings_ms: {},
      worker_id: this.workerId,
      geometry: null,
      reused_from: anchor,
    };
    const key = objectKeys.frameKey(req.job_id, frame.index);
    const [ack] = await Promise.all([
      this.broker.publishJson(WORK_SUBJECTS.persist, message, { msgId: msgIds.persist(req.job_id, frame.index), jobId: req.job_id }),
      this.config.keepFrames ? this.store.put(key, frame.jpeg, { contentType: 'image/jpeg' }) : null,
    ]);
    if (!ack.duplicate) {
      this.metrics.frameDone();
      this.metrics.framesReused.inc();
    }
    return ack.duplicate;
  }
}

/**
 * What the message asks to sample; a message queued before sampling by time or keyframes existed asks for none of it.
 * keyframeCount: the keyframes in range, when listed.
 */
export function samplingOf(req: ExtractRequestV1, keyframeCount: number | null = null): Required<SamplingRequest> {
  return {
    sample: req.sample ?? 'frames',
    keyframeCount,
    frameStride: req.frame_stride,
    maxFrames: req.max_frames,
    sampleFps: req.sample_fps ?? null,
    startMs: req.start_ms ?? null,
    endMs: req.end_ms ?? null,
  };
}

/** Keeps up to `size` publishes awaiting their acknowledgement; the first failure fails the whole extraction. */
class PublishWindow {
  private readonly pending = new Set<Promise<void>>();
  private failure: Error | null = null;

  constructor(private readonly size: number) {}

  async add(p: Promise<void>): Promise<void> {
    this.throwIfFailed();
    const tracked = p.then(
      () => {
        this.pending.delete(tracked);
      },
      (err: unknown) => {
        this.pending.delete(tracked);
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      },
    );
    this.pending.add(tracked);
    if (this.pending.size >= this.size) await Promise.race(this.pending);
    this.throwIfFailed();
  }

  async drain(): Promise<void> {
    await Promise.all(this.pending);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}
