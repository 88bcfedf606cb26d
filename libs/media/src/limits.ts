import { DomainError, type SampleMode, type VideoMetadata } from '@framewire/contracts';

/**
 * Pure checks of what a video costs before (and while) it is decoded: pixels
 * per frame, duration and sampled frames. Intake runs them on its probe and
 * refuses the upload (422, nothing stored or queued); the extractor runs them
 * again on its own probe and, while decoding, on every sampled frame.
 */

export interface VideoLimits {
  /** FW_MAX_FRAME_PIXELS: width × height of one decoded frame, at most. */
  maxFramePixels: number;
  /** FW_MAX_DURATION_MS. */
  maxDurationMs: number;
  /** FW_MAX_FRAMES_PER_JOB: sampled frames of one job, at most. */
  maxFramesPerJob: number;
}

export interface SamplingRequest {
  frameStride: number;
  /** null: every sampled frame of the video. */
  maxFrames: number | null;
  /** Sampling by time: frames per second of video time (frameStride is then 1); null or absent: by frameStride. */
  sampleFps?: number | null;
  /** The range of video time, [startMs, endMs) by frame pts; null or absent: from the start / to the end. */
  startMs?: number | null;
  endMs?: number | null;
  /** `keyframes`: only the keyframes are sampled (frameStride 1, no sampleFps); null or absent: `frames`. */
  sample?: SampleMode | null;
  /** Keyframe sampling: the keyframes in range when known (see keyframesInRange); absent: the frames in range bound them. */
  keyframeCount?: number | null;
}

/**
 * Pixels of one frame. A rotation (display matrix) only swaps width and
 * height, so the count is the same whichever way the frame is shown; odd
 * sizes count every pixel (no rounding to the codec's macroblocks, which
 * the decoder crops away). A size that is not a positive integer is refused:
 * a frame whose size is unknown has not passed the check.
 */
export function framePixels(width: number, height: number): number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new DomainError('INVALID_VIDEO', `video frame size is unknown or invalid (${width}x${height})`);
  }
  return width * height;
}

/** VIDEO_TOO_LARGE when one frame of width × height is over the cap. */
export function checkFrameSize(width: number, height: number, maxFramePixels: number): void {
  const pixels = framePixels(width, height);
  if (pixels > maxFramePixels) {
    throw new DomainError(
      'VIDEO_TOO_LARGE',
      `video frames are too large: ${width}x${height} is ${pixels} pixels, over this server's limit of ${maxFramePixels} (FW_MAX_FRAME_PIXELS)`,
      { details: { width, height, pixels, limit: maxFramePixels } },
    );
  }
}

/** VIDEO_TOO_LONG when a duration (or a frame's timestamp) is over the cap; an unknown duration passes (decoding re-checks). */
export function checkDuration(durationMs: number | null, maxDurationMs: number): void {
  if (durationMs === null || durationMs <= maxDurationMs) return;
  throw new DomainError(
    'VIDEO_TOO_LONG',
    `video is too long: ${formatMs(durationMs)}, over this server's limit of ${formatMs(maxDurationMs)} (FW_MAX_DURATION_MS)`,
    { details: { duration_ms: durationMs, limit_ms: maxDurationMs } },
  );
}

/**
 * How many frames the video has, as far as the probe tells: the container's
 * count, else duration × frame rate (rounded down, so an estimate never
 * refuses a video that is at the cap); null when it cannot tell.
 */
export function estimateFrameCount(video: Pick<VideoMetadata, 'frame_count' | 'duration_ms' | 'fps'>): number | null {
  if (video.frame_count !== null) return video.frame_count;
  if (video.duration_ms === null || video.fps === null) return null;
  return Math.floor((video.duration_ms * video.fps) / 1000);
}

/**
 * RANGE_OUTSIDE_VIDEO when start_ms is at or past the end of a video whose
 * duration the probe gives: the range holds no frame. An end_ms past the end
 * is not an error: the range is clamped to the video (analysed to its end).
 */
export function checkRange(durationMs: number | null, request: Pick<SamplingRequest, 'startMs' | 'endMs'>): void {
  const start = request.startMs ?? 0;
  if (durationMs === null || start === 0 || start < durationMs) return;
  throw new DomainError(
    'RANGE_OUTSIDE_VIDEO',
    `start_ms ${start} is at or past the end of the video (${formatMs(durationMs)}): the range holds no frame`,
    { details: { start_ms: start, end_ms: request.endMs ?? null, duration_ms: durationMs } },
  );
}

/** The range's length in ms, clamped to the video; null when neither the range's end nor the duration is known. */
export function rangeDurationMs(durationMs: number | null, request: Pick<SamplingRequest, 'startMs' | 'endMs'>): number | null {
  const start = request.startMs ?? 0;
  const end = durationMs === null ? (request.endMs ?? null) : Math.min(request.endMs ?? durationMs, durationMs);
  return end === null ? null : Math.max(0, end - start);
}

/**
 * How many frames a request samples, as far as the probe tells (null: it
 * cannot tell). By time: the range's duration × sample_fps (one frame per
 * interval started inside the range), never more than the frames in range.
 * By stride: the frames in range (the frame count × the range's share of the
 * duration) / stride. Without max_frames; see checkSampledFrames.
 */
export function estimateSampledFrames(
  video: Pick<VideoMetadata, 'frame_count' | 'duration_ms' | 'fps'>,
  request: SamplingRequest,
): number | null {
  const frames = estimateFrameCount(video);
  const ranged = (request.startMs ?? null) !== null || (request.endMs ?? null) !== null;
  const rangeMs = rangeDurationMs(video.duration_ms, request);
  const inRange =
    frames === null ? null : ranged && rangeMs !== null && video.duration_ms ? Math.ceil((frames * rangeMs) / video.duration_ms) : frames;
  if (request.sample === 'keyframes') return request.keyframeCount ?? inRange;
  if (request.sampleFps != null) {
    if (rangeMs === null) return inRange;
    const byTime = Math.ceil(round6((rangeMs * request.sampleFps) / 1000));
    return inRange === null ? byTime : Math.min(byTime, inRange);
  }
  return inRange === null ? null : Math.ceil(inRange / request.frameStride);
}

/**
 * TOO_MANY_FRAMES when a job without max_frames would sample more frames than
 * the cap. The message names the cap and the smallest frame_stride (or the
 * largest sample_fps) that fits, or max_frames. A job with max_frames never
 * samples more than it (intake refuses max_frames over the cap), and an
 * unknown count passes: the extractor stops and fails the job at the first
 * frame over the cap.
 */
export function checkSampledFrames(
  video: Pick<VideoMetadata, 'frame_count' | 'duration_ms' | 'fps'>,
  request: SamplingRequest,
  maxFramesPerJob: number,
): void {
  if (request.maxFrames !== null) return;
  const sampled = estimateSampledFrames(video, request);
  if (sampled === null || sampled <= maxFramesPerJob) return;
  const orMaxFrames = `or max_frames <= ${maxFramesPerJob} to analyse the first frames only`;
  const over = `over this server's limit of ${maxFramesPerJob} per job (FW_MAX_FRAMES_PER_JOB)`;
  const rangeMs = rangeDurationMs(video.duration_ms, request);
  if (request.sample === 'keyframes') {
    throw new DomainError(
      'TOO_MANY_FRAMES',
      `job would sample ${sampled} keyframes, ${over}: pass a shorter start_ms/end_ms range, ${orMaxFrames}`,
      { details: { sampled, limit: maxFramesPerJob } },
    );
  }
  if (request.sampleFps != null && rangeMs !== null && rangeMs > 0) {
    // The largest rate (in thousandths) that fits: sampled frames are ceil(range × fps).
    const fps = Math.floor((maxFramesPerJob * 1_000_000) / rangeMs) / 1000;
    throw new DomainError(
      'TOO_MANY_FRAMES',
      `job would sample ${sampled} frames (${formatMs(rangeMs)} of video at sample_fps ${request.sampleFps}), ${over}: ` +
        `pass sample_fps <= ${fps}, a shorter start_ms/end_ms range, ${orMaxFrames}`,
      { details: { range_ms: rangeMs, sampled, limit: maxFramesPerJob, suggested_sample_fps: fps } },
    );
  }
  const frames = sampled * request.frameStride;
  const stride = Math.ceil(frames / maxFramesPerJob);
  throw new DomainError(
    'TOO_MANY_FRAMES',
    `job would sample ${sampled} frames (${frames} frames at frame_stride ${request.frameStride}), ${over}: ` +
      `pass frame_stride >= ${stride}, ${orMaxFrames}`,
    { details: { frames, sampled, limit: maxFramesPerJob, suggested_frame_stride: stride } },
  );
}

/** Every cap the probe can tell: frame size, duration, range, sampled frames. Throws the first one broken. */
export function checkVideoLimits(video: VideoMetadata, request: SamplingRequest, limits: VideoLimits): void {
  checkFrameSize(video.width, video.height, limits.maxFramePixels);
  checkDuration(video.duration_ms, limits.maxDurationMs);
  checkRange(video.duration_ms, request);
  checkSampledFrames(video, request, limits.maxFramesPerJob);
}

/** The error of a job without max_frames whose decode found one more frame than the cap. */
export function tooManyFramesWhileDecoding(maxFramesPerJob: number, request: SamplingRequest): DomainError {
  const keyframes = request.sample === 'keyframes';
  const at = keyframes
    ? 'as keyframes'
    : request.sampleFps != null
      ? `at sample_fps ${request.sampleFps}`
      : `at frame_stride ${request.frameStride}`;
  const pass = keyframes
    ? 'a shorter range'
    : request.sampleFps != null
      ? 'a smaller sample_fps, a shorter range'
      : 'a larger frame_stride';
  return new DomainError(
    'TOO_MANY_FRAMES',
    `video has more than ${maxFramesPerJob} frames to sample ${at}, this server's limit per job ` +
      `(FW_MAX_FRAMES_PER_JOB): pass ${pass}, or max_frames <= ${maxFramesPerJob} to analyse the first frames only`,
    { details: { limit: maxFramesPerJob } },
  );
}

/** Rounds away float noise (0.1 × 3 = 0.30000000000000004) before a ceil. */
function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

function formatMs(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return `${hms} (${ms} ms)`;
}
