import { DomainError } from '@framewire/contracts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeCodec } from '../test-support/fake-plugins';
import { createPluginRegistry, loadPluginDirectories, splitDirList } from './plugin-loader';
import { PipelineRegistry } from './registry';
import { InProcessPipelineRunner } from './runner';

/** A plugin module as an operator would drop it into FW_PLUGIN_DIRS: plain CommonJS. */
const GOOD_PLUGIN = `
const manifest = {
  id: 'brightness',
  version: '0.3.0',
  tools: [
    {
      id: 'mean_level',
      description: 'mean of the first channel',
      inputs: ['image'],
      outputs: ['level'],
      capabilities: ['toy'],
    },
  ],
};
let inits = 0;
exports.manifest = manifest;
exports.createPlugin = ({ dir }) => ({
  tools: {
    mean_level: {
      parseParams: (raw) => ({ scale: (raw && raw.scale) || 1 }),
      run: async ({ frame }, ctx) => {
        const rgb = await frame.rgb();
        let sum = 0;
        for (let i = 0; i < rgb.data.length; i += 3) sum += rgb.data[i];
        return { level: (sum / (rgb.width * rgb.height)) * ctx.params.scale, inits, dir };
      },
      modelFiles: () => [dir + '/weights.bin'],
    },
  },
  init: async () => { inits++; },
});
`;

function write(root: string, name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

function caught(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('plugins from FW_PLUGIN_DIRS', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fw-plugins-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loads each subdirectory as a plugin that pipelines can use, beside the built-in ones', async () => {
    const dir = write(root, 'brightness', { 'index.js': GOOD_PLUGIN });
    write(root, '.hidden', { 'index.js': 'throw new Error("never loaded")' });
    const plugins = createPluginRegistry({ builtin: { paddleocr: { modelDir: '/nonexistent' } }, pluginDirs: [root] });
    expect(plugins.list().map((m) => m.id)).toEqual(['paddleocr', 'image_stats', 'brightness']);

    const pipelines = new PipelineRegistry(plugins, [
      {
        source: 'test',
        raw: {
          id: 'levels',
          name: 'Levels',
          version: '1.0.0',
          nodes: [{ id: 'level', plugin: 'brightness', tool: 'mean_level', params: { scale: 2 } }],
          entry: ['level'],
          outputs: ['level'],
        },
      },
    ]);
    const runner = new InProcessPipelineRunner(pipelines, plugins, { codec: new FakeCodec(4, 2) });
    await runner.init();
    const { result } = await runner.run('levels', { jpeg: Buffer.from([1]), width: 4, height: 2, index: 0, ptsMs: 0 });
    // The fake codec decodes to grey 128.
    expect(result).toEqual({ level: { level: 256, inits: 1, dir } });
    expect(pipelines.get('levels').order[0].impl.modelFiles?.()).toEqual([join(dir, 'weights.bin')]);
    expect(pipelines.describe('levels').tools).toEqual([
      {
        plugin: 'brightness',
        plugin_version: '0.3.0',
        tool: 'mean_level',
        description: 'mean of the first channel',
        inputs: ['image'],
        outputs: ['level'],
        capabilities: ['toy'],
      },
    ]);
  });

  it("follows a package.json's main, and takes a plugin object or an ES module's default export", () => {
    write(root, 'a-pkg', {
      'package.json': JSON.stringify({ name: 'a', main: 'lib/entry.js' }),
    });
    mkdirSync(join(root, 'a-pkg', 'lib'));
    writeFileSync(join(root, 'a-pkg', 'lib', 'entry.js'), GOOD_PLUGIN.replace("id: 'brightness'", "id: 'from-pkg'"));
    write(root, 'b-object', {
      'index.js': `exports.manifest = { id: 'obj', version: '1.0.0', tools: [{ id: 't', description: 'd', inputs: ['image'], outputs: ['x'], capabilities: [] }] };
exports.plugin = { tools: { t: { run: async () => ({}) } } };`,
    });
    write(root, 'c-esm', {
      'index.js': `Object.defineProperty(exports, '__esModule', { value: true });
exports.default = { manifest: { id: 'esm', version: '1.0.0', tools: [{ id: 't', description: 'd', inputs: ['image'], outputs: ['x'], capabilities: [] }] },
  createPlugin: () => ({ tools: { t: { run: async () => ({}) } } }) };`,
    });
    const plugins = loadPluginDirectories([root]);
    expect(plugins.map((p) => [p.manifest.id, p.source])).toEqual([
      ['from-pkg', join(root, 'a-pkg', 'lib', 'entry.js')],
      ['obj', join(root, 'b-object', 'index.js')],
      ['esm', join(root, 'c-esm', 'index.js')],
    ]);
  });

  it('refuses a malformed manifest, naming the module and every fault', () => {
    const entry = join(
      write(root, 'broken', { 'index.js': GOOD_PLUGIN.replace("inputs: ['image'],", 'inputs: [],').replace("'0.3.0'", "'latest'") }),
      'index.js',
    );
    const err = caught(() => createPluginRegistry({ builtin: { paddleocr: { modelDir: '/nonexistent' } }, pluginDirs: [root] }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain(`plugin 'brightness' from ${entry}: manifest version: must be a semantic version (1.2.3)`);
    expect(err.message).toContain(`plugin 'brightness' from ${entry}: manifest tools.0.inputs: `);
  });

  it('refuses a plugin that takes a built-in id, or declares a tool it does not implement', () => {
    const entry = join(write(root, 'clash', { 'index.js': GOOD_PLUGIN.replace("id: 'brightness'", "id: 'paddleocr'") }), 'index.js');
    const half = join(
      write(root, 'half', { 'index.js': GOOD_PLUGIN.replace("id: 'brightness'", "id: 'half'").replace('mean_level: {', 'other: {') }),
      'index.js',
    );
    const err = caught(() => createPluginRegistry({ builtin: { paddleocr: { modelDir: '/nonexistent' } }, pluginDirs: [root] }));
    expect(err.message).toContain(`plugin 'paddleocr' from ${entry}: id already registered`);
    expect(err.message).toContain(`plugin 'half' from ${half}: tool 'mean_level' has no implementation`);
    expect(err.message).toContain(`plugin 'half' from ${half}: tool 'other' is not in the manifest`);
  });

  it('lists every directory it cannot load, and why', () => {
    write(root, 'no-module', { 'README.md': 'nothing here' });
    write(root, 'syntax', { 'index.js': 'exports.manifest = {' });
    write(root, 'no-manifest', { 'index.js': 'exports.createPlugin = () => ({ tools: {} });' });
    write(root, 'no-factory', { 'index.js': "exports.manifest = { id: 'x', version: '1.0.0', tools: [] };" });
    write(root, 'throws', { 'index.js': "exports.manifest = {}; exports.createPlugin = () => { throw new Error('no GPU'); };" });
    write(root, 'async', { 'index.js': 'exports.manifest = {}; exports.createPlugin = async () => ({ tools: {} });' });
    const missing = join(root, 'does-not-exist');
    const err = caught(() => loadPluginDirectories([root, missing]));
    expect(err.code).toBe('INVALID_ARGUMENT');
    const errors = err.details?.errors as string[];
    expect(errors).toEqual([
      `${join(root, 'async', 'index.js')}: createPlugin must return the plugin, not a promise (load models in init)`,
      `${join(root, 'no-factory', 'index.js')}: exports neither createPlugin (a function) nor plugin (an object)`,
      `${join(root, 'no-manifest', 'index.js')}: exports no manifest`,
      `${join(root, 'no-module')}: no plugin module (expected index.js, or a package.json whose "main" names the module)`,
      expect.stringMatching(new RegExp(`^${join(root, 'syntax', 'index.js')}: cannot load the module: Unexpected `)),
      `${join(root, 'throws', 'index.js')}: createPlugin failed: no GPU`,
      `${missing}: not a directory`,
    ]);
    expect(err.message.split('\n')[0]).toBe('cannot load plugins:');
  });

  it('splits a comma-separated list of directories', () => {
    expect(splitDirList(' /a, /b ,,')).toEqual(['/a', '/b']);
    expect(splitDirList(undefined)).toEqual([]);
  });
});
