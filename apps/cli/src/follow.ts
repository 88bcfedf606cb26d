import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { JobEvent, JobServiceClient } from '@framewire/grpc';
import { estimateSampledFrames } from '@framewire/media';
import { formatMs, ProgressLine, statusColor, type Tty } from './output';

/** What the events of a job have said so far. */
export interface FollowState {
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  done: number;
  failed: number;
  /** Sampled frames, once extraction has ended. */
  total: number | null;
  /** Before that: what the stride, budget and the probed frame count predict. */
  estimate: number | null;
  stride: number;
  maxFrames: number | null;
  /** Sampling by time and range, from the submitted event. */
  sampleFps: number | null;
  startMs: number | null;
  endMs: number | null;
  /** Keyframe sampling: the probe cannot predict the count, so there is no estimate before `extracted`. */
  keyframes: boolean;
  error: { code: string; message: string } | null;
  reason: string | null;
  processingMs: number | null;
  lastSequence: number | null;
  /** Text tracks stored final (the `tracks` event), or null before it. */
  tracks: number | null;
  firstFramesAt: number | null;
  lastFramesAt: number | null;
  framesAtFirst: number;
}

export function initialState(): FollowState {
  return {
    status: 'pending',
    done: 0,
    failed: 0,
    total: null,
    estimate: null,
    stride: 1,
    maxFrames: null,
    sampleFps: null,
    startMs: null,
    endMs: null,
    keyframes: false,
    error: null,
    reason: null,
    processingMs: null,
    lastSequence: null,
    tracks: null,
    firstFramesAt: null,
    lastFramesAt: null,
    framesAtFirst: 0,
  };
}

/** Pure: the state after one event. Counts only grow (progress events of several replicas may cross). */
export function applyEvent(s: FollowState, ev: JobEvent, now = Date.now()): FollowState {
  const next: FollowState = { ...s, lastSequence: ev.sequence };
  const d = ev.detail;
  switch (d?.$case) {
    case 'submitted':
      next.stride = d.submitted.frameStride;
      next.maxFrames = d.submitted.maxFrames ?? null;
      next.sampleFps = d.submitted.sampleFps ?? null;
      next.startMs = d.submitted.startMs ?? null;
      next.endMs = d.submitted.endMs ?? null;
      next.keyframes = d.submitted.sample === 'keyframes';
      break;
    case 'extracting': {
      next.status = 'running';
      const v = d.extracting.video;
      const sampled =
        v && !s.keyframes
          ? estimateSampledFrames(
              { frame_count: v.frameCount ?? null, duration_ms: v.durationMs ?? null, fps: v.fps ?? null },
              { frameStride: Math.max(1, s.stride), maxFrames: s.maxFrames, sampleFps: s.sampleFps, startMs: s.startMs, endMs: s.endMs },
            )
          : null;
      if (sampled !== null) next.estimate = s.maxFrames === null ? sampled : Math.min(sampled, s.maxFrames);
      break;
    }
    case 'extracted':
      next.status = 'running';
      next.total = d.extracted.framesTotal;
      break;
    case 'frames':
      next.status = s.status === 'pending' ? 'running' : s.status;
      next.done = Math.max(s.done, d.frames.framesDone);
      next.failed = Math.max(s.failed, d.frames.framesFailed);
      if (d.frames.framesTotal !== undefined) next.total = d.frames.framesTotal;
      if (next.firstFramesAt === null) {
        next.firstFramesAt = now;
        next.framesAtFirst = next.done + next.failed;
      }
      next.lastFramesAt = now;
      break;
    case 'tracks':
      next.tracks = d.tracks.tracks;
      break;
    case 'completed':
      next.status = 'completed';
      next.total = d.completed.framesTotal;
      next.done = d.completed.framesDone;
      next.failed = d.completed.framesFailed;
      next.processingMs = d.completed.processingMs;
      break;
    case 'failed':
      next.status = 'failed';
      next.error = { code: d.failed.errorCode, message: d.failed.errorMessage };
      break;
    case 'cancelled':
      next.status = 'cancelled';
      next.reason = d.cancelled.reason ?? null;
      break;
    case undefined:
      break;
  }
  return next;
}

export function isFinished(s: FollowState): boolean {
  return s.status === 'completed' || s.status === 'failed' || s.status === 'cancelled';
}

/** The progress line: fraction (null while unknown) and text. */
export function progressText(s: FollowState, t: Tty): { fraction: number | null; text: string } {
  const total = s.total ?? s.estimate;
  const seen = s.done + s.failed;
  const fraction = s.status === 'completed' ? 1 : total ? Math.min(1, seen / total) : null;
  const parts = [statusColor(t, s.status.padEnd(9)), `${seen}/${s.total ?? (s.estimate !== null ? `~${s.estimate}` : '?')} frames`];
  if (s.failed > 0) parts.push(`${s.failed} failed`);
  if (s.firstFramesAt !== null && s.lastFramesAt !== null && s.lastFramesAt > s.firstFramesAt) {
    const rate = ((seen - s.framesAtFirst) * 1000) / (s.lastFramesAt - s.firstFramesAt);
    if (rate > 0) {
      parts.push(`${rate.toFixed(1)} fps`);
      if (total && !isFinished(s)) parts.push(`ETA ${formatMs(((total - seen) / rate) * 1000)}`);
    }
  }
  if (s.tracks !== null) parts.push(`${s.tracks} text track${s.tracks === 1 ? '' : 's'}`);
  if (s.processingMs !== null) parts.push(`in ${formatMs(s.processingMs)}`);
  return { fraction, text: parts.join(' · ') };
}

export interface FollowOptions {
  fromStart: boolean;
  /** Each event as it arrives (e.g. NDJSON output). */
  onEvent?: (ev: JobEvent) => void;
  /** Draw the progress line on this terminal (stderr), or null for none. */
  progress: Tty | null;
  signal?: AbortSignal;
}

/**
 * Follow a job through WatchJob until its terminal event. A stream cut by a
 * restarting server or a dropped connection is resumed after the last event
 * seen, for up to a minute, so nothing is missed or shown twice.
 */
export async function followJob(client: JobServiceClient, jobId: string, opts: FollowOptions): Promise<FollowState> {
  let state = initialState();
  const line = opts.progress ? new ProgressLine(opts.progress) : null;
  const draw = (force = false) => {
    if (!line || !opts.progress) return;
    const p = progressText(state, opts.progress);
    line.update(p.text, p.fraction, state.status, force);
  };
  let retryUntil: number | null = null;
  try {
    for (;;) {
      const request = { jobId, fromStart: opts.fromStart, afterSequence: state.lastSequence ?? undefined };
      try {
        await new Promise<void>((resolve, reject) => {
          const call = client.watchJob(request);
          const onAbort = () => call.cancel();
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          call.on('data', (ev: JobEvent) => {
            retryUntil = null;
            state = applyEvent(state, ev);
            opts.onEvent?.(ev);
            draw(isFinished(state));
          });
          call.on('error', (err) => {
            opts.signal?.removeEventListener('abort', onAbort);
            reject(err);
          });
          call.on('end', () => {
            opts.signal?.removeEventListener('abort', onAbort);
            resolve();
          });
        });
        if (isFinished(state) || opts.signal?.aborted) return state;
        // Ended without a terminal event: the server went away cleanly. Resume.
        throw Object.assign(new Error('stream ended early'), { code: grpcStatus.UNAVAILABLE });
      } catch (err) {
        const code = (err as Partial<ServiceError>).code;
        if (opts.signal?.aborted || code === grpcStatus.CANCELLED) return state;
        if (code !== grpcStatus.UNAVAILABLE || state.lastSequence === null) throw err;
        retryUntil ??= Date.now() + 60_000;
        if (Date.now() > retryUntil) throw err;
        if (line && opts.progress) line.update(`${progressText(state, opts.progress).text} · reconnecting…`, null, 'reconnecting', true);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    draw(true);
    line?.done();
  }
}
