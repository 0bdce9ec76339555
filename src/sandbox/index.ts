/**
 * A local Pluggy sandbox for tests and demos: pluggy-sdk's `PluggyClient` talks to it (set
 * `PLUGGY_API_URL` to `sandbox.url` before constructing the client: pluggy-sdk 0.90 types a
 * `baseUrl` option but ignores it), scripted users walk items through Pluggy's situations on the
 * sandbox's clock (simulated in tests), and webhooks go out with retries, duplicates and
 * reordering on demand.
 */
export {
  startSandbox,
  type Sandbox,
  type SandboxOptions,
  type SandboxCreateItemOptions,
  type SandboxWebhooks,
  type RequestLogEntry,
} from './server';
export { SANDBOX_USERS, USER_SCRIPTS, isSandboxUser, type SandboxUser, type UserScript, type ExecutionControl } from './users';
export type { ItemChangeKind } from './items';
export type { RateLimitMatch } from './rateLimit';
export type { WebhookStats, WebhookDeliveryLogEntry, EmittedWebhook } from './webhooks';
export { SandboxHttpError } from './errors';
export { DIRECT_CONNECTOR, OPEN_FINANCE_CONNECTOR } from './connectors';
export * from './constants';
export type {
  AccountJson,
  ConnectorJson,
  CredentialJson,
  ErrorBodyJson,
  ExecutionErrorCode,
  ExecutionErrorJson,
  IsoDate,
  ItemJson,
  ItemWebhookEvent,
  PageJson,
  SdkExecutionStatus,
  ProductStateJson,
  ProductType,
  StatusDetailJson,
  TriggeredBy,
  UserActionJson,
  WebhookPayloadJson,
} from './types';
