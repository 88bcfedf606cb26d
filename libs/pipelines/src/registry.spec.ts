import { DomainError } from '@framewire/contracts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_MANIFEST, FakePlugin } from '../test-support/fake-plugins';
import { type Plugin, PluginRegistry } from './plugin';
import { builtinPlugins } from './builtin';
import { PipelineRegistry, builtinDefinitionsDir } from './registry';

const simple = (id: string, tool = 'source') => ({
  id,
  name: id,
  version: '1.0.0',
  nodes: [{ id: 'n', plugin: 'fake', tool }],
  entry: ['n'],
  outputs: ['n'],
});

function caught(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('PipelineRegistry', () => {
  const plugins = new PluginRegistry([new FakePlugin()]);

  it('loads the built-in definitions against the built-in plugins without loading models', () => {
    const reg = PipelineRegistry.fromDirectories(new PluginRegistry(builtinPlugins({ paddleocr: { modelDir: '/nonexistent' } })));
    expect(reg.has('text_regions')).toBe(true);
    expect(reg.ids()).toEqual(['frame_stats', 'ocr', 'text_regions']);
    expect(reg.get('ocr').order.map((n) => `${n.id}:${n.plugin}/${n.tool}`)).toEqual([
      'detect:paddleocr/detect_text',
      'angle:paddleocr/classify_angle',
      'read:paddleocr/recognize_text',
    ]);
    expect(reg.list()).toContainEqual(
      expect.objectContaining({
        id: 'text_regions',
        version: '1.0.0',
        nodes: [{ id: 'detect', plugin: 'paddleocr', tool: 'detect_text' }],
        outputs: ['detect'],
      }),
    );
    expect(reg.get('text_regions').order.map((n) => n.id)).toEqual(['detect']);
    expect(reg.get('text_regions').order[0].params).toEqual(
      expect.objectContaining({ limit_side_len: 960, thresh: 0.3, box_thresh: 0.6, unclip_ratio: 1.5 }),
    );
    expect(builtinDefinitionsDir()).toMatch(/libs[/\\]pipelines[/\\]definitions$/);
  });

  it('throws UNKNOWN_PIPELINE naming the known ones', () => {
    const reg = new PipelineRegistry(plugins, [
      { source: 'b', raw: simple('b') },
      { source: 'a', raw: simple('a') },
    ]);
    const err = caught(() => reg.get('x'));
    expect(err.code).toBe('UNKNOWN_PIPELINE');
    expect(err.message).toBe("unknown pipeline 'x' (known: a, b)");
    expect(reg.has('a')).toBe(true);
    expect(reg.has('x')).toBe(false);
    expect(reg.ids()).toEqual(['a', 'b']);
  });

  it('refuses to start with any invalid definition, listing every issue of every one', () => {
    const err = caught(
      () =>
        new PipelineRegistry(plugins, [
          { source: 'one', raw: simple('one', 'nope') },
          { source: 'two', raw: { ...simple('two'), outputs: ['ghost'] } },
          { source: 'three', raw: simple('three') },
        ]),
    );
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain("one: [UNKNOWN_TOOL] node 'n' uses unknown tool 'nope'");
    expect(err.message).toContain("two: [MISSING_OUTPUT] output node 'ghost' is not defined");
    expect(err.message).toContain("two: [UNUSED_NODE] node 'n' contributes to no output node");
    expect((err.details?.['issues'] as unknown[]).length).toBe(3);
  });

  it('rejects duplicate pipeline ids, file names that do not match, and unparseable files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-defs-'));
    try {
      writeFileSync(join(dir, 'a.json'), JSON.stringify(simple('a')));
      writeFileSync(join(dir, 'b.json'), JSON.stringify(simple('a')));
      writeFileSync(join(dir, 'c.json'), '{ not json');
      writeFileSync(join(dir, 'notes.txt'), 'ignored');
      const err = caught(() => PipelineRegistry.fromDirectories(plugins, [dir]));
      expect(err.message).toMatch(/b\.json: \[SCHEMA\] pipeline id 'a' is already defined by .*a\.json/);
      expect(err.message).toMatch(/c\.json: \[SCHEMA\] not valid JSON/);

      rmSync(join(dir, 'b.json'));
      rmSync(join(dir, 'c.json'));
      writeFileSync(join(dir, 'other.json'), JSON.stringify(simple('d')));
      expect(caught(() => PipelineRegistry.fromDirectories(plugins, [dir])).message).toMatch(
        /other\.json: \[SCHEMA\] file name must be 'd\.json'/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PipelineRegistry.describe and add', () => {
  const plugins = new PluginRegistry(builtinPlugins({ paddleocr: { modelDir: '/nonexistent' } }));

  it('describes a pipeline: graph, run order, parsed params and the tools with their types', () => {
    const d = PipelineRegistry.fromDirectories(plugins).describe('ocr');
    expect(d).toMatchObject({
      id: 'ocr',
      version: '2.0.0',
      edges: [
        { from: 'detect', to: 'angle' },
        { from: 'angle', to: 'read' },
      ],
      entry: ['detect'],
      outputs: ['read'],
      order: ['detect', 'angle', 'read'],
    });
    expect(d.nodes.map((n) => [n.id, n.plugin, n.tool])).toEqual([
      ['detect', 'paddleocr', 'detect_text'],
      ['angle', 'paddleocr', 'classify_angle'],
      ['read', 'paddleocr', 'recognize_text'],
    ]);
    expect(d.nodes[2].params).toEqual({ min_score: 0.5, crop_pad: 0.3, batch_size: 6 });
    expect(d.tools.map((t) => [`${t.plugin}@${t.plugin_version}/${t.tool}`, t.inputs, t.outputs])).toEqual([
      ['paddleocr@2.0.0/detect_text', ['image'], ['text_regions']],
      ['paddleocr@2.0.0/classify_angle', ['image', 'text_regions'], ['text_regions']],
      ['paddleocr@2.0.0/recognize_text', ['image', 'text_regions'], ['text_lines']],
    ]);
  });

  it('adds a definition after start, refusing an invalid one with every error and a taken id', () => {
    const reg = PipelineRegistry.fromDirectories(plugins);
    const stats = {
      id: 'stats2',
      name: 'Stats',
      version: '1.0.0',
      nodes: [{ id: 's', plugin: 'image_stats', tool: 'frame_stats' }],
      entry: ['s'],
      outputs: ['s'],
    };
    reg.add('api', stats);
    expect(reg.has('stats2')).toBe(true);
    expect(reg.add('api', stats).definition.id).toBe('stats2');
    const bad = caught(() => reg.add('api', { ...stats, id: 'stats3', entry: ['x'], outputs: ['y'] }));
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect(bad.details?.errors).toEqual([
      "[MISSING_ENTRY] entry node 'x' is not defined",
      "[MISSING_OUTPUT] output node 'y' is not defined",
      "[UNREACHABLE] node 's' is not reachable from any entry node",
    ]);
    expect(caught(() => reg.add('api', { ...stats, version: '1.1.0' })).code).toBe('CONFLICT');
  });
});

describe('PluginRegistry', () => {
  it('rejects an invalid manifest, a tool without implementation and an implementation without manifest', () => {
    const broken: Plugin = {
      manifest: { id: 'Bad', version: 'x', tools: [] },
      tools: {},
      init: async () => undefined,
      close: async () => undefined,
    };
    const mismatched: Plugin = {
      manifest: {
        id: 'half',
        version: '1.0.0',
        tools: [{ id: 'declared', description: 'd', inputs: ['image'], outputs: ['x'], capabilities: [] }],
      },
      tools: { extra: { run: async () => null } },
      init: async () => undefined,
      close: async () => undefined,
    };
    const err = caught(() => new PluginRegistry([broken, mismatched, new FakePlugin(), new FakePlugin()]));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain("plugin 'Bad': manifest id: must match");
    expect(err.message).toContain("plugin 'Bad': manifest version: must be a semantic version");
    expect(err.message).toContain("plugin 'half': tool 'declared' has no implementation");
    expect(err.message).toContain("plugin 'half': tool 'extra' is not in the manifest");
    expect(err.message).toContain("plugin 'fake': id already registered");
  });

  it('rejects duplicate tool ids in a manifest', () => {
    const dup = new FakePlugin();
    Object.assign(dup, { manifest: { ...FAKE_MANIFEST, tools: [FAKE_MANIFEST.tools[0], FAKE_MANIFEST.tools[0]] } });
    expect(caught(() => new PluginRegistry([dup])).message).toContain("duplicate tool id 'source'");
  });

  it('initialises each tool once, adding tools on later calls, and closes what it initialised', async () => {
    const fake = new FakePlugin();
    const reg = new PluginRegistry([fake]);
    await Promise.all([reg.ensureReady('fake', ['source']), reg.ensureReady('fake', ['source'])]);
    await reg.ensureReady('fake', ['source', 'double']);
    expect(fake.inits).toEqual([['source'], ['source', 'double']]);
    expect(reg.isReady('fake', ['double'])).toBe(true);
    expect(reg.isReady('fake', ['sum'])).toBe(false);
    await reg.close();
    expect(fake.closed).toBe(1);
    expect(caught(() => reg.get('nope')).message).toBe("unknown plugin 'nope' (known: fake)");
  });
});
