export { backoffDelay, DEFAULT_RETRY, outcomeForError, type AckOutcome, type RetryPolicy } from './ack-policy';
export { Broker, headerValue, type BrokerOptions, type PublishOptions } from './broker';
export { Consume, type ConsumerSpec } from './decorators';
export { DECODERS, type ConsumedKind, type ConsumedPayloads } from './decoders';
export { MessagingModule, MessagingRuntime, MESSAGING_OPTIONS, type MessagingOptions } from './messaging.module';
export {
  DEFAULT_TOPOLOGY,
  provisionConsumer,
  provisionStreams,
  statusConsumerConfig,
  streamConfigs,
  topologyFromConfig,
  workConsumerConfig,
  type TopologySettings,
} from './topology';
export { JetStreamWorker, type Delivery, type Handler, type HandlerContext, type WorkerOptions, type WorkerStats } from './worker';
export { CancellationRegistry, CANCEL_BUCKET } from './cancellation';
export {
  DLQ_HEADERS,
  DLQ_INLINE_MAX_BYTES,
  deadLetterBodyRef,
  publishDeadLetter,
  readDeadLetterBody,
  type DeadLetter,
  type DeadLetterBodyStore,
} from './dead-letter';
export { maxDeliveriesAdvisory, type MaxDeliveriesAdvisory } from './decoders';
export { ADVISORY_CONSUMER, CRASH_SLACK_DELIVERIES, MAX_DELIVERIES_ADVISORY, advisoryConsumerConfig } from './topology';
export {
  DEFAULT_WORKER_REGISTRY,
  liveWorkers,
  packageVersion,
  registrySettings,
  workerEntry,
  workerEntrySchema,
  workerKey,
  WorkerHeartbeat,
  WorkerRegistry,
  WORKER_STAGES,
  WORKERS_BUCKET,
  type LiveWorker,
  type WorkerEntry,
  type WorkerIdentity,
  type WorkerRegistrySettings,
  type WorkerStage,
} from './worker-registry';
