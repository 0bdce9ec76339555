/** `pluggy-lifecycle/drivers`: the poll driver and the webhook receiver. */
export { createPoller, rateLimitWaitMs, type Poller, type PollerOptions } from './poller';
export {
  createWebhookHandler,
  memoryDedupeStore,
  routeToConnections,
  DEDUPE_TTL_MS,
  type DedupeStore,
  type WebhookHandler,
  type WebhookReceiverOptions,
} from './webhook';
