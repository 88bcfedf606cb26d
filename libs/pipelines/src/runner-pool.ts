/**
 * Several frames at once in one process: a pool of worker threads, each with
 * its own plugins, pipelines and ONNX sessions (cores / workers intra-op
 * threads each by default), running whole frames through an
 * InProcessPipelineRunner.
 *
 * Why: onnxruntime-node's `session.run` executes on the JavaScript thread
 * that calls it (the Promise only defers the call), so two sessions in one
 * thread never overlap, and one session's intra-op threads, without spinning,
 * scale poorly on the PaddleOCR models (bench/: det on a 2-core machine ran
 * 6.0 frames/s with one session × 2 threads, 12.1 with two sessions × 1
 * thread in parallel). One session per core, each in its own thread, is the
 * inference limit; this pool gives it to a single process. Frames queue in
 * the pool and go to whichever worker is free first; give it a few more
 * frames than workers so none waits for the next frame.
 *
 * A PipelineRunner (init, run, versionInfo, pipelineIds, close), so it can
 * stand wherever one is injected; `createPipelineRuntime` builds it with the
 * registries it has just validated in this thread (no model is loaded here),
 * and each worker builds the same runtime from the same plain-data config, with
 * an InProcessPipelineRunner. Results are identical. A frame's JPEG bytes
 * are copied once (a few hundred kB) and moved to the worker; the result
 * comes back as JSON data.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DomainError, type ErrorCode } from '@framewire/contracts';
import type { FrameImage, FrameInput } from './frame';
import type { PipelineRegistry } from './registry';
import type { PipelineRunner, PipelineRunResult, PipelineVersionInfo } from './runner';
import type { PipelineRuntimeConfig } from './runtime';

/** What the pool needs (plain data: `runtime` crosses a thread boundary, and each worker builds its runtime from it). */
export interface RunnerPoolConfig {
  /** Worker threads (frames run at once). */
  workers: number;
  /** The runtime each worker builds, with one worker of its own (onnxThreads already shared out by the caller). */
  runtime: Omit<PipelineRuntimeConfig, 'workers'>;
}

/** Messages between the pool and its workers. */
export type PoolRequest =
  { kind: 'init'; pipelineIds: string[] | null } | { kind: 'run'; id: number; pipelineId: string; frame: FrameInput } | { kind: 'close' };
export type PoolReply =
  | { kind: 'ready'; pipelineIds: string[]; versions: PipelineVersionInfo[] }
  | { kind: 'result'; id: number; result: PipelineRunResult }
  | { kind: 'error'; id: number | null; error: { message: string; code?: string; details?: Record<string, unknown> } }
  | { kind: 'closed' };

interface Slot {
  worker: Worker;
  busy: number;
  exited: Promise<void>;
}

export class ThreadPoolPipelineRunner implements PipelineRunner {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, { resolve: (r: PipelineRunResult) => void; reject: (e: Error) => void; slot: Slot | null }>();
  private readonly queue: Array<Extract<PoolRequest, { kind: 'run' }>> = [];
  private readonly initWaiters = new Map<Slot, { resolve: (r: PoolReply) => void; reject: (e: Error) => void }>();
  private versions = new Map<string, PipelineVersionInfo>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(
    private readonly pipelines: PipelineRegistry,
    private readonly config: RunnerPoolConfig,
  ) {
    if (!Number.isInteger(config.workers) || config.workers < 1) throw new Error('workers must be an integer >= 1');
  }

  /** Start the workers and load the models of the given pipelines (default: all) in each, one worker after the other. */
  async init(pipelineIds?: readonly string[]): Promise<void> {
    for (let i = 0; i < this.config.workers; i++) {
      const slot = this.spawn();
      this.slots.push(slot);
      const ready = await this.request(slot, { kind: 'init', pipelineIds: pipelineIds ? [...pipelineIds] : null });
      if (ready.kind !== 'ready') throw new Error('pipeline worker did not start');
      this.versions = new Map(ready.versions.map((v) => [v.id, v]));
    }
  }

  pipelineIds(): string[] {
    return this.pipelines.ids();
  }

  versionInfo(pipelineId: string): PipelineVersionInfo {
    const v = this.versions.get(pipelineId);
    if (!v) throw new DomainError('INTERNAL', `pipeline '${pipelineId}' is not initialised in the pool`);
    return v;
  }

  /** Frames the pool runs at once. */
  get size(): number {
    return this.config.workers;
  }

  run(pipelineId: string, frame: FrameInput | FrameImage): Promise<PipelineRunResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.slots.length === 0) return Promise.reject(new Error('ThreadPoolPipelineRunner.init() was not called'));
    const id = this.nextId++;
    // A copy of the bytes: the caller keeps its buffer, the worker gets this one (transferred, not copied again).
    const plain: FrameInput = {
      jpeg: new Uint8Array(frame.jpeg),
      width: frame.width,
      height: frame.height,
      index: frame.index,
      ptsMs: frame.ptsMs,
    };
    return new Promise<PipelineRunResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot: null });
      this.queue.push({ kind: 'run', id, pipelineId, frame: plain });
      this.dispatch();
    });
  }

  /** Frames waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * One frame per worker at a time, from one queue: a frame waits for the first worker to be free, never behind a
   * slow frame on a busy worker (frames differ a lot: text recognition costs per line found).
   */
  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy > 0) continue;
      const req = this.queue.shift() as Extract<PoolRequest, { kind: 'run' }>;
      const p = this.pending.get(req.id);
      if (!p) continue;
      p.slot = slot;
      slot.busy++;
      slot.worker.postMessage(req, [req.frame.jpeg.buffer as ArrayBuffer]);
    }
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const s of slots) s.worker.postMessage({ kind: 'close' } satisfies PoolRequest);
    await Promise.all(
      slots.map(async (s) => {
        const t = setTimeout(() => void s.worker.terminate(), 10_000);
        await s.exited;
        clearTimeout(t);
      }),
    );
  }

  private spawn(): Slot {
    const ext = extname(__filename);
    const file = join(__dirname, `runner-pool.worker${ext}`);
    // From sources (ts-node, jest), the worker needs the same TypeScript hooks as its parent.
    const execArgv = ext === '.ts' ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'] : [];
    const worker = new Worker(file, { workerData: this.config.runtime, execArgv });
    const slot: Slot = { worker, busy: 0, exited: new Promise((r) => worker.once('exit', () => r())) };
    worker.on('message', (m: PoolReply) => this.onReply(slot, m));
    worker.on('error', (err) => this.onWorkerFailure(err));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) this.onWorkerFailure(new Error(`pipeline worker exited (${code})`));
    });
    return slot;
  }

  private request(slot: Slot, req: PoolRequest): Promise<PoolReply> {
    return new Promise((resolve, reject) => {
      this.initWaiters.set(slot, { resolve, reject });
      slot.worker.postMessage(req);
    });
  }

  private onReply(slot: Slot, m: PoolReply): void {
    if (m.kind === 'ready' || (m.kind === 'error' && m.id === null)) {
      const w = this.initWaiters.get(slot);
      this.initWaiters.delete(slot);
      if (m.kind === 'ready') w?.resolve(m);
      else w?.reject(new Error(m.error.message));
      return;
    }
    if (m.kind === 'closed' || m.id === null) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (p.slot) p.slot.busy--;
    if (m.kind === 'result') p.resolve(m.result);
    else if (m.error.code) p.reject(new DomainError(m.error.code as ErrorCode, m.error.message, { details: m.error.details }));
    else p.reject(new Error(m.error.message));
    this.dispatch();
  }

  /** A worker that dies takes the pool with it: every frame in flight and every later run fails. */
  private onWorkerFailure(err: Error): void {
    this.failure ??= err;
    this.queue.length = 0;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
    for (const w of this.initWaiters.values()) w.reject(err);
    this.initWaiters.clear();
  }
}
