/**
 * The plugin contract. A plugin declares what it offers in a manifest (plain
 * data, validated with zod, enough to validate a pipeline without loading a
 * model) and implements each declared tool. Models are loaded by `init` for the
 * tools that registered pipelines use, once, and released by `close`.
 */
import { DomainError } from '@framewire/contracts';
import { z } from 'zod';
import type { FrameImage } from './frame';

/** Ids of plugins, tools and nodes: what fits in a log line and a JSON key without quoting. */
export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/** Data types flowing along edges, e.g. 'image', 'text_regions'. */
export const TYPE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const SEMVER_PATTERN = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Types the frame itself provides to every node. */
export const FRAME_TYPES: readonly string[] = Object.freeze(['image']);

const nameSchema = z.string().regex(NAME_PATTERN, 'must match [a-z][a-z0-9_-]*');
const typeSchema = z.string().regex(TYPE_PATTERN, 'must match [a-z][a-z0-9_]*');

export const toolManifestSchema = z
  .object({
    id: nameSchema,
    description: z.string().min(1),
    inputs: z.array(typeSchema).min(1),
    outputs: z.array(typeSchema).min(1),
    capabilities: z.array(z.string().min(1)),
  })
  .strict();

export const pluginManifestSchema = z
  .object({
    id: nameSchema,
    version: z.string().regex(SEMVER_PATTERN, 'must be a semantic version (1.2.3)'),
    tools: z.array(toolManifestSchema).min(1),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.tools.forEach((t, i) => {
      if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['tools', i, 'id'], message: `duplicate tool id '${t.id}'` });
      seen.add(t.id);
    });
  });

export type ToolManifest = z.infer<typeof toolManifestSchema>;
export type PluginManifest = z.infer<typeof pluginManifestSchema>;

/** What a node receives: the frame, and what its predecessors produced. */
export interface ToolInput {
  readonly frame: FrameImage;
  /** Outputs of the predecessor nodes, keyed by node id. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The same outputs grouped by each type their tools declare as output. */
  readonly inputsByType: Readonly<Record<string, readonly unknown[]>>;
}

export interface ToolContext<P = unknown> {
  readonly pipelineId: string;
  readonly nodeId: string;
  /** The node's params, as returned by the tool's `parseParams`. */
  readonly params: P;
}

/** A model file a tool depends on, for pinning results to exact weights. */
export interface ModelRef {
  /** File name (no directory). */
  readonly name: string;
  readonly sha256: string;
}

export interface Tool<P = unknown> {
  /**
   * Check a node's params (undefined when the node gives none) at pipeline load
   * time and fill in defaults; throw (a zod error or any Error) when invalid.
   */
  parseParams?(raw: unknown): P;
  /**
   * The tool's JSON output. Geometry in it is in the pixels of the frame it
   * was given: any `polygon` ([[x, y], …]) and `bbox` ({x, y, width,
   * height}) in a pipeline's output is mapped to source-video pixels, with
   * `polygon_norm` / `bbox_norm` added beside it (mapResultToSource).
   */
  run(input: ToolInput, ctx: ToolContext<P>): Promise<unknown>;
  /** Models behind this tool; available once the plugin has been initialised for it. */
  models?(): readonly ModelRef[];
  /**
   * Absolute paths of every file this tool reads to produce its output (model
   * weights, dictionaries), known without loading anything: what a job pins
   * by sha256 before any model is loaded (intake never loads a model).
   */
  modelFiles?(): readonly string[];
}

export interface PluginInitContext {
  /** The tools registered pipelines use; load only what they need. */
  readonly tools: readonly string[];
}

export interface Plugin {
  readonly manifest: PluginManifest;
  /** Where the plugin came from (a module path for plugins found in FW_PLUGIN_DIRS), for messages. */
  readonly source?: string;
  readonly tools: Readonly<Record<string, Tool>>;
  /** Load models for `tools`. May be called again with more tools: load only what is missing. */
  init(ctx: PluginInitContext): Promise<void>;
  /** Release every model. */
  close(): Promise<void>;
}

/** What pipeline validation needs to know about plugins: manifests only, no models. */
export interface ToolCatalog {
  hasPlugin(pluginId: string): boolean;
  /** The plugin's version, or undefined when the plugin is unknown. */
  pluginVersion(pluginId: string): string | undefined;
  /** The tool's manifest and implementation, or undefined when the plugin or tool is unknown. */
  findTool(pluginId: string, toolId: string): { manifest: ToolManifest; tool: Tool } | undefined;
  toolIds(pluginId: string): readonly string[];
}

export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
}

/**
 * The plugins a process offers. Validates every manifest against its
 * implementation at construction and initialises each plugin once for the
 * tools asked of it.
 */
export class PluginRegistry implements ToolCatalog {
  private readonly plugins = new Map<string, Plugin>();
  private readonly initialised = new Map<string, Set<string>>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(plugins: readonly Plugin[]) {
    const errors: string[] = [];
    for (const plugin of plugins) {
      const parsed = pluginManifestSchema.safeParse(plugin.manifest);
      const id = (plugin.manifest as { id?: unknown } | undefined)?.id;
      const label = `plugin ${typeof id === 'string' ? `'${id}'` : '(no id)'}${plugin.source ? ` from ${plugin.source}` : ''}`;
      if (!parsed.success) {
        errors.push(...formatZodIssues(parsed.error).map((m) => `${label}: manifest ${m}`));
        continue;
      }
      const { tools } = parsed.data;
      const twin = this.plugins.get(parsed.data.id);
      if (twin) errors.push(`${label}: id already registered${twin.source ? ` by ${twin.source}` : ''}`);
      for (const t of tools) {
        if (typeof plugin.tools[t.id]?.run !== 'function') errors.push(`${label}: tool '${t.id}' has no implementation`);
      }
      for (const impl of Object.keys(plugin.tools)) {
        if (!tools.some((t) => t.id === impl)) errors.push(`${label}: tool '${impl}' is not in the manifest`);
      }
      if (!twin) this.plugins.set(parsed.data.id, plugin);
    }
    if (errors.length) {
      throw new DomainError('INVALID_ARGUMENT', `invalid plugins:\n  ${errors.join('\n  ')}`, { details: { errors } });
    }
  }

  hasPlugin(pluginId: string): boolean {
    return this.plugins.has(pluginId);
  }

  pluginVersion(pluginId: string): string | undefined {
    return this.plugins.get(pluginId)?.manifest.version;
  }

  toolIds(pluginId: string): readonly string[] {
    return this.plugins.get(pluginId)?.manifest.tools.map((t) => t.id) ?? [];
  }

  findTool(pluginId: string, toolId: string): { manifest: ToolManifest; tool: Tool } | undefined {
    const plugin = this.plugins.get(pluginId);
    const manifest = plugin?.manifest.tools.find((t) => t.id === toolId);
    const tool = plugin?.tools[toolId];
    return manifest && tool ? { manifest, tool } : undefined;
  }

  get(pluginId: string): Plugin {
    const plugin = this.plugins.get(pluginId);
    if (!plugin) {
      throw new DomainError('NOT_FOUND', `unknown plugin '${pluginId}' (known: ${[...this.plugins.keys()].sort().join(', ')})`);
    }
    return plugin;
  }

  list(): PluginManifest[] {
    return [...this.plugins.values()].map((p) => p.manifest);
  }

  /** Whether `pluginId` has been initialised for every tool in `tools`. */
  isReady(pluginId: string, tools: Iterable<string>): boolean {
    const done = this.initialised.get(pluginId);
    if (!done) return false;
    for (const t of tools) if (!done.has(t)) return false;
    return true;
  }

  /** Initialise `pluginId` for `tools` (once per tool; concurrent callers share the work). */
  async ensureReady(pluginId: string, tools: Iterable<string>): Promise<void> {
    const plugin = this.get(pluginId);
    const previous = this.pending.get(pluginId) ?? Promise.resolve();
    const wanted = [...tools];
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const done = this.initialised.get(pluginId) ?? new Set<string>();
        const missing = wanted.filter((t) => !done.has(t));
        if (missing.length === 0) return;
        await plugin.init({ tools: [...done, ...missing] });
        for (const t of missing) done.add(t);
        this.initialised.set(pluginId, done);
      });
    this.pending.set(pluginId, next);
    await next;
  }

  /** Close every plugin that was initialised; report every failure. */
  async close(): Promise<void> {
    await Promise.all(this.pending.values()).catch(() => undefined);
    const ids = [...this.initialised.keys()];
    this.initialised.clear();
    this.pending.clear();
    const results = await Promise.allSettled(ids.map((id) => this.plugins.get(id)!.close()));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${ids[i]}: ${String(r.reason)}`] : []));
    if (failed.length) throw new Error(`closing plugins failed: ${failed.join('; ')}`);
  }
}
