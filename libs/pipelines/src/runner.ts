/**
 * Runs one frame through one pipeline: nodes in topological order, each given
 * the frame (decoded at most once, shared) and its predecessors' outputs.
 * Any failure, including an undecodable JPEG, is a FRAME_FAILED naming the node.
 *
 * `PipelineRunner` is what callers hold; `InProcessPipelineRunner` (here) runs
 * frames on the calling thread, `ThreadPoolPipelineRunner` (runner-pool.ts) on
 * worker threads, each with an InProcessPipelineRunner of its own.
 * `createPipelineRuntime` (runtime.ts) picks one.
 */
import { DomainError, describeError } from '@framewire/contracts';
import type { CompiledPipeline } from './definition';
import { FrameImage, type FrameInput, type ImageCodec } from './frame';
import type { ModelRef, PluginRegistry } from './plugin';
import type { PipelineRegistry } from './registry';

export interface PipelineRunResult {
  /** Output node id → what that node produced (JSON data, never image bytes). */
  result: Record<string, unknown>;
  /** Node id → wall time of that node, ms. */
  timings_ms: Record<string, number>;
}

export interface PipelineVersionInfo {
  id: string;
  version: string;
  plugins: Array<{ id: string; version: string }>;
  models: ModelRef[];
}

export interface PipelineRunnerOptions {
  /** Decoder for frames passed as plain FrameInput (default: sharp). */
  codec?: ImageCodec;
  /** Monotonic clock in ms (tests). */
  now?: () => number;
}

/** Runs frames through the registered pipelines. Results are the same whichever implementation runs them. */
export interface PipelineRunner {
  /** Load the models of the given pipelines (default: every registered one). Call at start. */
  init(pipelineIds?: readonly string[]): Promise<void>;
  /** One frame through one pipeline; a failure of the frame is a FRAME_FAILED DomainError naming the node. */
  run(pipelineId: string, frame: FrameInput | FrameImage): Promise<PipelineRunResult>;
  versionInfo(pipelineId: string): PipelineVersionInfo;
  /** Ids of the pipelines this runner offers. */
  pipelineIds(): string[];
  /** Releases the models (and threads, if any). */
  close(): Promise<void>;
}

/** Runs each frame on the calling thread (an ONNX session runs on the thread that calls it). */
export class InProcessPipelineRunner implements PipelineRunner {
  private readonly codec: ImageCodec | undefined;
  private readonly now: () => number;

  constructor(
    private readonly pipelines: PipelineRegistry,
    private readonly plugins: PluginRegistry,
    options: PipelineRunnerOptions = {},
  ) {
    this.codec = options.codec;
    this.now = options.now ?? (() => performance.now());
  }

  async init(pipelineIds: readonly string[] = this.pipelines.ids()): Promise<void> {
    const uses = new Map<string, Set<string>>();
    for (const id of pipelineIds) {
      for (const [plugin, tools] of this.pipelines.get(id).uses) {
        const set = uses.get(plugin) ?? new Set<string>();
        for (const t of tools) set.add(t);
        uses.set(plugin, set);
      }
    }
    // One plugin after the other: model loading is CPU- and memory-heavy.
    for (const [plugin, tools] of uses) await this.plugins.ensureReady(plugin, tools);
  }

  async close(): Promise<void> {
    await this.plugins.close();
  }

  pipelineIds(): string[] {
    return this.pipelines.ids();
  }

  async run(pipelineId: string, frameInput: FrameInput | FrameImage): Promise<PipelineRunResult> {
    const pipeline = this.pipelines.get(pipelineId);
    await this.ensureReady(pipeline);
    const frame = FrameImage.of(frameInput, this.codec);
    const outputs = new Map<string, unknown>();
    const timings: Record<string, number> = {};
    const byId = new Map(pipeline.order.map((n) => [n.id, n]));

    for (const node of pipeline.order) {
      const inputs: Record<string, unknown> = {};
      const inputsByType: Record<string, unknown[]> = {};
      for (const p of node.predecessors) {
        const value = outputs.get(p);
        inputs[p] = value;
        for (const t of byId.get(p)!.outputTypes) (inputsByType[t] ??= []).push(value);
      }
      const started = this.now();
      let value: unknown;
      try {
        value = await node.impl.run({ frame, inputs, inputsByType }, { pipelineId, nodeId: node.id, params: node.params });
      } catch (err) {
        throw nodeFailure(node, describeError(err), err);
      } finally {
        timings[node.id] = Math.round((this.now() - started) * 100) / 100;
      }
      outputs.set(node.id, value);
    }

    const result: Record<string, unknown> = {};
    for (const id of pipeline.definition.outputs) {
      const value = outputs.get(id);
      const where = findBinary(value, '');
      if (where !== null) {
        throw nodeFailure(byId.get(id)!, `returned binary data at '${where || '.'}'; results must be JSON data`);
      }
      result[id] = value ?? null;
    }
    return { result, timings_ms: timings };
  }

  versionInfo(pipelineId: string): PipelineVersionInfo {
    const pipeline = this.pipelines.get(pipelineId);
    const plugins: Array<{ id: string; version: string }> = [];
    const models: ModelRef[] = [];
    const seen = new Set<string>();
    for (const [pluginId, tools] of pipeline.uses) {
      if (!this.plugins.isReady(pluginId, tools)) {
        throw new DomainError('INTERNAL', `pipeline '${pipelineId}' is not initialised: call PipelineRunner.init() first`);
      }
      plugins.push({ id: pluginId, version: this.plugins.get(pluginId).manifest.version });
      for (const tool of tools) {
        for (const m of this.plugins.findTool(pluginId, tool)?.tool.models?.() ?? []) {
          if (seen.has(m.sha256)) continue;
          seen.add(m.sha256);
          models.push({ name: m.name, sha256: m.sha256 });
        }
      }
    }
    return { id: pipeline.definition.id, version: pipeline.definition.version, plugins, models };
  }

  private async ensureReady(pipeline: CompiledPipeline): Promise<void> {
    for (const [plugin, tools] of pipeline.uses) {
      if (!this.plugins.isReady(plugin, tools)) await this.plugins.ensureReady(plugin, tools);
    }
  }
}

function nodeFailure(node: { id: string; plugin: string; tool: string }, message: string, cause?: unknown): DomainError {
  return new DomainError('FRAME_FAILED', `node '${node.id}' (${node.plugin}/${node.tool}) failed: ${message}`, {
    cause,
    details: { node_id: node.id, plugin: node.plugin, tool: node.tool },
  });
}

/** Path of the first binary value (Buffer, typed array, ArrayBuffer) inside `value`, or null. */
function findBinary(value: unknown, path: string, seen = new Set<object>()): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return path;
  if (seen.has(value)) return null;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findBinary(value[i], `${path}[${i}]`, seen);
      if (hit !== null) return hit;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const hit = findBinary(v, path ? `${path}.${k}` : k, seen);
    if (hit !== null) return hit;
  }
  return null;
}
