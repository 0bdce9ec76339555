/**
 * What the durable processor needs from a database. Every store (memory, SQLite, PostgreSQL)
 * implements this one interface; the processor, the timer worker and the dispatcher are written
 * against it only.
 */

/** One connection row. */
export interface StoredConnection {
  readonly itemId: string;
  /** The machine id and version the snapshot was written by. */
  readonly machine: string;
  readonly version: number;
  /** The active state as a dotted path (for queries and `show`; derived from the snapshot). */
  readonly state: string;
  /** The compact snapshot JSON written by `encodeConnection`. */
  readonly snapshot: string;
  /** Events applied so far; part of every outbox key, so keys are stable across a crash and a retry. */
  readonly seq: number;
  /** The earliest armed timer (epoch ms), or null. */
  readonly nextDue: number | null;
  /** When the row was last written (epoch ms). */
  readonly updatedAt: number;
  /** Set when the row could not be read (corrupt JSON, bad shape): why. Its timers are not claimed again. */
  readonly error: string | null;
}

/** A row to write: `created` rows did not exist when the transaction loaded them. */
export interface ConnectionWrite extends Omit<StoredConnection, 'error'> {
  readonly created: boolean;
}

/** An effect waiting to be delivered. */
export interface OutboxEntry {
  /** `${itemId}:${seq}:${index}`: the idempotency key handed to the host with the effect. */
  readonly key: string;
  readonly itemId: string;
  /** The effect's JSON. */
  readonly effect: string;
  readonly createdAt: number;
}

export interface OutboxRecord extends OutboxEntry {
  /** Insertion order. */
  readonly id: number;
  /** Deliveries started so far, this one included. */
  readonly attempts: number;
  readonly lastError: string | null;
}

/**
 * What was set aside: a stored connection that could not be read (`connection`, a copy of the row,
 * which stays where it is, flagged), a rejected input (`input`), an event or a fired timer whose
 * connection could not be read (`event`, `timer`), an effect that could not be delivered (`effect`).
 */
export type QuarantineKind = 'connection' | 'input' | 'event' | 'timer' | 'effect';

export interface QuarantineEntry {
  readonly kind: QuarantineKind;
  readonly itemId: string | null;
  readonly eventId: string | null;
  /** What was expected and what was received. */
  readonly error: string;
  /** The event, timer or effect as JSON, so it can be fed again once the cause is fixed. */
  readonly payload: string | null;
  readonly createdAt: number;
}

export interface QuarantineRecord extends QuarantineEntry {
  readonly id: number;
}

export interface SeenEvent {
  readonly eventId: string;
  readonly itemId: string;
}

/** The operations of one transaction. Rows loaded here stay locked until it ends. */
export interface StoreTransaction {
  /** Records each eventId (until `expiresAt`) and answers those that were already recorded. */
  markSeen(events: readonly SeenEvent[], expiresAt: number): Promise<ReadonlySet<string>>;
  /** Loads and locks these connections; absent ones are missing from the map. */
  load(itemIds: readonly string[]): Promise<ReadonlyMap<string, StoredConnection>>;
  /**
   * Loads and locks up to `limit` readable connections of this machine version whose earliest timer
   * is due by `until`, earliest first, skipping rows another transaction holds.
   */
  claimDue(until: number, limit: number, machine: string, version: number): Promise<readonly StoredConnection[]>;
  save(rows: readonly ConnectionWrite[]): Promise<void>;
  /** Flags a row that could not be read, so the timer worker stops claiming it. */
  markCorrupt(itemId: string, error: string, at: number): Promise<void>;
  enqueue(entries: readonly OutboxEntry[]): Promise<void>;
  quarantine(entries: readonly QuarantineEntry[]): Promise<void>;
}

export interface StoreCounts {
  readonly connections: number;
  readonly outbox: number;
  readonly dedupe: number;
  readonly quarantine: number;
}

export interface ConnectionStore {
  readonly kind: string;
  /**
   * Runs `work` in one transaction: all its writes commit together or not at all. A store may run
   * `work` again after a conflict with another instance (a deadlock, a row created concurrently),
   * so `work` must have no effect outside the transaction.
   */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;

  /** Takes up to `limit` outbox rows available at `now` (in insertion order) and hides them until `leaseUntil`. */
  claimOutbox(limit: number, now: number, leaseUntil: number): Promise<readonly OutboxRecord[]>;
  /** Removes delivered rows. */
  completeOutbox(ids: readonly number[]): Promise<void>;
  /** Makes a row available again at `availableAt`, remembering why it failed. */
  retryOutbox(id: number, availableAt: number, error: string): Promise<void>;
  /** Moves an outbox row to the quarantine, in one transaction. */
  quarantineOutbox(id: number, entry: QuarantineEntry): Promise<void>;

  get(itemId: string): Promise<StoredConnection | undefined>;
  /** Connections in item id order, after `after`. */
  list(options: { readonly after?: string; readonly limit: number }): Promise<readonly StoredConnection[]>;
  listQuarantine(options: { readonly afterId?: number; readonly limit: number }): Promise<readonly QuarantineRecord[]>;
  /** Forgets eventIds recorded until before `now`; answers how many. */
  pruneSeen(now: number): Promise<number>;
  counts(): Promise<StoreCounts>;
  close(): Promise<void>;
}
