/**
 * Pipeline definitions: the JSON schema, and the graph checks that turn a
 * definition into an executable plan (nodes in topological order) or into the
 * full list of what is wrong with it.
 */
import { SAFE_ID } from '@framewire/contracts';
import { z } from 'zod';
import { FRAME_TYPES, NAME_PATTERN, SEMVER_PATTERN, type Tool, type ToolCatalog, type ToolManifest, formatZodIssues } from './plugin';

const nodeIdSchema = z.string().regex(NAME_PATTERN, 'node id must match [a-z][a-z0-9_-]*');

export const pipelineNodeSchema = z
  .object({
    id: nodeIdSchema,
    plugin: z.string().min(1),
    tool: z.string().min(1),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const pipelineEdgeSchema = z.object({ from: z.string().min(1), to: z.string().min(1) }).strict();

export const pipelineDefinitionSchema = z
  .object({
    id: z.string().regex(SAFE_ID, 'pipeline id must match [a-z0-9][a-z0-9_-]*'),
    name: z.string().min(1),
    version: z.string().regex(SEMVER_PATTERN, 'version must be a semantic version (1.2.3)'),
    description: z.string().optional(),
    nodes: z.array(pipelineNodeSchema).min(1, 'a pipeline needs at least one node'),
    edges: z.array(pipelineEdgeSchema).default([]),
    entry: z.array(z.string().min(1)).min(1, 'a pipeline needs at least one entry node'),
    outputs: z.array(z.string().min(1)).min(1, 'a pipeline needs at least one output node'),
  })
  .strict();

export type PipelineDefinition = z.infer<typeof pipelineDefinitionSchema>;
export type PipelineNodeDefinition = z.infer<typeof pipelineNodeSchema>;

export const PIPELINE_ISSUE_CODES = [
  'SCHEMA',
  'DUPLICATE_NODE',
  'UNKNOWN_PLUGIN',
  'UNKNOWN_TOOL',
  'INVALID_PARAMS',
  'UNKNOWN_EDGE_NODE',
  'DUPLICATE_EDGE',
  'CYCLE',
  'MISSING_ENTRY',
  'ENTRY_HAS_INPUTS',
  'MISSING_OUTPUT',
  'UNREACHABLE',
  'UNUSED_NODE',
  'TYPE_MISMATCH',
  'MISSING_INPUT',
] as const;
export type PipelineIssueCode = (typeof PIPELINE_ISSUE_CODES)[number];

export interface PipelineIssue {
  readonly code: PipelineIssueCode;
  readonly message: string;
}

/** One node of an executable plan. */
export interface PlannedNode {
  readonly id: string;
  readonly plugin: string;
  readonly tool: string;
  readonly params: unknown;
  /** Predecessor node ids, in edge declaration order. */
  readonly predecessors: readonly string[];
  /** Types the tool declares as outputs. */
  readonly outputTypes: readonly string[];
  /** The tool's manifest entry. */
  readonly manifest: ToolManifest;
  readonly impl: Tool;
}

export interface CompiledPipeline {
  readonly definition: PipelineDefinition;
  /** Every node, in a topological order (ties broken by declaration order). */
  readonly order: readonly PlannedNode[];
  /** plugin id → tool ids this pipeline uses. */
  readonly uses: ReadonlyMap<string, ReadonlySet<string>>;
}

export type ValidationResult = { ok: true; pipeline: CompiledPipeline } | { ok: false; errors: PipelineIssue[] };

const label = (n: { id: string; plugin: string; tool: string }) => `'${n.id}' (${n.plugin}/${n.tool})`;
const list = (xs: readonly string[]) => `[${xs.join(', ')}]`;

/** Validate a parsed JSON value as a pipeline definition against the plugins on offer; list every problem. */
export function validatePipelineDefinition(raw: unknown, catalog: ToolCatalog): ValidationResult {
  const parsed = pipelineDefinitionSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: formatZodIssues(parsed.error).map((message) => ({ code: 'SCHEMA', message })) };
  }
  const def = parsed.data;
  const errors: PipelineIssue[] = [];
  const issue = (code: PipelineIssueCode, message: string) => errors.push({ code, message });

  // Nodes and their tools.
  const nodes = new Map<string, PipelineNodeDefinition>();
  const tools = new Map<string, { manifest: ToolManifest; tool: Tool }>();
  const params = new Map<string, unknown>();
  for (const node of def.nodes) {
    if (nodes.has(node.id)) {
      issue('DUPLICATE_NODE', `node '${node.id}' is defined more than once`);
      continue;
    }
    nodes.set(node.id, node);
    if (!catalog.hasPlugin(node.plugin)) {
      issue('UNKNOWN_PLUGIN', `node '${node.id}' uses unknown plugin '${node.plugin}'`);
      continue;
    }
    const found = catalog.findTool(node.plugin, node.tool);
    if (!found) {
      issue(
        'UNKNOWN_TOOL',
        `node '${node.id}' uses unknown tool '${node.tool}' of plugin '${node.plugin}' (known: ${catalog.toolIds(node.plugin).join(', ')})`,
      );
      continue;
    }
    tools.set(node.id, found);
    try {
      params.set(node.id, found.tool.parseParams ? found.tool.parseParams(node.params) : (node.params ?? {}));
    } catch (err) {
      const detail = err instanceof z.ZodError ? formatZodIssues(err).join('; ') : err instanceof Error ? err.message : String(err);
      issue('INVALID_PARAMS', `node ${label(node)} has invalid params: ${detail}`);
    }
  }

  // Edges.
  const preds = new Map<string, string[]>([...nodes.keys()].map((id) => [id, []]));
  const succs = new Map<string, string[]>([...nodes.keys()].map((id) => [id, []]));
  const edgeKeys = new Set<string>();
  for (const edge of def.edges) {
    const missing = [edge.from, edge.to].filter((id) => !nodes.has(id));
    if (missing.length) {
      issue('UNKNOWN_EDGE_NODE', `edge ${edge.from} → ${edge.to} refers to unknown node ${missing.map((m) => `'${m}'`).join(' and ')}`);
      continue;
    }
    const key = `${edge.from}\u0000${edge.to}`;
    if (edgeKeys.has(key)) {
      issue('DUPLICATE_EDGE', `edge ${edge.from} → ${edge.to} is declared more than once`);
      continue;
    }
    edgeKeys.add(key);
    preds.get(edge.to)!.push(edge.from);
    succs.get(edge.from)!.push(edge.to);

    const a = tools.get(edge.from);
    const b = tools.get(edge.to);
    if (a && b && !a.manifest.outputs.some((t) => b.manifest.inputs.includes(t))) {
      issue(
        'TYPE_MISMATCH',
        `edge ${edge.from} → ${edge.to}: ${label(nodes.get(edge.to)!)} takes ${list(b.manifest.inputs)} but ${label(nodes.get(edge.from)!)} produces ${list(a.manifest.outputs)}`,
      );
    }
  }

  // Inputs every node needs beyond what the frame provides.
  for (const [id, found] of tools) {
    const available = new Set<string>(FRAME_TYPES);
    for (const p of preds.get(id)!) for (const t of tools.get(p)?.manifest.outputs ?? []) available.add(t);
    const unresolvable = preds.get(id)!.some((p) => !tools.has(p));
    for (const t of found.manifest.inputs) {
      if (!available.has(t) && !unresolvable) {
        issue('MISSING_INPUT', `node ${label(nodes.get(id)!)} needs '${t}' but no predecessor produces it`);
      }
    }
  }

  // Entry and output nodes.
  const entries = [...new Set(def.entry)];
  for (const id of entries) {
    if (!nodes.has(id)) issue('MISSING_ENTRY', `entry node '${id}' is not defined`);
    else if (preds.get(id)!.length)
      issue(
        'ENTRY_HAS_INPUTS',
        `entry node '${id}' has incoming edges from ${preds
          .get(id)!
          .map((p) => `'${p}'`)
          .join(', ')}`,
      );
  }
  const outputs = [...new Set(def.outputs)];
  for (const id of outputs) if (!nodes.has(id)) issue('MISSING_OUTPUT', `output node '${id}' is not defined`);

  // Cycles.
  for (const cycle of findCycles(nodes.keys(), succs)) issue('CYCLE', `cycle: ${[...cycle, cycle[0]].join(' → ')}`);

  // Reachability from entries, and usefulness towards outputs.
  const reached = walk(
    entries.filter((id) => nodes.has(id)),
    succs,
  );
  for (const id of nodes.keys()) if (!reached.has(id)) issue('UNREACHABLE', `node '${id}' is not reachable from any entry node`);
  const useful = walk(
    outputs.filter((id) => nodes.has(id)),
    preds,
  );
  for (const id of nodes.keys()) {
    if (reached.has(id) && !useful.has(id)) issue('UNUSED_NODE', `node '${id}' contributes to no output node`);
  }

  if (errors.length) return { ok: false, errors };

  const order = topologicalOrder(
    def.nodes.map((n) => n.id),
    preds,
    succs,
  ).map((id): PlannedNode => {
    const node = nodes.get(id)!;
    const found = tools.get(id)!;
    return {
      id,
      plugin: node.plugin,
      tool: node.tool,
      params: params.get(id),
      predecessors: preds.get(id)!,
      outputTypes: found.manifest.outputs,
      manifest: found.manifest,
      impl: found.tool,
    };
  });
  const uses = new Map<string, Set<string>>();
  for (const n of order) {
    if (!uses.has(n.plugin)) uses.set(n.plugin, new Set());
    uses.get(n.plugin)!.add(n.tool);
  }
  return { ok: true, pipeline: { definition: def, order, uses } };
}

function walk(starts: readonly string[], next: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>(starts);
  const queue = [...starts];
  while (queue.length) {
    for (const n of next.get(queue.shift()!) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

/** Kahn's algorithm, always taking the earliest-declared ready node. Assumes no cycle. */
function topologicalOrder(
  declared: readonly string[],
  preds: ReadonlyMap<string, readonly string[]>,
  succs: ReadonlyMap<string, readonly string[]>,
): string[] {
  const rank = new Map(declared.map((id, i) => [id, i]));
  const indegree = new Map(declared.map((id) => [id, preds.get(id)!.length]));
  const ready = declared.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (ready.length) {
    ready.sort((a, b) => rank.get(a)! - rank.get(b)!);
    const id = ready.shift()!;
    order.push(id);
    for (const s of succs.get(id)!) {
      const d = indegree.get(s)! - 1;
      indegree.set(s, d);
      if (d === 0) ready.push(s);
    }
  }
  return order;
}

/** Every elementary cycle found by a depth-first search (one per back edge), each listed once. */
function findCycles(ids: Iterable<string>, succs: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    state.set(id, 1);
    stack.push(id);
    for (const s of succs.get(id) ?? []) {
      if (state.get(s) === 1) {
        const cycle = stack.slice(stack.indexOf(s));
        const key = [...cycle].sort().join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(s)) {
        visit(s);
      }
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const id of ids) if (!state.has(id)) visit(id);
  return cycles;
}
