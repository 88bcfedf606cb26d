import { InvalidArgumentError } from 'commander';
import { SAMPLE_MODES, type SampleMode } from '@framewire/contracts';

/**
 * The CLI's sampling options (`--sample-fps`, `--start`, `--end`) and how a
 * job's sampling reads. Times are video time: `90` or `90s` (seconds),
 * `1500ms`, `1:30` or `1:02:03.5`.
 */
export interface SamplingOptions {
  stride?: number;
  sampleFps?: number;
  start?: number;
  end?: number;
  /** `--sample keyframes`: only the keyframes. */
  sample?: SampleMode;
}

/** `--sample`: frames or keyframes. */
export function parseSampleMode(value: string): SampleMode {
  const v = value.trim();
  if (!(SAMPLE_MODES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${SAMPLE_MODES.join(', ')}`);
  return v as SampleMode;
}

/** A video time → whole milliseconds. */
export function parseVideoTime(value: string): number {
  const v = value.trim();
  let ms: number | null = null;
  let m: RegExpExecArray | null;
  if ((m = /^(\d+(?:\.\d+)?)ms$/.exec(v))) ms = Number(m[1]);
  else if ((m = /^(\d+(?:\.\d+)?)s?$/.exec(v))) ms = Number(m[1]) * 1000;
  else if ((m = /^(?:(\d+):)?([0-5]?\d):([0-5]?\d(?:\.\d+)?)$/.exec(v)))
    ms = ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
  if (ms === null || !Number.isFinite(ms)) {
    throw new InvalidArgumentError('must be a video time: 90 or 90s (seconds), 1500ms, 1:30 or 1:02:03.5');
  }
  return Math.round(ms);
}

/** Frames per second of video time: a positive number (the server checks its bounds). */
export function parseSampleFps(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(Number(value) > 0))
    throw new InvalidArgumentError('must be a positive number, e.g. 2 or 0.5');
  return Number(value);
}

/** "stride 5", "2 fps, 0:10–0:20": how a job samples, for one line of output. */
export function describeSampling(job: {
  frameStride: number;
  sampleFps?: number;
  startMs?: number;
  endMs?: number;
  sample?: string;
}): string {
  const how = job.sample === 'keyframes' ? 'keyframes' : job.sampleFps !== undefined ? `${job.sampleFps} fps` : `stride ${job.frameStride}`;
  if (job.startMs === undefined && job.endMs === undefined) return how;
  return `${how}, ${formatVideoTime(job.startMs ?? 0)}–${job.endMs === undefined ? 'end' : formatVideoTime(job.endMs)}`;
}

/** ms → m:ss(.mmm) or h:mm:ss(.mmm). */
export function formatVideoTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const frac = ms % 1000 === 0 ? '' : `.${String(ms % 1000).padStart(3, '0')}`;
  const [h, mm, ss] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const tail = `${String(ss).padStart(2, '0')}${frac}`;
  return h > 0 ? `${h}:${String(mm).padStart(2, '0')}:${tail}` : `${mm}:${tail}`;
}
