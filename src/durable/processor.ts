/**
 * The durable processor: connections live in a store, not in memory. Each batch of events runs in
 * one transaction: dedupe by eventId → load the stored snapshots → fire the timers that fell due
 * → pure `transition()` → save the snapshots (with their next due time) and the effects (outbox).
 * A crash between any two steps loses nothing: the transaction rolls back and the event is
 * applied again, with the same sequence numbers and so the same outbox keys.
 */
import { DEDUPE_TTL_MS } from '../drivers/webhook';
import { InputError, issue } from '../errors';
import type { DriveMode } from '../machine/context';
import type { Effect } from '../machine/effects';
import type { ConnectionEvent } from '../machine/events';
import type { TimingPolicy } from '../machine/timing';
import { systemClock, type Clock } from '../runtime/clock';
import { toConnectionEvent, type ConnectionCommand } from '../runtime/commands';
import { toDottedState } from '../runtime/connection';
import { READABLE_VERSIONS } from '../runtime/persisted';
import type { ParseWarning, ParsingMode } from '../vocabulary/fields';
import {
  MACHINE_ID,
  MACHINE_VERSION,
  applyEvent,
  decodeConnection,
  encodeConnection,
  fireDue,
  startConnection,
  type ConnectionSnapshot,
  type Stepped,
} from './step';
import type { ConnectionStore, ConnectionWrite, OutboxEntry, QuarantineEntry, StoreTransaction, StoredConnection } from './store';
import { describeStored, type StoredConnectionState } from './view';

/** The versions whose due timers are claimed: the current one first. */
const CLAIMED_VERSIONS = [MACHINE_VERSION, ...READABLE_VERSIONS.filter((version) => version !== MACHINE_VERSION)];

/** One event for one connection, as the host hands it over. */
export interface DurableEvent {
  readonly itemId: string;
  /** Raw as the host has it (item JSON, webhook body): validated here, like `Connection.send`. */
  readonly command: ConnectionCommand;
  /** The deduplication key. Webhooks default to their `eventId`; other events are deduplicated only when given one. */
  readonly eventId?: string;
  /** When the event happened (epoch ms); default: the processor's clock. */
  readonly at?: number;
}

/** An effect to deliver, with the key that makes delivering it twice harmless. */
export interface Delivery {
  /** `${itemId}:${seq}:${index}`: the same effect keeps the same key across crashes and retries. */
  readonly key: string;
  readonly itemId: string;
  readonly effect: Effect;
}

export type ProcessOutcome =
  | {
      readonly kind: 'applied';
      readonly itemId: string;
      readonly eventId?: string;
      /** The connection's sequence number after this event. */
      readonly seq: number;
      readonly state: string;
      /** False when the event changed nothing (a stale snapshot, a finished connection). */
      readonly changed: boolean;
      /** Timers that had fallen due before the event, fired first (the timer worker had not got to them). */
      readonly fired: number;
      /** Effects written to the outbox: those of the fired timers, then the event's. */
      readonly effects: readonly Delivery[];
      readonly warnings: readonly ParseWarning[];
    }
  /** The eventId was already handled within the dedupe window: nothing was done. */
  | { readonly kind: 'duplicate'; readonly itemId: string; readonly eventId: string }
  /** The input is invalid: nothing changed; it is kept in the quarantine (kind `input`). */
  | { readonly kind: 'rejected'; readonly itemId: string; readonly eventId?: string; readonly error: InputError }
  /** The stored connection could not be read (corrupt, another machine version): the event is kept in the quarantine. */
  | { readonly kind: 'quarantined'; readonly itemId: string; readonly eventId?: string; readonly error: Error };

/** What the timer worker did to one connection. */
export interface TimerOutcome {
  readonly itemId: string;
  readonly fired: number;
  readonly state: string;
  readonly effects: readonly Delivery[];
  /** Set when the connection could not be read or its timers failed; they are quarantined. */
  readonly error?: Error;
}

/** How new connections start (as `createConnection`'s options). */
export interface NewConnectionOptions {
  readonly mode?: DriveMode;
  readonly isOpenFinance?: boolean;
  readonly timing?: Partial<TimingPolicy>;
}

export interface ProcessorOptions {
  readonly store: ConnectionStore;
  /** The host's clock: the default event time, the dedupe window and the timer worker's "now". */
  readonly clock?: Pick<Clock, 'now'>;
  /** How long eventIds are remembered; default 3 h 15 min, longer than Pluggy's retries. */
  readonly dedupeTtlMs?: number;
  /** `strict` (default) or `lenient`, as for `createConnection`. */
  readonly parsing?: ParsingMode;
  /** Options of new connections, the same for all or per item. */
  readonly connections?: NewConnectionOptions | ((itemId: string) => NewConnectionOptions);
  /** Events applied in one transaction at most (default 256). Concurrent `process()` calls share transactions. */
  readonly maxBatch?: number;
  /** Connections claimed per timer-worker transaction (default 256). */
  readonly timerBatch?: number;
  /** Restored snapshots kept between transactions, checked against the stored JSON before use (default 10 000; 0 turns it off). */
  readonly cacheSize?: number;
}

export interface Processor {
  /** Applies one event durably. Rejects only when the store fails (then nothing was applied). */
  process(event: DurableEvent): Promise<ProcessOutcome>;
  /** Applies events in order, in as few transactions as `maxBatch` allows. */
  processBatch(events: readonly DurableEvent[]): Promise<ProcessOutcome[]>;
  /** The timer worker: fires every timer due by `until` (default now), per connection in due order. */
  fireDueTimers(until?: number): Promise<TimerOutcome[]>;
  /** Forgets eventIds older than the dedupe window; answers how many. */
  pruneSeen(): Promise<number>;
  /** A stored connection as `show` prints it. */
  get(itemId: string): Promise<StoredConnectionState | undefined>;
  readonly store: ConnectionStore;
}

interface Prepared {
  readonly itemId: string;
  readonly eventId: string | undefined;
  readonly input: DurableEvent;
  readonly event?: ConnectionEvent;
  readonly warnings: readonly ParseWarning[];
  readonly error?: InputError;
}

/** A connection while a transaction works on it. */
interface Working {
  readonly itemId: string;
  readonly loaded: StoredConnection | undefined;
  snapshot: ConnectionSnapshot | undefined;
  readonly unreadable: InputError | undefined;
  seq: number;
  dirty: boolean;
}

interface Cached {
  readonly text: string;
  readonly snapshot: ConnectionSnapshot;
}

/** The quarantine's copy of an unreadable row, the first time it is found so. */
function rowCopy(row: StoredConnection, error: string, now: number): QuarantineEntry {
  const { itemId, machine, version, seq, state, snapshot } = row;
  return { kind: 'connection', itemId, eventId: null, error, payload: JSON.stringify({ itemId, machine, version, seq, state, snapshot }), createdAt: now };
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify(String(value));
  }
}

export function createProcessor(options: ProcessorOptions): Processor {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const ttl = options.dedupeTtlMs ?? DEDUPE_TTL_MS;
  const parsing = options.parsing ?? 'strict';
  const maxBatch = Math.max(1, options.maxBatch ?? 256);
  const timerBatch = Math.max(1, options.timerBatch ?? 256);
  const cacheSize = Math.max(0, options.cacheSize ?? 10_000);
  const connectionOptions = options.connections ?? {};
  const cache = new Map<string, Cached>();

  const remember = (itemId: string, entry: Cached) => {
    if (cacheSize === 0) return;
    cache.delete(itemId);
    cache.set(itemId, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  function prepare(input: DurableEvent, now: number): Prepared {
    const itemId = input?.itemId;
    const given = input?.eventId;
    const fail = (path: string, expected: string, value: unknown): Prepared => ({
      itemId: typeof itemId === 'string' ? itemId : '',
      eventId: undefined,
      input,
      warnings: [],
      error: new InputError('event', [issue(path, expected, value)], input),
    });
    if (typeof itemId !== 'string' || itemId.trim() === '') return fail('itemId', "the Pluggy item's id (a non-empty string)", itemId);
    if (given !== undefined && (typeof given !== 'string' || given === '')) return fail('eventId', 'a non-empty string', given);
    if (input.at !== undefined && (typeof input.at !== 'number' || !Number.isFinite(input.at))) return fail('at', 'epoch milliseconds', input.at);
    const converted = toConnectionEvent(input.command, { itemId, at: input.at ?? now, parsing });
    if (!converted.ok) {
      // A rejected webhook is still recognised by its eventId, so Pluggy's retries of it are not kept twice.
      const payload = input.command?.type === 'WEBHOOK' ? (input.command.payload as { eventId?: unknown } | null) : undefined;
      const own = typeof payload?.eventId === 'string' && payload.eventId !== '' ? payload.eventId : undefined;
      return { itemId, eventId: given ?? own, input, warnings: [], error: converted.error };
    }
    const event = converted.event;
    const eventId = given ?? (event.type === 'WEBHOOK' ? event.payload.eventId : undefined);
    return { itemId, eventId, input, event, warnings: converted.warnings };
  }

  function open(itemId: string, loaded: StoredConnection | undefined, at: number): Working {
    if (!loaded) {
      const extra = typeof connectionOptions === 'function' ? connectionOptions(itemId) : connectionOptions;
      const started = startConnection({ ...extra, itemId, now: at });
      return { itemId, loaded, snapshot: started.snapshot, unreadable: undefined, seq: 0, dirty: true };
    }
    const cached = cache.get(itemId);
    if (cached && cached.text === loaded.snapshot && loaded.machine === MACHINE_ID && loaded.version === MACHINE_VERSION) {
      return { itemId, loaded, snapshot: cached.snapshot, unreadable: undefined, seq: loaded.seq, dirty: false };
    }
    const decoded = decodeConnection(loaded);
    if (decoded instanceof InputError) return { itemId, loaded, snapshot: undefined, unreadable: decoded, seq: loaded.seq, dirty: false };
    return { itemId, loaded, snapshot: decoded, unreadable: undefined, seq: loaded.seq, dirty: false };
  }

  /** A row of this machine version that does not decode is corrupt; another version is only not ours to read. */
  const isCorrupt = (working: Working) => working.loaded?.machine === MACHINE_ID && READABLE_VERSIONS.includes(working.loaded.version);

  /** Keeps the steps' results: a sequence number per step that did something, an outbox key per effect. */
  function record(working: Working, steps: readonly Stepped[], now: number, deliveries: Delivery[], outbox: OutboxEntry[]): void {
    for (const step of steps) {
      working.snapshot = step.snapshot;
      if (!step.changed && step.effects.length === 0) continue;
      working.seq += 1;
      working.dirty = true;
      step.effects.forEach((effect, index) => {
        const key = `${working.itemId}:${working.seq}:${index}`;
        deliveries.push({ key, itemId: working.itemId, effect });
        outbox.push({ key, itemId: working.itemId, effect: JSON.stringify(effect), createdAt: now });
      });
    }
  }

  async function save(tx: StoreTransaction, works: Iterable<Working>, now: number): Promise<Array<[string, Cached]>> {
    const writes: ConnectionWrite[] = [];
    const fresh: Array<[string, Cached]> = [];
    for (const working of works) {
      if (!working.snapshot) continue;
      if (!working.dirty) {
        if (working.loaded) fresh.push([working.itemId, { text: working.loaded.snapshot, snapshot: working.snapshot }]);
        continue;
      }
      const encoded = encodeConnection(working.snapshot);
      writes.push({ itemId: working.itemId, ...encoded, seq: working.seq, updatedAt: now, created: working.loaded === undefined });
      fresh.push([working.itemId, { text: encoded.snapshot, snapshot: working.snapshot }]);
    }
    if (writes.length > 0) await tx.save(writes);
    return fresh;
  }

  async function runBatch(inputs: readonly DurableEvent[]): Promise<ProcessOutcome[]> {
    const now = clock.now();
    const prepared = inputs.map((input) => prepare(input, now));
    const { outcomes, fresh } = await store.transaction(async (tx) => {
      const outcomes: ProcessOutcome[] = [];
      const quarantine: QuarantineEntry[] = [];
      const outbox: OutboxEntry[] = [];

      // Dedupe first: an eventId seen in this batch or recorded before is a duplicate.
      const claims = new Map<string, string>();
      const repeated = new Set<number>();
      prepared.forEach((p, index) => {
        if (p.eventId === undefined || (p.error && p.itemId === '')) return;
        if (claims.has(p.eventId)) repeated.add(index);
        else claims.set(p.eventId, p.itemId);
      });
      const seen = claims.size > 0 ? await tx.markSeen([...claims].map(([eventId, itemId]) => ({ eventId, itemId })), now + ttl) : new Set<string>();

      const live = prepared.filter((p, index) => !p.error && !repeated.has(index) && !(p.eventId !== undefined && seen.has(p.eventId)));
      const itemIds = [...new Set(live.map((p) => p.itemId))];
      const rows = itemIds.length > 0 ? await tx.load(itemIds) : new Map<string, StoredConnection>();
      const works = new Map<string, Working>();
      const corrupt = new Map<string, string>();

      prepared.forEach((p, index) => {
        const base = { itemId: p.itemId, ...(p.eventId !== undefined ? { eventId: p.eventId } : {}) };
        // Every eventId is handled once: applied, or rejected and kept in the quarantine.
        if (p.eventId !== undefined && (repeated.has(index) || seen.has(p.eventId))) {
          outcomes.push({ kind: 'duplicate', itemId: p.itemId, eventId: p.eventId });
          return;
        }
        if (p.error) {
          outcomes.push({ kind: 'rejected', ...base, error: p.error });
          quarantine.push({ kind: 'input', itemId: p.itemId || null, eventId: p.eventId ?? null, error: p.error.message, payload: toJson(p.input), createdAt: now });
          return;
        }
        const event = p.event!;
        const at = event.at ?? now;
        let working = works.get(p.itemId);
        if (!working) {
          working = open(p.itemId, rows.get(p.itemId), at);
          works.set(p.itemId, working);
        }
        const park = (error: Error) => {
          outcomes.push({ kind: 'quarantined', ...base, error });
          quarantine.push({ kind: 'event', itemId: p.itemId, eventId: p.eventId ?? null, error: error.message, payload: toJson(p.input), createdAt: now });
        };
        if (!working.snapshot) {
          const error = working.unreadable!;
          if (isCorrupt(working)) corrupt.set(p.itemId, error.message);
          park(error);
          return;
        }
        let steps: Stepped[];
        try {
          // Timers the worker has not fired yet fire first, as they would have on a live actor.
          steps = fireDue(working.snapshot, at);
          const last = steps.length > 0 ? steps[steps.length - 1]!.snapshot : working.snapshot;
          steps.push(applyEvent(last, event));
        } catch (error) {
          park(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const deliveries: Delivery[] = [];
        record(working, steps, now, deliveries, outbox);
        const final = steps[steps.length - 1]!;
        outcomes.push({
          kind: 'applied',
          ...base,
          seq: working.seq,
          state: toDottedState(final.snapshot.value),
          changed: steps.some((step) => step.changed),
          fired: steps.length - 1,
          effects: deliveries,
          warnings: p.warnings,
        });
      });

      const fresh = await save(tx, works.values(), now);
      for (const [itemId, error] of corrupt) {
        const row = rows.get(itemId)!;
        if (row.error === null) quarantine.push(rowCopy(row, error, now));
        await tx.markCorrupt(itemId, error, now);
      }
      if (outbox.length > 0) await tx.enqueue(outbox);
      if (quarantine.length > 0) await tx.quarantine(quarantine);
      return { outcomes, fresh };
    });
    for (const [itemId, entry] of fresh) remember(itemId, entry);
    return outcomes;
  }

  // Calls made while a transaction runs wait and share the next one: fewer, larger transactions.
  const queue: Array<{ input: DurableEvent; resolve: (outcome: ProcessOutcome) => void; reject: (error: unknown) => void }> = [];
  let flushing = false;
  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          const outcomes = await runBatch(batch.map((entry) => entry.input));
          batch.forEach((entry, index) => entry.resolve(outcomes[index]!));
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      flushing = false;
    }
  }
  const enqueue = (input: DurableEvent) =>
    new Promise<ProcessOutcome>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      if (!flushing) {
        flushing = true;
        queueMicrotask(() => void flush());
      }
    });

  async function fireDueTimers(until = clock.now()): Promise<TimerOutcome[]> {
    const all: TimerOutcome[] = [];
    for (;;) {
      const now = clock.now();
      const { outcomes, claimed, fresh } = await store.transaction(async (tx) => {
        // Rows written by an earlier version this one reads are claimed too, after the current ones.
        const rows: StoredConnection[] = [];
        for (const version of CLAIMED_VERSIONS) {
          if (rows.length >= timerBatch) break;
          rows.push(...(await tx.claimDue(until, timerBatch - rows.length, MACHINE_ID, version)));
        }
        const outcomes: TimerOutcome[] = [];
        const outbox: OutboxEntry[] = [];
        const quarantine: QuarantineEntry[] = [];
        const works: Working[] = [];
        for (const row of rows) {
          const working = open(row.itemId, row, now);
          const fail = async (error: Error) => {
            outcomes.push({ itemId: row.itemId, fired: 0, state: row.state, effects: [], error });
            const payload = toJson({ itemId: row.itemId, due: row.nextDue, until });
            quarantine.push(rowCopy(row, error.message, now), { kind: 'timer', itemId: row.itemId, eventId: null, error: error.message, payload, createdAt: now });
            await tx.markCorrupt(row.itemId, error.message, now);
          };
          if (!working.snapshot) {
            await fail(working.unreadable!);
            continue;
          }
          let steps: Stepped[];
          try {
            steps = fireDue(working.snapshot, until);
          } catch (error) {
            await fail(error instanceof Error ? error : new Error(String(error)));
            continue;
          }
          const deliveries: Delivery[] = [];
          record(working, steps, now, deliveries, outbox);
          // A stored next due time that no armed timer matches is rewritten, so the row is not claimed again.
          if (steps.length === 0) working.dirty = true;
          works.push(working);
          outcomes.push({ itemId: row.itemId, fired: steps.length, state: toDottedState(working.snapshot!.value), effects: deliveries });
        }
        const fresh = await save(tx, works, now);
        if (outbox.length > 0) await tx.enqueue(outbox);
        if (quarantine.length > 0) await tx.quarantine(quarantine);
        return { outcomes, claimed: rows.length, fresh };
      });
      for (const [itemId, entry] of fresh) remember(itemId, entry);
      all.push(...outcomes);
      if (claimed < timerBatch) return all;
    }
  }

  return {
    store,
    process: (event) => enqueue(event),
    processBatch: (events) => Promise.all(events.map(enqueue)),
    fireDueTimers,
    pruneSeen: () => store.pruneSeen(clock.now()),
    async get(itemId) {
      const row = await store.get(itemId);
      return row ? describeStored(row) : undefined;
    },
  };
}
