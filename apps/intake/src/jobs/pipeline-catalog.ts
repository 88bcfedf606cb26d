import { builtinDefinitionsDir, builtinPlugins, PipelineRegistry, PluginRegistry } from '@framewire/pipelines';
import type { ModelRef } from '@framewire/persistence';
import type { IntakeConfig } from '../config';

/** What intake needs to know of pipelines: which exist, and what a job pins. */
export interface PipelineCatalog {
  has(id: string): boolean;
  ids(): string[];
  describe(id: string): { version: string; models: ModelRef[] };
}

/**
 * The same definitions and plugin manifests the inference stage loads, without
 * loading any model: enough to refuse an unknown pipeline at submit.
 */
export function createPipelineCatalog(config: Pick<IntakeConfig, 'pipelineDirs'>): PipelineCatalog {
  const plugins = new PluginRegistry(builtinPlugins());
  const dirs = [
    builtinDefinitionsDir(),
    ...(config.pipelineDirs ?? '')
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean),
  ];
  const registry = PipelineRegistry.fromDirectories(plugins, dirs);
  return {
    has: (id) => registry.has(id),
    ids: () => registry.ids(),
    describe: (id) => ({ version: registry.get(id).definition.version, models: [] }),
  };
}
