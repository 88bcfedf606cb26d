/**
 * The pipelines a process offers: definitions loaded once at start (JSON files
 * and/or values), every one validated against the plugins on offer. One bad
 * definition stops the start-up with the full list of what is wrong.
 */
import { DomainError } from '@framewire/contracts';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type CompiledPipeline, type PipelineIssue, validatePipelineDefinition } from './definition';
import type { ToolCatalog } from './plugin';

/** A definition and where it came from (a file path, or any label). */
export interface DefinitionSource {
  readonly source: string;
  readonly raw: unknown;
}

export interface PipelineSummary {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly description: string | undefined;
  readonly nodes: ReadonlyArray<{ id: string; plugin: string; tool: string }>;
  readonly outputs: readonly string[];
}

/** A pipeline in full, for the API: its graph and the tools it uses with their types. */
export interface PipelineDescription {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly description: string | null;
  readonly nodes: ReadonlyArray<{ id: string; plugin: string; tool: string; params: unknown }>;
  readonly edges: ReadonlyArray<{ from: string; to: string }>;
  readonly entry: readonly string[];
  readonly outputs: readonly string[];
  /** Node ids in the order they run. */
  readonly order: readonly string[];
  /** Each (plugin, tool) the nodes use, once, with its declared types. */
  readonly tools: ReadonlyArray<{
    plugin: string;
    plugin_version: string;
    tool: string;
    description: string;
    inputs: readonly string[];
    outputs: readonly string[];
    capabilities: readonly string[];
  }>;
}

export interface SourcedIssue extends PipelineIssue {
  readonly source: string;
}

/**
 * The directory holding the built-in definitions: `libs/pipelines/definitions`
 * beside the sources, or the same path under the working directory when the
 * code runs from a build output that did not copy them.
 */
export function builtinDefinitionsDir(): string {
  // Beside src/ in the source tree, and in dist/ where the build copies them.
  const dir = resolve(__dirname, '..', 'definitions');
  if (!existsSync(dir)) throw new Error(`pipeline definitions not found in ${dir} (the build copies them there: npm run build)`);
  return dir;
}

/** Read every `*.json` file of `dir` (sorted by name). Unparseable files become issues, not exceptions. */
export function readDefinitionFiles(dir: string): { sources: DefinitionSource[]; issues: SourcedIssue[] } {
  const sources: DefinitionSource[] = [];
  const issues: SourcedIssue[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  for (const file of files) {
    const path = join(dir, file);
    try {
      sources.push({ source: path, raw: JSON.parse(readFileSync(path, 'utf8')) });
    } catch (err) {
      issues.push({ source: path, code: 'SCHEMA', message: `not valid JSON: ${(err as Error).message}` });
    }
  }
  return { sources, issues };
}

export class PipelineRegistry {
  private readonly pipelines: Map<string, CompiledPipeline>;

  /** Validate every definition; throws DomainError INVALID_ARGUMENT listing every issue of every definition. */
  constructor(
    private readonly catalog: ToolCatalog,
    definitions: readonly DefinitionSource[],
    preIssues: readonly SourcedIssue[] = [],
  ) {
    const issues: SourcedIssue[] = [...preIssues];
    const pipelines = new Map<string, CompiledPipeline>();
    const origin = new Map<string, string>();
    for (const { source, raw } of definitions) {
      const result = validatePipelineDefinition(raw, catalog);
      if (!result.ok) {
        issues.push(...result.errors.map((e) => ({ ...e, source })));
        continue;
      }
      const id = result.pipeline.definition.id;
      if (pipelines.has(id)) {
        issues.push({ source, code: 'SCHEMA', message: `pipeline id '${id}' is already defined by ${origin.get(id)}` });
        continue;
      }
      if (source.endsWith('.json') && basename(source) !== `${id}.json`) {
        issues.push({ source, code: 'SCHEMA', message: `file name must be '${id}.json' for pipeline '${id}'` });
        continue;
      }
      pipelines.set(id, result.pipeline);
      origin.set(id, source);
    }
    if (issues.length) {
      const lines = issues.map((i) => `${i.source}: [${i.code}] ${i.message}`);
      throw new DomainError('INVALID_ARGUMENT', `invalid pipeline definitions:\n  ${lines.join('\n  ')}`, {
        details: { issues },
      });
    }
    this.pipelines = pipelines;
  }

  /** Load every `*.json` of the given directories (default: the built-in definitions). */
  static fromDirectories(catalog: ToolCatalog, dirs: readonly string[] = [builtinDefinitionsDir()]): PipelineRegistry {
    const sources: DefinitionSource[] = [];
    const issues: SourcedIssue[] = [];
    for (const dir of dirs) {
      const read = readDefinitionFiles(dir);
      sources.push(...read.sources);
      issues.push(...read.issues);
    }
    return new PipelineRegistry(catalog, sources, issues);
  }

  /**
   * Add one more definition after start (e.g. registered through the API).
   * Throws INVALID_ARGUMENT listing every issue, or CONFLICT when the id is
   * taken by a different definition; an identical one is a no-op.
   */
  add(source: string, raw: unknown): CompiledPipeline {
    const result = validatePipelineDefinition(raw, this.catalog);
    if (!result.ok) {
      const errors = result.errors.map((e) => `[${e.code}] ${e.message}`);
      throw new DomainError('INVALID_ARGUMENT', `invalid pipeline definition from ${source}:\n  ${errors.join('\n  ')}`, {
        details: { errors, issues: result.errors },
      });
    }
    const { id } = result.pipeline.definition;
    const existing = this.pipelines.get(id);
    if (existing) {
      if (JSON.stringify(existing.definition) === JSON.stringify(result.pipeline.definition)) return existing;
      throw new DomainError('CONFLICT', `pipeline '${id}' is already defined (version ${existing.definition.version}); pick another id`, {
        details: { pipeline_id: id },
      });
    }
    this.pipelines.set(id, result.pipeline);
    return result.pipeline;
  }

  has(id: string): boolean {
    return this.pipelines.has(id);
  }

  get(id: string): CompiledPipeline {
    const pipeline = this.pipelines.get(id);
    if (!pipeline) {
      throw new DomainError('UNKNOWN_PIPELINE', `unknown pipeline '${id}' (known: ${this.ids().join(', ')})`, {
        details: { pipeline_id: id, known: this.ids() },
      });
    }
    return pipeline;
  }

  /** The pipeline in full: graph, params as parsed (defaults filled in), and the tools it uses with their types. */
  describe(id: string): PipelineDescription {
    const p = this.get(id);
    const d = p.definition;
    const tools = new Map<string, PipelineDescription['tools'][number]>();
    for (const n of p.order) {
      const key = `${n.plugin}/${n.tool}`;
      if (tools.has(key)) continue;
      tools.set(key, {
        plugin: n.plugin,
        plugin_version: this.catalog.pluginVersion(n.plugin) ?? 'unknown',
        tool: n.tool,
        description: n.manifest.description,
        inputs: n.manifest.inputs,
        outputs: n.manifest.outputs,
        capabilities: n.manifest.capabilities,
      });
    }
    const params = new Map(p.order.map((n) => [n.id, n.params]));
    return {
      id: d.id,
      name: d.name,
      version: d.version,
      description: d.description ?? null,
      nodes: d.nodes.map((n) => ({ id: n.id, plugin: n.plugin, tool: n.tool, params: params.get(n.id) ?? {} })),
      edges: d.edges.map((e) => ({ from: e.from, to: e.to })),
      entry: d.entry,
      outputs: d.outputs,
      order: p.order.map((n) => n.id),
      tools: [...tools.values()],
    };
  }

  ids(): string[] {
    return [...this.pipelines.keys()].sort();
  }

  list(): PipelineSummary[] {
    return this.ids().map((id) => {
      const d = this.pipelines.get(id)!.definition;
      return {
        id: d.id,
        name: d.name,
        version: d.version,
        description: d.description,
        nodes: d.nodes.map((n) => ({ id: n.id, plugin: n.plugin, tool: n.tool })),
        outputs: d.outputs,
      };
    });
  }
}
