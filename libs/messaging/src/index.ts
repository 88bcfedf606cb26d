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
  workConsumerConfig,
  type TopologySettings,
} from './topology';
export { JetStreamWorker, type Delivery, type Handler, type HandlerContext, type WorkerOptions, type WorkerStats } from './worker';
