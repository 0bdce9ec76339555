/**
 * pluggy-lifecycle: what a Pluggy connection (an Item) needs right now, as an XState v5 statechart.
 */
export {
  ITEM_STATUSES,
  EXECUTION_STATUSES,
  PRE_EXECUTION_STATUSES,
  CONNECTOR_EXECUTION_STATUSES,
  EXECUTION_ERROR_CODES,
  EXECUTION_FINISHED_STATUSES,
  EXTRA_EXECUTION_STATUSES,
  SUCCESS_EXECUTION_STATUSES,
  isItemStatus,
  isExecutionStatus,
  type ItemStatus,
  type ExecutionStatus,
} from './vocabulary/statuses';
export {
  parseItem,
  safeParseItem,
  PRODUCTS,
  type ItemSnapshot,
  type MfaParameter,
  type UserAction,
  type StatusDetail,
  type Product,
  type ParseOptions,
  type SafeParseResult,
} from './vocabulary/item';
export {
  parseWebhook,
  safeParseWebhook,
  WEBHOOK_EVENTS,
  ITEM_WEBHOOK_EVENTS,
  WEBHOOK_TRIGGERS,
  type WebhookPayload,
  type WebhookEvent,
} from './vocabulary/webhook';
export type { ParsingMode, ParseWarning } from './vocabulary/fields';
export { InputError, type InputIssue, type InputKind } from './errors';

export { decide, matchRule, type Decision, type DecisionInput, type ProductReport } from './decision/decide';
export {
  RULES,
  PHASES,
  REMEDIES,
  AWAITING,
  WARNINGS,
  type Rule,
  type RuleId,
  type Clause,
  type Phase,
  type Remedy,
  type Awaiting,
  type Warning,
} from './decision/rules';

export { connectionMachine, CONNECTION_MACHINE_VERSION, type ConnectionMachine } from '../machines/connection.machine';
export type { ConnectionContext, ConnectionInput, DriveMode, SnapshotFacts, TimerName } from './machine/context';
export { REMEMBERED_EVENT_IDS, TIMERS } from './machine/context';
export { eventDigest } from './machine/digest';
export type { ConnectionEvent, ConnectionEventType, FetchError } from './machine/events';
export { EFFECT_TYPES, type Effect, type EffectType, type EffectOf } from './machine/effects';
export { DEFAULT_TIMING, type TimingPolicy } from './machine/timing';

export {
  createConnection,
  toDottedState,
  type Connection,
  type ConnectionOptions,
  type ConnectionState,
  type PersistedConnection,
  type SendResult,
  type Rejection,
} from './runtime/connection';
export { toConnectionEvent, toFetchError, type ConnectionCommand, type CommandResult } from './runtime/commands';
export { SimulatedClock, systemClock, type Clock } from './runtime/clock';
