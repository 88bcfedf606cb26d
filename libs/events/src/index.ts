// Public API of @framewire/events: typed subscriptions to Framewire job events over NATS JetStream.
export {
  InvalidJobEventError,
  isTerminalEvent,
  JobEventsClient,
  type ReceivedJobEvent,
  type StartAt,
  type SubscribeOptions,
  type Until,
} from './job-events';
