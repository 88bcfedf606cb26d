/**
 * Plugins found on disk (FW_PLUGIN_DIRS): every subdirectory of a configured
 * directory holds one plugin as a CommonJS module (its `index.js`, or the
 * `main` of its package.json) exporting
 *
 *   manifest                  the plugin manifest (plain data)
 *   createPlugin(context)     a factory returning { tools, init?, close? }
 *     or plugin               that object itself
 *
 * (an ES module's default export works too). The module is loaded at start;
 * the manifest is checked by PluginRegistry, whose messages name the module.
 * Loading runs the module's code: these directories are code the operator
 * trusts, like the app itself.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { DomainError } from '@framewire/contracts';
import { type BuiltinPluginOptions, builtinPlugins } from './builtin';
import { type Plugin, type PluginManifest, PluginRegistry, type Tool } from './plugin';

/** What createPlugin receives. */
export interface ExternalPluginContext {
  /** The plugin's own directory (for its model files). */
  readonly dir: string;
  readonly manifest: PluginManifest;
}

/** The shape a plugin module's factory returns (or exports as `plugin`). */
export interface ExternalPluginImpl {
  readonly tools: Readonly<Record<string, Tool>>;
  init?(ctx: { tools: readonly string[] }): Promise<void>;
  close?(): Promise<void>;
}

/** Split a comma-separated list of directories (a config value) into paths. */
export function splitDirList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
}

/**
 * Load the plugin of every subdirectory of `dirs` (sorted by name; names
 * starting with '.' are skipped). Throws one DomainError INVALID_ARGUMENT
 * listing every directory that could not be loaded and why.
 */
export function loadPluginDirectories(dirs: readonly string[]): Plugin[] {
  const plugins: Plugin[] = [];
  const errors: string[] = [];
  for (const dir of dirs) {
    const root = resolve(dir);
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      errors.push(`${root}: not a directory`);
      continue;
    }
    const subdirs = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    for (const name of subdirs) {
      const result = loadPluginModule(join(root, name));
      if ('error' in result) errors.push(result.error);
      else plugins.push(result.plugin);
    }
  }
  if (errors.length) {
    throw new DomainError('INVALID_ARGUMENT', `cannot load plugins:\n  ${errors.join('\n  ')}`, { details: { errors } });
  }
  return plugins;
}

/** Load one plugin directory; an error names the directory (or module) and the fault. */
export function loadPluginModule(dir: string): { plugin: Plugin } | { error: string } {
  const load = createRequire(join(dir, 'noop.js'));
  let entry: string;
  try {
    entry = load.resolve(dir);
  } catch {
    return { error: `${dir}: no plugin module (expected index.js, or a package.json whose "main" names the module)` };
  }
  let exported: unknown;
  try {
    exported = load(entry);
  } catch (err) {
    return { error: `${entry}: cannot load the module: ${(err as Error).message.split('\n')[0]}` };
  }
  const mod = pickExports(exported);
  if (mod.manifest === undefined) return { error: `${entry}: exports no manifest` };
  if (mod.manifest === null || typeof mod.manifest !== 'object') return { error: `${entry}: manifest must be an object` };
  const manifest = mod.manifest as PluginManifest;

  let impl: unknown;
  if (typeof mod.createPlugin === 'function') {
    try {
      impl = (mod.createPlugin as (ctx: ExternalPluginContext) => unknown)({ dir, manifest });
    } catch (err) {
      return { error: `${entry}: createPlugin failed: ${(err as Error).message}` };
    }
    if (impl instanceof Promise) return { error: `${entry}: createPlugin must return the plugin, not a promise (load models in init)` };
  } else if (mod.plugin !== undefined) {
    impl = mod.plugin;
  } else {
    return { error: `${entry}: exports neither createPlugin (a function) nor plugin (an object)` };
  }
  const tools = (impl as Partial<ExternalPluginImpl> | null)?.tools;
  if (tools === null || typeof tools !== 'object') return { error: `${entry}: the plugin has no tools object` };
  const external = impl as ExternalPluginImpl;
  const plugin: Plugin = {
    manifest,
    source: entry,
    tools,
    init: async (ctx) => {
      if (typeof external.init === 'function') await external.init(ctx);
    },
    close: async () => {
      if (typeof external.close === 'function') await external.close();
    },
  };
  return { plugin };
}

function pickExports(exported: unknown): Record<string, unknown> {
  if (exported === null || typeof exported !== 'object') return {};
  const mod = exported as Record<string, unknown>;
  // An ES module compiled to CommonJS, or `export default { manifest, createPlugin }`.
  if (mod.manifest === undefined && mod.default !== null && typeof mod.default === 'object') return mod.default as Record<string, unknown>;
  return mod;
}

/** The plugins a process offers: the built-in ones, then those found in `pluginDirs`. Loads no model. */
export function createPluginRegistry(options: { builtin?: BuiltinPluginOptions; pluginDirs?: readonly string[] } = {}): PluginRegistry {
  return new PluginRegistry([...builtinPlugins(options.builtin), ...loadPluginDirectories(options.pluginDirs ?? [])]);
}
