import { env } from '@framewire/runtime';

/** 7680 × 4320 (8K UHD). */
export const FRAME_PIXELS_8K = 7680 * 4320;
export const SIX_HOURS_MS = 6 * 3600 * 1000;

/** The video caps intake checks on its probe and the extractor checks again (see limits.ts); part of both apps' config. */
export const VIDEO_LIMITS_CONFIG = {
  maxFramePixels: {
    env: 'FW_MAX_FRAME_PIXELS',
    schema: env.int(FRAME_PIXELS_8K, 1, 1_000_000_000),
    doc: 'the most pixels (width × height) one frame may have (VIDEO_TOO_LARGE past it)',
  },
  maxDurationMs: {
    env: 'FW_MAX_DURATION_MS',
    schema: env.int(SIX_HOURS_MS, 1, 2_147_483_647),
    doc: 'the longest video a job may have (VIDEO_TOO_LONG past it)',
  },
};

/** FW_DECODE_THREADS's default: one decoder thread per video (0: ffmpeg's own choice). Measured in bench/decoder.ts: less CPU per frame, and more frames/s once models share the cores. */
export const DEFAULT_DECODE_THREADS = 1;

/** FW_DECODE_THREADS → the decode's `-threads` (null: ffmpeg's own choice, no option passed). */
export function decodeThreadsOption(threads: number): number | null {
  return threads === 0 ? null : threads;
}

/** Which ffmpeg/ffprobe pair runs (see binaries.ts); part of the config of the apps that probe or decode. */
export const DECODER_CONFIG = {
  decoder: {
    env: 'FW_DECODER',
    schema: env.enumOf(['auto', 'system', 'bundled'] as const, 'auto'),
    doc: 'which ffmpeg and ffprobe run: `auto` prefers the system pair on PATH over the npm build, `system` requires it, `bundled` always takes the npm build (FFMPEG_PATH / FFPROBE_PATH override any)',
  },
};
