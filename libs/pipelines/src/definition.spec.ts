import { FakePlugin } from '../test-support/fake-plugins';
import { type PipelineIssueCode, validatePipelineDefinition } from './definition';
import { PluginRegistry } from './plugin';

const catalog = new PluginRegistry([new FakePlugin()]);

type Node = { id: string; plugin?: string; tool: string; params?: Record<string, unknown> };
function def(nodes: Node[], edges: Array<[string, string]>, entry: string[], outputs: string[]) {
  return {
    id: 'test',
    name: 'Test',
    version: '1.0.0',
    nodes: nodes.map((n) => ({ plugin: 'fake', ...n })),
    edges: edges.map(([from, to]) => ({ from, to })),
    entry,
    outputs,
  };
}

function codes(raw: unknown): PipelineIssueCode[] {
  const r = validatePipelineDefinition(raw, catalog);
  return r.ok ? [] : r.errors.map((e) => e.code);
}

function messages(raw: unknown): string[] {
  const r = validatePipelineDefinition(raw, catalog);
  return r.ok ? [] : r.errors.map((e) => e.message);
}

describe('validatePipelineDefinition', () => {
  it('compiles a diamond into a topological order, ties by declaration order', () => {
    const r = validatePipelineDefinition(
      def(
        [
          { id: 'total', tool: 'sum' },
          { id: 'right', tool: 'double' },
          { id: 'left', tool: 'double' },
          { id: 'src', tool: 'source' },
        ],
        [
          ['src', 'left'],
          ['src', 'right'],
          ['left', 'total'],
          ['right', 'total'],
        ],
        ['src'],
        ['total'],
      ),
      catalog,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.pipeline.order.map((n) => n.id)).toEqual(['src', 'right', 'left', 'total']);
    expect(r.pipeline.order[3].predecessors).toEqual(['left', 'right']);
    expect([...r.pipeline.uses.get('fake')!].sort()).toEqual(['double', 'source', 'sum']);
  });

  it('parses params with the tool and keeps the parsed value', () => {
    const r = validatePipelineDefinition(
      def(
        [
          { id: 'src', tool: 'source' },
          { id: 'x3', tool: 'scaled', params: { factor: 3 } },
        ],
        [['src', 'x3']],
        ['src'],
        ['x3'],
      ),
      catalog,
    );
    expect(r.ok && r.pipeline.order[1].params).toEqual({ factor: 3 });
  });

  it('reports schema problems with their paths', () => {
    expect(codes({ id: 'Bad Id', nodes: [] })).toEqual(expect.arrayContaining(['SCHEMA']));
    const msgs = messages({ ...def([{ id: 'a', tool: 'source' }], [], ['a'], ['a']), version: 'one' });
    expect(msgs).toEqual(['version: version must be a semantic version (1.2.3)']);
    expect(codes({ ...def([{ id: 'a', tool: 'source' }], [], ['a'], ['a']), extra: 1 })).toEqual(['SCHEMA']);
    expect(codes(def([], [], ['a'], ['a']))).toEqual(['SCHEMA']);
  });

  it.each<[string, ReturnType<typeof def>, PipelineIssueCode, RegExp]>([
    [
      'a duplicate node',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'a', tool: 'source' },
        ],
        [],
        ['a'],
        ['a'],
      ),
      'DUPLICATE_NODE',
      /node 'a' is defined more than once/,
    ],
    ['an unknown plugin', def([{ id: 'a', plugin: 'nope', tool: 'source' }], [], ['a'], ['a']), 'UNKNOWN_PLUGIN', /unknown plugin 'nope'/],
    [
      'an unknown tool',
      def([{ id: 'a', tool: 'nope' }], [], ['a'], ['a']),
      'UNKNOWN_TOOL',
      /unknown tool 'nope' of plugin 'fake' \(known: source, /,
    ],
    [
      'invalid params',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'b', tool: 'scaled', params: { factor: 'x' } },
        ],
        [['a', 'b']],
        ['a'],
        ['b'],
      ),
      'INVALID_PARAMS',
      /node 'b' \(fake\/scaled\) has invalid params: factor must be a number/,
    ],
    [
      'an edge to an unknown node',
      def([{ id: 'a', tool: 'source' }], [['a', 'ghost']], ['a'], ['a']),
      'UNKNOWN_EDGE_NODE',
      /edge a → ghost refers to unknown node 'ghost'/,
    ],
    [
      'a duplicate edge',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'b', tool: 'double' },
        ],
        [
          ['a', 'b'],
          ['a', 'b'],
        ],
        ['a'],
        ['b'],
      ),
      'DUPLICATE_EDGE',
      /edge a → b is declared more than once/,
    ],
    [
      'a cycle',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'b', tool: 'double' },
          { id: 'c', tool: 'double' },
        ],
        [
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'b'],
        ],
        ['a'],
        ['c'],
      ),
      'CYCLE',
      /cycle: b → c → b/,
    ],
    [
      'a missing entry node',
      def([{ id: 'a', tool: 'source' }], [], ['a', 'ghost'], ['a']),
      'MISSING_ENTRY',
      /entry node 'ghost' is not defined/,
    ],
    [
      'an entry node with inputs',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'b', tool: 'double' },
        ],
        [['a', 'b']],
        ['a', 'b'],
        ['b'],
      ),
      'ENTRY_HAS_INPUTS',
      /entry node 'b' has incoming edges from 'a'/,
    ],
    [
      'a missing output node',
      def([{ id: 'a', tool: 'source' }], [], ['a'], ['ghost']),
      'MISSING_OUTPUT',
      /output node 'ghost' is not defined/,
    ],
    [
      'an unreachable node',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'b', tool: 'source' },
        ],
        [],
        ['a'],
        ['a', 'b'],
      ),
      'UNREACHABLE',
      /node 'b' is not reachable from any entry node/,
    ],
    [
      'a node that feeds no output',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'b', tool: 'double' },
        ],
        [['a', 'b']],
        ['a'],
        ['a'],
      ),
      'UNUSED_NODE',
      /node 'b' contributes to no output node/,
    ],
    [
      'an edge whose types do not meet',
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'r', tool: 'read' },
        ],
        [['a', 'r']],
        ['a'],
        ['r'],
      ),
      'TYPE_MISMATCH',
      /edge a → r: 'r' \(fake\/read\) takes \[image, text_regions\] but 'a' \(fake\/source\) produces \[numbers\]/,
    ],
    [
      'an input nobody provides',
      def([{ id: 'd', tool: 'double' }], [], ['d'], ['d']),
      'MISSING_INPUT',
      /node 'd' \(fake\/double\) needs 'numbers' but no predecessor produces it/,
    ],
  ])('reports %s', (_label, raw, code, message) => {
    const r = validatePipelineDefinition(raw, catalog);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const hit = r.errors.find((e) => e.code === code);
    expect(hit).toBeDefined();
    expect(hit!.message).toMatch(message);
  });

  it('lists every problem at once', () => {
    const found = codes(
      def(
        [
          { id: 'a', tool: 'source' },
          { id: 'a', tool: 'source' },
          { id: 'b', plugin: 'nope', tool: 'x' },
          { id: 'c', tool: 'double' },
          { id: 'd', tool: 'double' },
          { id: 'r', tool: 'read' },
        ],
        [
          ['a', 'r'],
          ['c', 'd'],
          ['d', 'c'],
          ['a', 'ghost'],
        ],
        ['a', 'missing'],
        ['r', 'gone'],
      ),
    );
    expect(new Set(found)).toEqual(
      new Set<PipelineIssueCode>([
        'DUPLICATE_NODE',
        'UNKNOWN_PLUGIN',
        'UNKNOWN_EDGE_NODE',
        'TYPE_MISMATCH',
        'MISSING_INPUT',
        'MISSING_ENTRY',
        'MISSING_OUTPUT',
        'CYCLE',
        'UNREACHABLE',
      ]),
    );
  });
});
