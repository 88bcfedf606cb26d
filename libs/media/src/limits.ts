import { DomainError, type VideoMetadata } from '@framewire/contracts';

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
 * TOO_MANY_FRAMES when a job without max_frames would sample more frames than
 * the cap. The message names the cap and the smallest frame_stride that
 * fits, or max_frames. A job with max_frames never samples more than it
 * (intake refuses max_frames over the cap), and an unknown count passes:
 * the extractor stops and fails the job at the first frame over the cap.
 */
export function checkSampledFrames(frameCount: number | null, request: SamplingRequest, maxFramesPerJob: number): void {
  if (request.maxFrames !== null || frameCount === null) return;
  const sampled = Math.ceil(frameCount / request.frameStride);
  if (sampled <= maxFramesPerJob) return;
  const stride = Math.ceil(frameCount / maxFramesPerJob);
  throw new DomainError(
    'TOO_MANY_FRAMES',
    `job would sample ${sampled} frames (${frameCount} frames at frame_stride ${request.frameStride}), ` +
      `over this server's limit of ${maxFramesPerJob} per job (FW_MAX_FRAMES_PER_JOB): ` +
      `pass frame_stride >= ${stride}, or max_frames <= ${maxFramesPerJob} to analyse the first frames only`,
    { details: { frames: frameCount, sampled, limit: maxFramesPerJob, suggested_frame_stride: stride } },
  );
}

/** Every cap the probe can tell: frame size, duration, sampled frames. Throws the first one broken. */
export function checkVideoLimits(video: VideoMetadata, request: SamplingRequest, limits: VideoLimits): void {
  checkFrameSize(video.width, video.height, limits.maxFramePixels);
  checkDuration(video.duration_ms, limits.maxDurationMs);
  checkSampledFrames(estimateFrameCount(video), request, limits.maxFramesPerJob);
}

/** The error of a job without max_frames whose decode found one more frame than the cap. */
export function tooManyFramesWhileDecoding(maxFramesPerJob: number, frameStride: number): DomainError {
  return new DomainError(
    'TOO_MANY_FRAMES',
    `video has more than ${maxFramesPerJob} frames to sample at frame_stride ${frameStride}, this server's limit per job ` +
      `(FW_MAX_FRAMES_PER_JOB): pass a larger frame_stride, or max_frames <= ${maxFramesPerJob} to analyse the first frames only`,
    { details: { limit: maxFramesPerJob } },
  );
}

function formatMs(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return `${hms} (${ms} ms)`;
}
