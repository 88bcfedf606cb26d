import {
  createPipelineRuntime,
  ModelFileHasher,
  pinPipeline,
  validatePipelineDefinition,
  type PipelineConfig,
  type PipelineDescription,
  type PipelineIssue,
  type PipelinePin,
  type PipelineSummary,
} from '@framewire/pipelines';

/** What intake knows of pipelines: which exist, what they are made of, and what a job pins. */
export interface PipelineCatalog {
  has(id: string): boolean;
  ids(): string[];
  list(): PipelineSummary[];
  /** The pipeline in full (throws UNKNOWN_PIPELINE). */
  describe(id: string): PipelineDescription;
  /** Version and model-file hashes a job on this pipeline records (throws UNKNOWN_PIPELINE). */
  pin(id: string): PipelinePin;
  /** Check a definition against the plugins on offer, listing every problem. */
  validate(raw: unknown): { valid: boolean; errors: PipelineIssue[] };
}

/**
 * The same plugins (built-in and FW_PLUGIN_DIRS) and definitions (built-in and
 * FW_PIPELINE_DIRS) the inference stage loads, without loading any model: enough
 * to refuse an unknown pipeline at submit and to show and validate pipelines.
 * Every model file the pipelines name is hashed once here, at start, so a job
 * records the sha256 of each file its results come from.
 */
export async function createPipelineCatalog(config: PipelineConfig, hasher = new ModelFileHasher()): Promise<PipelineCatalog> {
  // The runtime's runner is never initialised here: no model is loaded.
  const { plugins, pipelines: registry } = createPipelineRuntime(config);
  const pins = new Map<string, PipelinePin>();
  for (const id of registry.ids()) pins.set(id, await pinPipeline(registry.get(id), hasher));
  return {
    has: (id) => registry.has(id),
    ids: () => registry.ids(),
    list: () => registry.list(),
    describe: (id) => registry.describe(id),
    pin: (id) => pins.get(registry.get(id).definition.id)!,
    validate: (raw) => {
      const result = validatePipelineDefinition(raw, plugins);
      return result.ok ? { valid: true, errors: [] } : { valid: false, errors: result.errors };
    },
  };
}
