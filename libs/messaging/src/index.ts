export {
  backoffDelay,
  DEFAULT_OUTAGE,
  DEFAULT_RETRY,
  outageOf,
  outageStep,
  outcomeForError,
  type AckOutcome,
  type OutageDependency,
  type OutagePolicy,
  type RetryPolicy,
} from './ack-policy';
export { OutageMonitor, type OutageSink, type OutageState } from './outage-monitor';
export { Broker, headerValue, type BrokerOptions, type ConsumerState, type PublishOptions } from './broker';
export { describeConnectError, isPermanentConnectError, natsConnectOptions, natsServers, withoutUserInfo } from './nats-connect';
export { Consume, type ConsumerMethod, type ConsumerSpec, type FromConfig } from './decorators';
export { DECODERS, type ConsumedKind, type ConsumedPayloads } from './decoders';
export { MessagingModule, MessagingRuntime, MESSAGING_OPTIONS, type MessagingOptions } from './messaging.module';
export { WorkerAppModule, type StageAppConfig, type StageAppOptions } from './worker-app.module';
export {
  DEFAULT_TOPOLOGY,
  provisionConsumer,
  provisionStreams,
  consumerHandlerProblem,
  STAGE_CONSUMERS,
  statusConsumerConfig,
  streamConfigs,
  topologyFromConfig,
  workConsumerConfig,
  webhookConsumerConfig,
  UNBOUNDED_CONSUMERS,
  type TopologySettings,
} from './topology';
export { JetStreamWorker, type Delivery, type Handler, type HandlerContext, type WorkerOptions, type WorkerStats } from './worker';
export { CancellationRegistry, CANCEL_BUCKET, type StoppedState } from './cancellation';
export {
  DLQ_HEADERS,
  DLQ_INLINE_MAX_BYTES,
  type DeadLetter,
  type DeadLetterBodyStore,
  type DeadLetterView,
} from './dead-letters/dead-letter';
export { DeadLetters, type DeadLettersOptions, type JobFailure } from './dead-letters/dead-letters';
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
  WORKERS_BUCKET,
  type LiveWorker,
  type WorkerEntry,
  type WorkerDetails,
  type WorkerIdentity,
  type WorkerRegistrySettings,
} from './worker-registry';
