/**
 * An in-memory store: for tests, for small hosts, and as the reference the SQL stores are held to.
 * Transactions buffer their writes and apply them when `work` resolves, so a failing batch
 * leaves nothing behind.
 */
import type {
  ConnectionStore,
  ConnectionWrite,
  OutboxEntry,
  OutboxRecord,
  QuarantineEntry,
  QuarantineRecord,
  SeenEvent,
  StoreTransaction,
  StoredConnection,
} from '../durable/store';
import { createMutex } from './mutex';

interface OutboxRow extends OutboxRecord {
  readonly availableAt: number;
}

export function createMemoryStore(): ConnectionStore {
  const connections = new Map<string, StoredConnection>();
  const seen = new Map<string, number>();
  const outbox = new Map<number, OutboxRow>();
  const quarantined: QuarantineRecord[] = [];
  let nextOutboxId = 1;
  let nextQuarantineId = 1;
  const exclusive = createMutex();
  let closed = false;

  const ensureOpen = () => {
    if (closed) throw new Error('the memory store is closed');
  };

  return {
    kind: 'memory',

    transaction(work) {
      return exclusive(async () => {
        ensureOpen();
        const writes: Array<() => void> = [];
        const pendingSeen = new Set<string>();
        const tx: StoreTransaction = {
          async markSeen(events: readonly SeenEvent[], expiresAt: number) {
            const duplicates = new Set<string>();
            for (const { eventId } of events) {
              if (seen.has(eventId) || pendingSeen.has(eventId)) duplicates.add(eventId);
              else {
                pendingSeen.add(eventId);
                writes.push(() => seen.set(eventId, expiresAt));
              }
            }
            return duplicates;
          },
          async load(itemIds) {
            const rows = new Map<string, StoredConnection>();
            for (const itemId of itemIds) {
              const row = connections.get(itemId);
              if (row) rows.set(itemId, row);
            }
            return rows;
          },
          async claimDue(until, limit, machine, version) {
            const due: StoredConnection[] = [];
            for (const row of connections.values()) {
              if (row.nextDue !== null && row.nextDue <= until && row.error === null && row.machine === machine && row.version === version) due.push(row);
            }
            return due.sort((a, b) => a.nextDue! - b.nextDue! || (a.itemId < b.itemId ? -1 : 1)).slice(0, limit);
          },
          async save(rows: readonly ConnectionWrite[]) {
            for (const { created: _created, ...row } of rows) writes.push(() => connections.set(row.itemId, { ...row, error: null }));
          },
          async markCorrupt(itemId, error, at) {
            writes.push(() => {
              const row = connections.get(itemId);
              if (row) connections.set(itemId, { ...row, error, nextDue: null, updatedAt: at });
            });
          },
          async enqueue(entries: readonly OutboxEntry[]) {
            for (const entry of entries) {
              writes.push(() => {
                const id = nextOutboxId++;
                outbox.set(id, { ...entry, id, attempts: 0, lastError: null, availableAt: entry.createdAt });
              });
            }
          },
          async quarantine(entries: readonly QuarantineEntry[]) {
            for (const entry of entries) writes.push(() => quarantined.push({ ...entry, id: nextQuarantineId++ }));
          },
        };
        const result = await work(tx);
        for (const write of writes) write();
        return result;
      });
    },

    claimOutbox(limit, now, leaseUntil) {
      return exclusive(async () => {
        ensureOpen();
        const claimed: OutboxRecord[] = [];
        for (const row of outbox.values()) {
          if (claimed.length >= limit) break;
          if (row.availableAt > now) continue;
          const next = { ...row, attempts: row.attempts + 1, availableAt: leaseUntil };
          outbox.set(row.id, next);
          const { availableAt: _availableAt, ...record } = next;
          claimed.push(record);
        }
        return claimed;
      });
    },
    completeOutbox(ids) {
      return exclusive(async () => {
        for (const id of ids) outbox.delete(id);
      });
    },
    retryOutbox(id, availableAt, error) {
      return exclusive(async () => {
        const row = outbox.get(id);
        if (row) outbox.set(id, { ...row, availableAt, lastError: error });
      });
    },
    quarantineOutbox(id, entry) {
      return exclusive(async () => {
        if (outbox.delete(id)) quarantined.push({ ...entry, id: nextQuarantineId++ });
      });
    },

    async get(itemId) {
      ensureOpen();
      return connections.get(itemId);
    },
    async list({ after, limit }) {
      ensureOpen();
      return [...connections.values()]
        .filter((row) => after === undefined || row.itemId > after)
        .sort((a, b) => (a.itemId < b.itemId ? -1 : 1))
        .slice(0, limit);
    },
    async listQuarantine({ afterId, limit }) {
      return quarantined.filter((row) => afterId === undefined || row.id > afterId).slice(0, limit);
    },
    pruneSeen(now) {
      return exclusive(async () => {
        let pruned = 0;
        for (const [eventId, expiresAt] of seen) {
          if (expiresAt < now) {
            seen.delete(eventId);
            pruned++;
          }
        }
        return pruned;
      });
    },
    async counts() {
      return { connections: connections.size, outbox: outbox.size, dedupe: seen.size, quarantine: quarantined.length };
    },
    async close() {
      closed = true;
    },
  };
}
