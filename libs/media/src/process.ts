import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { DomainError } from '@framewire/contracts';
import { LineSplitter, LineTail } from './ffmpeg-log';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the process has exited and its stdio closed; rejects if it could not be started. */
export function watchExit(child: ChildProcess): Promise<ExitInfo> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

export function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** SIGKILL: we never need a half-finished ffmpeg's remaining output. */
export function killIfRunning(child: ChildProcess): void {
  if (isRunning(child)) child.kill('SIGKILL');
}

export function spawnFailure(command: string, err: unknown): DomainError {
  const reason = err instanceof Error ? err.message : String(err);
  return new DomainError('INTERNAL', `could not run ${basename(command)}: ${reason}`, { cause: err });
}

export interface CaptureOptions {
  timeoutMs: number;
  maxStdoutBytes: number;
  /** How many trailing stderr lines to keep (default 40). */
  stderrLines?: number;
  signal?: AbortSignal;
}

export interface CaptureResult extends ExitInfo {
  stdout: Buffer;
  stderrTail: string[];
}

/**
 * Runs a short-lived command (no shell) and collects its stdout and the tail
 * of its stderr. The process is killed on timeout, abort, or oversized output.
 */
export async function runAndCapture(command: string, args: readonly string[], opts: CaptureOptions): Promise<CaptureResult> {
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = watchExit(child);
  const chunks: Buffer[] = [];
  let stdoutBytes = 0;
  const failures: Error[] = [];
  const fail = (err: Error): void => {
    failures.push(err);
    killIfRunning(child);
  };

  const tail = new LineTail(opts.stderrLines);
  const splitter = new LineSplitter((line) => tail.push(line));
  child.stderr.on('data', (chunk: Buffer) => splitter.push(chunk));
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes > opts.maxStdoutBytes)
      fail(new DomainError('INVALID_VIDEO', `${basename(command)} output exceeds ${opts.maxStdoutBytes} bytes`));
    else chunks.push(chunk);
  });
  const timer = setTimeout(
    () => fail(new DomainError('TIMEOUT', `${basename(command)} did not finish within ${opts.timeoutMs} ms`)),
    opts.timeoutMs,
  );
  const onAbort = (): void => fail(abortReason(opts.signal));
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const info = await exit.catch((err: unknown) => {
      throw spawnFailure(command, err);
    });
    splitter.end();
    if (failures.length > 0) throw failures[0];
    return { ...info, stdout: Buffer.concat(chunks), stderrTail: tail.toArray() };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    killIfRunning(child);
  }
}

/** The error an aborted operation rejects with: the signal's reason, or a standard AbortError. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}
