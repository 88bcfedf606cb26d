// Public API of @framewire/pipelines. Explicit names only: what is not listed here is internal.

export { type BuiltinPluginOptions, builtinPlugins } from './builtin';
export {
  type BBox,
  DB_DEFAULTS,
  type DbPostprocessOptions,
  type ProbabilityMap,
  type TextRegion,
  type TextRegions,
  dbPostprocess,
  sortReadingOrder,
} from './db-postprocess';
export {
  type CompiledPipeline,
  PIPELINE_ISSUE_CODES,
  type PipelineDefinition,
  type PipelineIssue,
  type PipelineIssueCode,
  type PipelineNodeDefinition,
  type PlannedNode,
  type ValidationResult,
  pipelineDefinitionSchema,
  validatePipelineDefinition,
} from './definition';
export {
  FrameImage,
  type FrameInput,
  type ImageCodec,
  type ResizeKernel,
  type RgbImage,
  SharpImageCodec,
  type SharpImageCodecOptions,
  defaultImageCodec,
} from './frame';
export { type DominantColour, type LumaStats, lumaAndColours } from './plugins/image-stats/frame-stats';
export {
  type FrameStats,
  type FrameStatsParams,
  type GreyStatsBackend,
  IMAGE_STATS_MANIFEST,
  ImageStatsPlugin,
  type ImageStatsPluginOptions,
  frameStatsParamsSchema,
  sharpGreyStats,
} from './plugins/image-stats/image-stats.plugin';
export { ModelFileHasher, type PipelinePin, pinPipeline, pipelineModelFiles, sha256File } from './pinning';
export {
  type ExternalPluginContext,
  type ExternalPluginImpl,
  createPluginRegistry,
  loadPluginDirectories,
  loadPluginModule,
  splitDirList,
} from './plugin-loader';
export { PIPELINE_CONFIG, type PipelineConfig } from './config';
export { type RunnerPoolConfig, ThreadPoolPipelineRunner } from './runner-pool';
export { createPipelineRuntime, type PipelineRuntime, type PipelineRuntimeConfig, sessionThreads } from './runtime';
export {
  DEFAULT_ONNX_SESSION_OPTIONS,
  type InferenceModel,
  type ModelLoader,
  OnnxModel,
  type OnnxSessionOptions,
  type TensorData,
  type TensorMap,
  float32Tensor,
  loadOnnxModel,
} from './onnx';
export {
  FRAME_TYPES,
  type ModelRef,
  type Plugin,
  type PluginInitContext,
  type PluginManifest,
  PluginRegistry,
  type Tool,
  type ToolCatalog,
  type ToolContext,
  type ToolInput,
  type ToolManifest,
  pluginManifestSchema,
  toolManifestSchema,
} from './plugin';
export {
  type ClassifyAngleParams,
  type DetectTextParams,
  type DetectTimings,
  type OrientedTextRegion,
  PADDLEOCR_MANIFEST,
  PaddleOcrPlugin,
  type PaddleOcrPluginOptions,
  type RecognizeTextParams,
  type TextLine,
  type TextLines,
  classifyAngleParamsSchema,
  detectTextParamsSchema,
  recognizeTextParamsSchema,
} from './plugins/paddleocr/paddleocr.plugin';
export { PADDLEOCR_MODEL_FILES, defaultPaddleOcrModelDir } from './plugins/paddleocr/models';
export {
  type DefinitionSource,
  type PipelineDescription,
  PipelineRegistry,
  type PipelineSummary,
  type SourcedIssue,
  builtinDefinitionsDir,
  readDefinitionFiles,
} from './registry';
export { NORM_DECIMALS, SOURCE_PIXEL_DECIMALS, frameGeometry, mapResultToSource } from './source-geometry';
export {
  InProcessPipelineRunner,
  type PipelineRunResult,
  type PipelineRunner,
  type PipelineRunnerOptions,
  type PipelineVersionInfo,
} from './runner';
