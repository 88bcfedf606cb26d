// Public API of @framewire/grpc: the code generated from proto/framewire/v1 (npm run proto), and a few helpers around it.
export {
  CancelJobRequest,
  CancelledEvent,
  CompletedEvent,
  ExtractedEvent,
  ExtractingEvent,
  FailedEvent,
  FrameResult,
  FramesEvent,
  GetJobRequest,
  Job,
  JobEvent,
  JobServiceClient,
  JobServiceService,
  type JobServiceServer,
  JobStatus,
  ListJobsRequest,
  ListJobsResponse,
  ListPipelinesRequest,
  ListPipelinesResponse,
  ListResultsRequest,
  ListResultsResponse,
  ModelRef,
  Pipeline,
  PipelineNode,
  SubmitJobRequest,
  SubmitParams,
  SubmittedEvent,
  VideoMetadata,
  WatchJobRequest,
} from './generated/framewire/v1/jobs';
export { createJobServiceClient, unary, type JobServiceClientOptions } from './client';
export { fromProtoStatus, toProtoStatus } from './job-status';
export { ERROR_CODE_METADATA_KEY, JOB_SERVICE_NAME } from './metadata';
export { FILE_DESCRIPTOR_SET_BASE64 } from './generated/descriptor-set';
