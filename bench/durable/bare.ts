/**
 * The baseline of the durable processor: the same store writes without the machine. A first,
 * untimed pass records what the processor writes for each event (one event per transaction); the
 * bare writer then replays those writes, batching concurrent calls into one transaction as the
 * processor does, so that the two differ only by what the processor computes.
 */
import { createProcessor, type DurableEvent, type ProcessorOptions } from '../../src/durable/processor';
import type { ConnectionStore, ConnectionWrite, OutboxEntry, SeenEvent, StoreTransaction } from '../../src/durable/store';
import { createMemoryStore } from '../../src/stores/memory';

/** What the processor wrote for one event. */
export interface EventWrites {
  readonly itemId: string;
  readonly seen: readonly SeenEvent[];
  readonly expiresAt: number;
  readonly row: Omit<ConnectionWrite, 'created'> | undefined;
  readonly outbox: readonly OutboxEntry[];
}

/** A store that notes the writes of each transaction and passes everything through. */
function recording(store: ConnectionStore, log: EventWrites[]): ConnectionStore {
  return {
    ...store,
    transaction: (work) =>
      store.transaction((tx) => {
        let seen: readonly SeenEvent[] = [];
        let expiresAt = 0;
        let row: Omit<ConnectionWrite, 'created'> | undefined;
        const outbox: OutboxEntry[] = [];
        let itemId = '';
        const noting: StoreTransaction = {
          ...tx,
          markSeen: (events, expires) => {
            seen = events;
            expiresAt = expires;
            return tx.markSeen(events, expires);
          },
          load: (itemIds) => {
            itemId = itemIds[0] ?? itemId;
            return tx.load(itemIds);
          },
          save: (rows) => {
            if (rows.length > 1) throw new Error('recording expects one event per transaction');
            const [written] = rows;
            if (written) {
              const { created: _created, ...rest } = written;
              row = rest;
              itemId = written.itemId;
            }
            return tx.save(rows);
          },
          enqueue: (entries) => {
            outbox.push(...entries);
            return tx.enqueue(entries);
          },
        };
        return work(noting).then((result) => {
          log.push({ itemId, seen, expiresAt, row, outbox });
          return result;
        });
      }),
  };
}

/** Runs `events` through a processor, one per transaction, and answers what each one wrote. */
export async function recordWrites(events: readonly DurableEvent[], options: Omit<ProcessorOptions, 'store' | 'maxBatch'>): Promise<EventWrites[]> {
  const log: EventWrites[] = [];
  const processor = createProcessor({ ...options, store: recording(createMemoryStore(), log), maxBatch: 1 });
  for (const event of events) {
    const outcome = await processor.process(event);
    if (outcome.kind !== 'applied' && outcome.kind !== 'duplicate') throw new Error(`the bench stream must apply cleanly: ${outcome.kind} ${JSON.stringify(event)}`);
  }
  if (log.length !== events.length) throw new Error(`recorded ${log.length} transactions for ${events.length} events`);
  return log;
}

/** Replays recorded writes: calls made while a transaction runs share the next one, at most `maxBatch`. */
export function bareWriter(store: ConnectionStore, maxBatch = 256): (writes: EventWrites) => Promise<void> {
  const queue: Array<{ writes: EventWrites; resolve: () => void; reject: (error: unknown) => void }> = [];
  let flushing = false;

  async function write(batch: readonly EventWrites[]): Promise<void> {
    await store.transaction(async (tx) => {
      const seen = batch.flatMap((writes) => writes.seen);
      if (seen.length > 0) await tx.markSeen(seen, Math.max(...batch.map((writes) => writes.expiresAt)));
      const itemIds = [...new Set(batch.map((writes) => writes.itemId))];
      const existing = await tx.load(itemIds);
      const rows = new Map<string, ConnectionWrite>();
      for (const { row } of batch) if (row) rows.set(row.itemId, { ...row, created: !existing.has(row.itemId) });
      if (rows.size > 0) await tx.save([...rows.values()]);
      const outbox = batch.flatMap((writes) => writes.outbox);
      if (outbox.length > 0) await tx.enqueue(outbox);
    });
  }

  async function flush(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await write(batch.map((entry) => entry.writes));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return (writes) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ writes, resolve, reject });
      if (!flushing) {
        flushing = true;
        queueMicrotask(() => void flush());
      }
    });
}

/** One transaction's store calls, in order, with their arguments. */
export type RecordedTransaction = ReadonlyArray<readonly [keyof StoreTransaction, readonly unknown[]]>;

/**
 * Passes everything through to `store` and notes every transaction's calls, so that the same
 * transactions can be replayed on a copy of the database without the processor.
 */
export function recordingTransactions(store: ConnectionStore): { readonly store: ConnectionStore; take(): RecordedTransaction[] } {
  let recorded: RecordedTransaction[] = [];
  const wrapped: ConnectionStore = {
    ...store,
    transaction: (work) =>
      store.transaction((tx) => {
        const calls: Array<readonly [keyof StoreTransaction, readonly unknown[]]> = [];
        const noting = Object.fromEntries(
          (Object.keys(tx) as Array<keyof StoreTransaction>).map((name) => [
            name,
            (...args: unknown[]) => {
              calls.push([name, args]);
              return (tx[name] as (...a: unknown[]) => Promise<unknown>)(...args);
            },
          ]),
        ) as unknown as StoreTransaction;
        return work(noting).then((result) => {
          recorded.push(calls);
          return result;
        });
      }),
  };
  return {
    store: wrapped,
    take() {
      const taken = recorded;
      recorded = [];
      return taken;
    },
  };
}

/** Runs recorded transactions again, one after the other, on another store. */
export async function replayTransactions(store: ConnectionStore, transactions: readonly RecordedTransaction[]): Promise<void> {
  for (const calls of transactions) {
    await store.transaction(async (tx) => {
      for (const [name, args] of calls) await (tx[name] as (...a: unknown[]) => Promise<unknown>)(...args);
    });
  }
}
