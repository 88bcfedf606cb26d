export {
  DECODER_CHOICES,
  decoderChoice,
  describeDecoder,
  parseFfmpegVersion,
  resolveDecoder,
  resolveFfmpegPath,
  resolveFfprobePath,
  type DecoderBinaries,
  type DecoderChoice,
  type DecoderInfo,
  type DecoderSource,
} from './binaries';
export { type ProbeOptions, buildProbeArgs, parseProbeOutput, parseRate, probeVideo } from './probe';
export { parseFfmpegInputInfo } from './probe-ffmpeg';
export { type ContainerName, SNIFF_HEAD_BYTES, sniffContainer } from './sniff';
export {
  DEFAULT_JPEG_QUALITY,
  type DecodedFrame,
  type DecodeOptions,
  type DecodeProgress,
  decodeFrames,
  validateDecodeOptions,
} from './decode';
export {
  type DecodePlan,
  buildDecodeArgs,
  buildFilter,
  countSampledFrames,
  expectedSampledIndices,
  jpegQualityToQscale,
} from './decode-args';
export { type ShowinfoFrame, frameTimeMs, parseProgressLine, parseShowinfoLine } from './decode-log';
export { nonVideoFormatReason } from './formats';
export {
  type Keyframe,
  type KeyframeProbeOptions,
  type KeyframeTable,
  buildKeyframeProbeArgs,
  frameIndexAtPts,
  keyframesInRange,
  parseKeyframeProbe,
  probeKeyframes,
} from './keyframes';
export {
  type SamplingRequest,
  type VideoLimits,
  checkDuration,
  checkRange,
  estimateSampledFrames,
  rangeDurationMs,
  checkFrameSize,
  checkSampledFrames,
  checkVideoLimits,
  estimateFrameCount,
  framePixels,
  tooManyFramesWhileDecoding,
} from './limits';
export {
  BLOCK,
  THUMB_WIDTH,
  type ReuseDecision,
  type ReusePolicy,
  ReuseTracker,
  type Thumbnail,
  frameDifference,
  reuseThumbnail,
} from './reuse';
export {
  DECODER_CONFIG,
  DEFAULT_DECODE_THREADS,
  decodeThreadsOption,
  FRAME_PIXELS_8K,
  SIX_HOURS_MS,
  VIDEO_LIMITS_CONFIG,
} from './limits-config';
export { type MediaToolkitOptions, MediaToolkit, readHead } from './toolkit';
