import { type ChildProcess, spawn } from 'node:child_process';
import { type Readable } from 'node:stream';
import { DomainError } from '@framewire/contracts';
import { resolveFfmpegPath } from './binaries';
import { buildDecodeArgs, isTimedPlan, unpackTimedPts } from './decode-args';
import { classifyDecodeLine, frameTimeMs, parseProgressLine, type ShowinfoFrame } from './decode-log';
import { LineSplitter, LineTail, summarizeStderr } from './ffmpeg-log';
import { nonVideoFormatReason } from './formats';
import { frameIndexAtPts, type KeyframeTable } from './keyframes';
import { JpegSplitter, JpegStreamError, type SplitJpeg } from './jpeg-splitter';
import { checkDuration, checkFrameSize } from './limits';
import { abortReason, type ExitInfo, killIfRunning, spawnFailure, watchExit } from './process';

export const DEFAULT_JPEG_QUALITY = 85;

export interface DecodedFrame {
  /** Original decoded-frame index in the whole video, 0-based (a multiple of the stride when sampling by stride). */
  index: number;
  /** Presentation time in ms from the start of the video (µs precision). */
  ptsMs: number;
  /** The JPEG's size: the frame as analysed (scaled down to maxWidth when wider). */
  width: number;
  height: number;
  /**
   * The frame's size as decoded, before scaling: the source video as
   * displayed (ffmpeg applies rotation metadata when it decodes), which
   * results are mapped back to.
   */
  sourceWidth: number;
  sourceHeight: number;
  jpeg: Buffer;
}

export interface DecodeProgress {
  /** Frames decoded so far, sampled or not (reported by ffmpeg about twice a second). */
  decodedFrames: number;
  /** Sampled frames handed to the caller so far. */
  sampledFrames: number;
}

export interface DecodeOptions {
  /** Keep frames whose decoded index is a multiple of this (≥ 1); must be 1 with sampleFps. */
  stride: number;
  /**
   * Sampling by time: keep the first frame at or after each multiple of
   * 1/sampleFps seconds from startMs (by pts, so right on variable frame rate
   * video). Frames keep their index in the whole video and their own pts.
   */
  sampleFps?: number | null;
  /**
   * Decode only the keyframes (`-skip_frame nokey`), with the video's table
   * from probeKeyframes() which gives each its index in the whole video;
   * stride must then be 1 and sampleFps null.
   */
  keyframes?: KeyframeTable | null;
  /** Decoder threads (`-threads`); null or absent: ffmpeg's default. */
  decodeThreads?: number | null;
  /** Keep only frames whose pts is in [startMs, endMs) (ms, like DecodedFrame.ptsMs). */
  startMs?: number | null;
  endMs?: number | null;
  /** Stop after this many sampled frames (ffmpeg is stopped, the rest is not decoded); null = all. */
  maxFrames: number | null;
  /** Aborting kills ffmpeg; the iterator then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** 1–100, default 85. */
  jpegQuality?: number;
  /** Frames wider than this are scaled down (aspect kept) before encoding. */
  maxWidth?: number;
  /**
   * Called about twice a second while ffmpeg decodes, also between sampled
   * frames that are far apart: the place to extend a work lease. A throw
   * stops the decode and the iterator rejects with it.
   */
  onProgress?: (progress: DecodeProgress) => void;
  /** A sampled frame of more pixels (width × height as decoded, rotation applied) fails the decode with VIDEO_TOO_LARGE. */
  maxFramePixels?: number;
  /** A sampled frame later than this fails the decode with VIDEO_TOO_LONG. */
  maxDurationMs?: number;
  /**
   * Budget for the time spent waiting on ffmpeg for frames (the time the
   * caller keeps a frame is not counted: a decode held back by a slow
   * consumer is not slow). Past it ffmpeg is killed and the iterator rejects
   * with DECODE_TIMEOUT.
   */
  timeoutMs?: number;
  /** Defaults to resolveFfmpegPath(). */
  ffmpegPath?: string;
}

/**
 * Decodes the first video stream of the file at `path` (a path, never a pipe:
 * an MP4 with its moov atom at the end cannot be read from one) and yields the
 * sampled frames as JPEG, in order. ffmpeg runs as long as the iteration does:
 * stopping early (break, maxFrames, abort, error) kills it.
 *
 * Throws DomainError INVALID_VIDEO ("could not decode video: …") when ffmpeg
 * cannot read the file, INVALID_ARGUMENT for bad options, VIDEO_TOO_LARGE,
 * VIDEO_TOO_LONG or DECODE_TIMEOUT past the limits given (ffmpeg is killed).
 */
export async function* decodeFrames(path: string, opts: DecodeOptions): AsyncGenerator<DecodedFrame, void, undefined> {
  validateDecodeOptions(opts);
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  const session = new DecodeSession(path, opts);
  try {
    for (let k = 0; opts.maxFrames === null || k < opts.maxFrames; k++) {
      const frame = await session.nextFrame();
      // A frame already decoded when the signal fired is not handed out: aborting ends the iteration.
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      if (!frame) break;
      if (k + 1 === opts.maxFrames) session.stop();
      yield frame;
    }
    await session.finish();
  } finally {
    await session.dispose();
  }
}

export function validateDecodeOptions(opts: DecodeOptions): void {
  const bad = (message: string): never => {
    throw new DomainError('INVALID_ARGUMENT', message);
  };
  if (!Number.isInteger(opts.stride) || opts.stride < 1) bad('stride must be an integer >= 1');
  if (opts.maxFrames !== null && (!Number.isInteger(opts.maxFrames) || opts.maxFrames < 1))
    bad('maxFrames must be null or an integer >= 1');
  const fps = opts.sampleFps ?? null;
  if (fps !== null && !(Number.isFinite(fps) && fps > 0)) bad('sampleFps must be a number > 0');
  if (fps !== null && opts.stride !== 1) bad('sampleFps and a stride other than 1 are mutually exclusive');
  if (opts.keyframes && (fps !== null || opts.stride !== 1)) bad('keyframes cannot be combined with sampleFps or a stride other than 1');
  const threads = opts.decodeThreads ?? null;
  if (threads !== null && (!Number.isInteger(threads) || threads < 0)) bad('decodeThreads must be an integer >= 0');
  const start = opts.startMs ?? null;
  const end = opts.endMs ?? null;
  if (start !== null && !(Number.isFinite(start) && start >= 0)) bad('startMs must be a number >= 0');
  if (end !== null && !(Number.isFinite(end) && end > (start ?? 0))) bad('endMs must be a number > startMs');
  const q = opts.jpegQuality;
  if (q !== undefined && (!Number.isInteger(q) || q < 1 || q > 100)) bad('jpegQuality must be an integer from 1 to 100');
  const w = opts.maxWidth;
  if (w !== undefined && (!Number.isInteger(w) || w < 1)) bad('maxWidth must be an integer >= 1');
  for (const key of ['maxFramePixels', 'maxDurationMs', 'timeoutMs'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) bad(`${key} must be a number > 0`);
  }
}

/** Encoded frames buffered ahead of the caller before ffmpeg's stdout is paused. */
const READ_AHEAD_FRAMES = 4;

/**
 * One ffmpeg process: pairs showinfo lines (stderr) with JPEGs (stdout),
 * keeps stdout paused beyond a small read-ahead, and turns the process's end
 * into either "no more frames" or a DomainError.
 */
class DecodeSession {
  private readonly child: ChildProcess;
  private readonly stdout: Readable;
  private readonly exited: Promise<void>;
  private readonly splitter = new JpegSplitter();
  private readonly jpegs: SplitJpeg[] = [];
  private readonly infos: ShowinfoFrame[] = [];
  private readonly stderrTail = new LineTail();
  private timeBase: { num: number; den: number } | null = null;
  private exit: ExitInfo | null = null;
  private failure: Error | null = null;
  private stopped = false;
  private sampled = 0;
  /** JPEG and showinfo line pairs taken (sampled frames, and in a keyframe decode the non-keyframes dropped too). */
  private paired = 0;
  /**
   * A keyframe decode: the indices of the keyframes. A decoder that ignores
   * -skip_frame hands over every frame; those that are not keyframes are
   * dropped here, so what is sampled is what was counted.
   */
  private readonly keyIndexes: Set<number> | null;
  private lastPtsMs = 0;
  /** Sampling by time or range: showinfo's pts packs the decoded index and the time (see decode-args.ts). */
  private readonly timed: boolean;
  private wake: (() => void) | null = null;
  /** Time spent waiting on ffmpeg for frames so far, against opts.timeoutMs. */
  private waitedMs = 0;

  constructor(
    private readonly path: string,
    private readonly opts: DecodeOptions,
  ) {
    const command = opts.ffmpegPath ?? resolveFfmpegPath();
    const args = buildDecodeArgs({
      path,
      stride: opts.stride,
      maxFrames: opts.maxFrames,
      jpegQuality: opts.jpegQuality ?? DEFAULT_JPEG_QUALITY,
      maxWidth: opts.maxWidth,
      sampleFps: opts.sampleFps,
      startMs: opts.startMs,
      endMs: opts.endMs,
      keyframes: Boolean(opts.keyframes),
      decodeThreads: opts.decodeThreads,
    });
    this.timed = isTimedPlan({ ...opts, keyframes: Boolean(opts.keyframes) });
    this.keyIndexes = opts.keyframes ? new Set(opts.keyframes.keyframes.map((k) => k.index)) : null;
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    this.stdout = this.child.stdout as Readable;
    this.exited = watchExit(this.child).then(
      (info) => this.onExit(info),
      (err: unknown) => this.onExit({ code: null, signal: null }, spawnFailure(command, err)),
    );
    this.listen();
  }

  private listen(): void {
    const stderr = new LineSplitter((line) => this.onStderrLine(line));
    const progress = new LineSplitter((line) => this.onProgressLine(line));
    const progressPipe = this.child.stdio[3] as Readable;
    this.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk)).on('end', () => stderr.end());
    progressPipe.on('data', (chunk: Buffer) => progress.push(chunk));
    this.stdout.on('data', (chunk: Buffer) => this.onJpegBytes(chunk));
    for (const stream of [this.stdout, this.child.stderr, progressPipe]) stream?.on('error', (err) => this.fail(err));
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The next sampled frame; null when ffmpeg has finished. */
  async nextFrame(): Promise<DecodedFrame | null> {
    for (;;) {
      if (this.opts.signal?.aborted) throw abortReason(this.opts.signal);
      if (this.failure) throw this.failure;
      const frame = this.takeFrame();
      if (frame) return frame;
      if (this.exit) return null;
      await this.waitForFfmpeg();
    }
  }

  /** Sleeps until ffmpeg has something to say, within what is left of the decode's time budget. */
  private async waitForFfmpeg(): Promise<void> {
    const budget = this.opts.timeoutMs;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (budget === undefined) return;
        timer = setTimeout(
          () =>
            this.fail(
              new DomainError('DECODE_TIMEOUT', `decoding took longer than this server's limit of ${budget} ms (FW_DECODE_TIMEOUT_MS)`, {
                details: { limit_ms: budget, sampled_frames: this.sampled },
              }),
            ),
          Math.max(0, budget - this.waitedMs),
        );
      });
    } finally {
      clearTimeout(timer);
      this.waitedMs += Date.now() - started;
    }
  }

  /** No more frames wanted: kill ffmpeg now rather than let it decode on. */
  stop(): void {
    this.stopped = true;
    killIfRunning(this.child);
  }

  /** After the last frame: surfaces a failed or empty decode. */
  async finish(): Promise<void> {
    if (this.stopped) return;
    await this.exited;
    if (this.failure) throw this.failure;
    const exit = this.exit as ExitInfo;
    if (exit.code !== 0) {
      const reason = summarizeStderr(this.stderrTail.toArray(), this.path);
      throw new DomainError('INVALID_VIDEO', `could not decode video: ${reason}`, {
        details: { exit_code: exit.code, signal: exit.signal },
      });
    }
    if (this.splitter.pendingBytes > 0 || this.jpegs.length > 0) {
      throw new DomainError('INTERNAL', 'ffmpeg output ended inside a frame, or with frames showinfo did not report');
    }
    if (this.sampled === 0 && this.opts.keyframes && (this.opts.startMs != null || this.opts.endMs != null)) {
      throw new DomainError(
        'RANGE_OUTSIDE_VIDEO',
        `no keyframe of the video is in [${this.opts.startMs ?? 0}, ${this.opts.endMs ?? 'end'}) ms`,
        {
          details: { start_ms: this.opts.startMs ?? null, end_ms: this.opts.endMs ?? null },
        },
      );
    }
    if (this.sampled === 0 && (this.opts.startMs ?? 0) > 0) {
      throw new DomainError('RANGE_OUTSIDE_VIDEO', `no frame of the video is at or after start_ms ${this.opts.startMs}`, {
        details: { start_ms: this.opts.startMs, end_ms: this.opts.endMs ?? null },
      });
    }
    if (this.sampled === 0) throw new DomainError('INVALID_VIDEO', 'could not decode video: no frame could be decoded');
  }

  /** Kills ffmpeg if it still runs, drops its unread output, and waits for it to be gone. */
  async dispose(): Promise<void> {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    killIfRunning(this.child);
    for (const stream of this.child.stdio) stream?.destroy();
    await this.exited;
  }

  private takeFrame(): DecodedFrame | null {
    for (;;) {
      if (this.jpegs.length === 0 || this.infos.length === 0) return null;
      const jpeg = this.jpegs.shift() as SplitJpeg;
      const info = this.infos.shift() as ShowinfoFrame;
      if (this.jpegs.length < READ_AHEAD_FRAMES) this.stdout.resume();
      if (info.n !== this.paired) {
        throw new DomainError('INTERNAL', `frame bookkeeping out of step: showinfo frame ${info.n}, output frame ${this.paired}`);
      }
      this.paired += 1;
      const { index, ptsMs } = this.indexAndTime(info);
      if (this.keyIndexes !== null && !this.keyIndexes.has(index)) continue;
      return this.handOut(jpeg, info, index, ptsMs);
    }
  }

  private handOut(jpeg: SplitJpeg, info: ShowinfoFrame, index: number, ptsMs: number | null): DecodedFrame {
    this.sampled += 1;
    this.lastPtsMs = ptsMs ?? this.lastPtsMs;
    return {
      index,
      ptsMs: this.lastPtsMs,
      width: jpeg.width,
      height: jpeg.height,
      // showinfo sits before the scale filter (see decode-args.ts): it reports the decoded, rotated size
      sourceWidth: info.width,
      sourceHeight: info.height,
      jpeg: jpeg.bytes,
    };
  }

  /** A sampled frame's decoded index and time: unpacked from its pts when timed, else counted (k·stride). */
  private indexAndTime(info: ShowinfoFrame): { index: number; ptsMs: number | null } {
    if (this.opts.keyframes) return this.keyframeIndexAndTime(info, this.opts.keyframes);
    if (!this.timed) return { index: this.sampled * this.opts.stride, ptsMs: frameTimeMs(info, this.timeBase) };
    const unpacked = info.pts === null ? null : unpackTimedPts(info.pts);
    if (unpacked === null) {
      // n ≥ 2^21 frames or a time ≥ 11.9 h no longer fit the double the packing is computed in.
      throw new DomainError(
        'VIDEO_TOO_LONG',
        `video is too long to sample by time or range (frame ${info.n} has pts ${info.pts ?? 'none'}): ` +
          'at most 2097152 frames and 11.9 h; sample by frame_stride instead',
      );
    }
    return unpacked;
  }

  /** A keyframe decode's frame: its index from the packet table, by its pts (see keyframes.ts). */
  private keyframeIndexAndTime(info: ShowinfoFrame, table: KeyframeTable): { index: number; ptsMs: number | null } {
    const index = info.pts === null ? null : frameIndexAtPts(table, info.pts);
    if (index === null) {
      throw new DomainError(
        'INVALID_VIDEO',
        `could not decode video: keyframe ${info.n} (pts ${info.pts ?? 'none'}) is not a frame of the stream`,
      );
    }
    return { index, ptsMs: frameTimeMs(info, this.timeBase) };
  }

  private onJpegBytes(chunk: Buffer): void {
    try {
      this.jpegs.push(...this.splitter.push(chunk));
    } catch (err) {
      const reason = err instanceof JpegStreamError ? err.message : String(err);
      this.fail(new DomainError('INTERNAL', `unreadable JPEG stream from ffmpeg: ${reason}`, { cause: err }));
      return;
    }
    if (this.jpegs.length >= READ_AHEAD_FRAMES) this.stdout.pause();
    this.notify();
  }

  private onStderrLine(line: string): void {
    const entry = classifyDecodeLine(line);
    if (!entry) return;
    switch (entry.kind) {
      case 'frame':
        this.checkLimits(entry.frame);
        this.infos.push(entry.frame);
        this.notify();
        return;
      case 'timebase':
        this.timeBase = { num: entry.num, den: entry.den };
        return;
      case 'input': {
        const reason = nonVideoFormatReason(entry.format);
        if (reason) this.fail(new DomainError('INVALID_VIDEO', `could not decode video: ${reason}`));
        return;
      }
      case 'other':
        this.stderrTail.push(entry.line);
        return;
    }
  }

  /** A frame over a limit stops the decode before its JPEG goes anywhere. */
  private checkLimits(frame: ShowinfoFrame): void {
    try {
      if (this.opts.maxFramePixels !== undefined) checkFrameSize(frame.width, frame.height, this.opts.maxFramePixels);
      if (this.opts.maxDurationMs !== undefined) {
        const ms = this.timed
          ? frame.pts === null
            ? null
            : (unpackTimedPts(frame.pts)?.ptsMs ?? null)
          : frameTimeMs(frame, this.timeBase);
        checkDuration(ms, this.opts.maxDurationMs);
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private onProgressLine(line: string): void {
    const decodedFrames = parseProgressLine(line);
    if (decodedFrames === null || !this.opts.onProgress) return;
    try {
      this.opts.onProgress({ decodedFrames, sampledFrames: this.sampled });
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private readonly onAbort = (): void => {
    killIfRunning(this.child);
    this.notify();
  };

  private onExit(info: ExitInfo, failure?: Error): void {
    this.exit = info;
    if (failure) this.failure ??= failure;
    this.notify();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    killIfRunning(this.child);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
