/** The replica's PipelineRunner (an interface, so it needs a token of its own). */
export const PIPELINE_RUNNER = Symbol('PIPELINE_RUNNER');
