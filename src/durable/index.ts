/**
 * `pluggy-lifecycle/durable`: connections kept in a store instead of live actors. The processor
 * applies events in transactions, a timer worker fires what fell due, and a dispatcher delivers
 * effects from the outbox. The SQLite and PostgreSQL stores are on their own entries
 * (`pluggy-lifecycle/sqlite`, `pluggy-lifecycle/postgres`) so a host loads only the one it uses.
 */
export {
  createProcessor,
  type Processor,
  type ProcessorOptions,
  type DurableEvent,
  type Delivery,
  type ProcessOutcome,
  type TimerOutcome,
  type NewConnectionOptions,
} from './processor';
export { createDispatcher, type Dispatcher, type DispatcherOptions, type DispatchReport, type Attempt } from './dispatcher';
export { startWorker, type Worker, type WorkerOptions } from './worker';
export {
  MACHINE_ID,
  MACHINE_VERSION,
  decodeConnection,
  encodeConnection,
  toPersistedConnection,
  type ConnectionSnapshot,
  type EncodedConnection,
  type StoredSnapshot,
} from './step';
export { describeStored, type StoredConnectionState } from './view';
export type {
  ConnectionStore,
  StoreTransaction,
  StoredConnection,
  ConnectionWrite,
  OutboxEntry,
  OutboxRecord,
  QuarantineEntry,
  QuarantineRecord,
  QuarantineKind,
  SeenEvent,
  StoreCounts,
} from './store';
export { createMemoryStore } from '../stores/memory';
