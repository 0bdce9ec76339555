/**
 * The embedded default store: SQLite through better-sqlite3@12, in WAL mode. One process writes
 * at a time (transactions take SQLite's write lock up front), readers never wait. Statements are
 * prepared once; a transaction's statements run synchronously, so a batch costs one commit.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type {
  ConnectionStore,
  OutboxRecord,
  QuarantineKind,
  QuarantineRecord,
  StoreCounts,
  StoreTransaction,
  StoredConnection,
} from '../durable/store';
import { createMutex } from './mutex';
import { loadPeer } from '../peer';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` (the default) for a database that lives as long as the store. */
  readonly path?: string;
  /** An already open database, instead of `path`. `close()` leaves it open. */
  readonly database?: BetterSqlite3.Database;
  /** Prefix of the table names (default `pluggy_`). */
  readonly tablePrefix?: string;
  /**
   * `NORMAL` (default) survives a crash of the process, which is what WAL needs for that; `FULL`
   * also survives a power loss, at the price of an fsync per commit.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** WAL pages after which SQLite copies them back into the database file (default 10 000). */
  readonly checkpointPages?: number;
  /** SQLite's page cache, in MiB (default 32). */
  readonly cacheMiB?: number;
  /** How long to wait for another process's write lock (default 10 s). */
  readonly busyTimeoutMs?: number;
}

export interface SqliteStore extends ConnectionStore {
  readonly kind: 'sqlite';
  /** The underlying database (for operators' queries; do not write to it while the store runs). */
  readonly database: BetterSqlite3.Database;
}

/** Schema versions, applied in order on start. Never edit a released step: add one. */
const MIGRATIONS: ReadonlyArray<(p: string) => string> = [
  (p) => `
    CREATE TABLE ${p}connections (
      item_id TEXT PRIMARY KEY,
      machine TEXT NOT NULL,
      version INTEGER NOT NULL,
      state TEXT NOT NULL,
      snapshot TEXT NOT NULL,
      seq INTEGER NOT NULL,
      next_due INTEGER,
      updated_at INTEGER NOT NULL,
      error TEXT
    ) WITHOUT ROWID;
    CREATE INDEX ${p}connections_next_due ON ${p}connections (next_due) WHERE next_due IS NOT NULL;
    CREATE TABLE ${p}dedupe (
      event_id TEXT PRIMARY KEY,
      item_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX ${p}dedupe_expires_at ON ${p}dedupe (expires_at);
    CREATE TABLE ${p}outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      key TEXT NOT NULL,
      item_id TEXT NOT NULL,
      effect TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      available_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT
    );
    -- No index on key: keys are unique by construction (a connection's seq moves under the write
    -- lock), and a random-order index would double the cost of each effect written.
    CREATE INDEX ${p}outbox_available_at ON ${p}outbox (available_at, id);
    CREATE TABLE ${p}quarantine (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      item_id TEXT,
      event_id TEXT,
      error TEXT NOT NULL,
      payload TEXT,
      created_at INTEGER NOT NULL
    );`,
];

interface ConnectionRow {
  item_id: string;
  machine: string;
  version: number;
  state: string;
  snapshot: string;
  seq: number;
  next_due: number | null;
  updated_at: number;
  error: string | null;
}

const toConnection = (row: ConnectionRow): StoredConnection => ({
  itemId: row.item_id,
  machine: row.machine,
  version: row.version,
  state: row.state,
  snapshot: row.snapshot,
  seq: row.seq,
  nextDue: row.next_due,
  updatedAt: row.updated_at,
  error: row.error,
});

const CONNECTION_COLUMNS = 'item_id, machine, version, state, snapshot, seq, next_due, updated_at, error';

function migrate(db: BetterSqlite3.Database, p: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${p}migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  db.exec('BEGIN IMMEDIATE');
  try {
    const row = db.prepare(`SELECT COALESCE(MAX(version), 0) AS version FROM ${p}migrations`).get() as { version: number };
    if (row.version > MIGRATIONS.length) {
      throw new Error(`the database schema is at version ${row.version}, newer than this release of pluggy-lifecycle knows (expected at most ${MIGRATIONS.length})`);
    }
    for (let version = row.version + 1; version <= MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version - 1]!(p));
      db.prepare(`INSERT INTO ${p}migrations (version, applied_at) VALUES (?, ?)`).run(version, Date.now());
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Opens (creating and migrating when needed) a SQLite store: `openSqliteStore('lifecycle.db')`. */
export function openSqliteStore(target: string | SqliteStoreOptions = {}): SqliteStore {
  const options: SqliteStoreOptions = typeof target === 'string' ? { path: target } : target;
  const p = options.tablePrefix ?? 'pluggy_';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) throw new Error(`tablePrefix: expected letters, digits and underscores, received ${JSON.stringify(p)}`);
  const ownsDatabase = options.database === undefined;
  let db: BetterSqlite3.Database;
  if (options.database) db = options.database;
  else {
    const Database = loadPeer<typeof BetterSqlite3>('better-sqlite3', '12', 'The SQLite store');
    db = new Database(options.path ?? ':memory:');
  }
  db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 10_000))}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  // Connection rows are read and rewritten at random: keep more of them in memory than the 2 MiB default.
  db.pragma(`cache_size = -${Math.max(2, Math.round(options.cacheMiB ?? 32)) * 1024}`);
  // Each batch rewrites pages all over the table. Checkpointing every 1000 pages (the default)
  // copies the same pages back again and again; every 10 000 (~40 MiB of WAL) is a third faster.
  const checkpointPages = Math.max(100, Math.round(options.checkpointPages ?? 10_000));
  db.pragma(`wal_autocheckpoint = ${checkpointPages}`);
  db.pragma(`journal_size_limit = ${checkpointPages * 4096 * 2}`);
  migrate(db, p);

  const sql = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    markSeen: db.prepare(`INSERT INTO ${p}dedupe (event_id, item_id, expires_at) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING`),
    load: db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM ${p}connections WHERE item_id = ?`),
    claimDue: db.prepare(
      `SELECT ${CONNECTION_COLUMNS} FROM ${p}connections
       WHERE next_due IS NOT NULL AND next_due <= ? AND error IS NULL AND machine = ? AND version = ?
       ORDER BY next_due, item_id LIMIT ?`,
    ),
    insert: db.prepare(
      `INSERT INTO ${p}connections (item_id, machine, version, state, snapshot, seq, next_due, updated_at, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    ),
    update: db.prepare(
      `UPDATE ${p}connections SET machine = ?, version = ?, state = ?, snapshot = ?, seq = ?, next_due = ?, updated_at = ?, error = NULL
       WHERE item_id = ?`,
    ),
    markCorrupt: db.prepare(`UPDATE ${p}connections SET error = ?, next_due = NULL, updated_at = ? WHERE item_id = ?`),
    enqueue: db.prepare(`INSERT INTO ${p}outbox (key, item_id, effect, created_at, available_at) VALUES (?, ?, ?, ?, ?)`),
    quarantine: db.prepare(`INSERT INTO ${p}quarantine (kind, item_id, event_id, error, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
    claimOutbox: db.prepare(
      `UPDATE ${p}outbox SET available_at = ?, attempts = attempts + 1
       WHERE id IN (SELECT id FROM ${p}outbox WHERE available_at <= ? ORDER BY available_at, id LIMIT ?)
       RETURNING id, key, item_id, effect, created_at, attempts, last_error`,
    ),
    completeOutbox: db.prepare(`DELETE FROM ${p}outbox WHERE id = ?`),
    retryOutbox: db.prepare(`UPDATE ${p}outbox SET available_at = ?, last_error = ? WHERE id = ?`),
    deleteOutbox: db.prepare(`DELETE FROM ${p}outbox WHERE id = ?`),
    get: db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM ${p}connections WHERE item_id = ?`),
    listFirst: db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM ${p}connections ORDER BY item_id LIMIT ?`),
    listAfter: db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM ${p}connections WHERE item_id > ? ORDER BY item_id LIMIT ?`),
    listQuarantine: db.prepare(`SELECT id, kind, item_id, event_id, error, payload, created_at FROM ${p}quarantine WHERE id > ? ORDER BY id LIMIT ?`),
    pruneSeen: db.prepare(`DELETE FROM ${p}dedupe WHERE event_id IN (SELECT event_id FROM ${p}dedupe WHERE expires_at < ? LIMIT 10000)`),
    counts: db.prepare(
      `SELECT (SELECT COUNT(*) FROM ${p}connections) AS connections, (SELECT COUNT(*) FROM ${p}outbox) AS outbox,
              (SELECT COUNT(*) FROM ${p}dedupe) AS dedupe, (SELECT COUNT(*) FROM ${p}quarantine) AS quarantine`,
    ),
  };

  const tx: StoreTransaction = {
    async markSeen(events, expiresAt) {
      const duplicates = new Set<string>();
      for (const { eventId, itemId } of events) if (sql.markSeen.run(eventId, itemId, expiresAt).changes === 0) duplicates.add(eventId);
      return duplicates;
    },
    async load(itemIds) {
      const rows = new Map<string, StoredConnection>();
      for (const itemId of itemIds) {
        const row = sql.load.get(itemId) as ConnectionRow | undefined;
        if (row) rows.set(itemId, toConnection(row));
      }
      return rows;
    },
    async claimDue(until, limit, machine, version) {
      return (sql.claimDue.all(until, machine, version, limit) as ConnectionRow[]).map(toConnection);
    },
    async save(rows) {
      for (const row of rows) {
        if (row.created) sql.insert.run(row.itemId, row.machine, row.version, row.state, row.snapshot, row.seq, row.nextDue, row.updatedAt);
        else sql.update.run(row.machine, row.version, row.state, row.snapshot, row.seq, row.nextDue, row.updatedAt, row.itemId);
      }
    },
    async markCorrupt(itemId, error, at) {
      sql.markCorrupt.run(error, at, itemId);
    },
    async enqueue(entries) {
      for (const entry of entries) sql.enqueue.run(entry.key, entry.itemId, entry.effect, entry.createdAt, entry.createdAt);
    },
    async quarantine(entries) {
      for (const entry of entries) sql.quarantine.run(entry.kind, entry.itemId, entry.eventId, entry.error, entry.payload, entry.createdAt);
    },
  };

  // better-sqlite3 is synchronous, but `work` is async: without this, a call made while a
  // transaction awaits would run its statements inside that transaction.
  const exclusive = createMutex();
  let closed = false;
  const run = <T>(section: () => T | Promise<T>) =>
    exclusive(async () => {
      if (closed) throw new Error('the SQLite store is closed');
      return section();
    });

  return {
    kind: 'sqlite',
    database: db,
    transaction(work) {
      return run(async () => {
        sql.begin.run();
        try {
          const result = await work(tx);
          sql.commit.run();
          return result;
        } catch (error) {
          if (db.inTransaction) sql.rollback.run();
          throw error;
        }
      });
    },
    claimOutbox(limit, now, leaseUntil) {
      return run(() => {
        const rows = sql.claimOutbox.all(leaseUntil, now, limit) as Array<{
          id: number;
          key: string;
          item_id: string;
          effect: string;
          created_at: number;
          attempts: number;
          last_error: string | null;
        }>;
        return rows
          .map((row): OutboxRecord => ({ id: row.id, key: row.key, itemId: row.item_id, effect: row.effect, createdAt: row.created_at, attempts: row.attempts, lastError: row.last_error }))
          .sort((a, b) => a.id - b.id);
      });
    },
    completeOutbox(ids) {
      return run(() => {
        for (const id of ids) sql.completeOutbox.run(id);
      });
    },
    retryOutbox(id, availableAt, error) {
      return run(() => {
        sql.retryOutbox.run(availableAt, error, id);
      });
    },
    quarantineOutbox(id, entry) {
      return run(() => {
        db.transaction(() => {
          if (sql.deleteOutbox.run(id).changes > 0) {
            sql.quarantine.run(entry.kind, entry.itemId, entry.eventId, entry.error, entry.payload, entry.createdAt);
          }
        })();
      });
    },
    get(itemId) {
      return run(() => {
        const row = sql.get.get(itemId) as ConnectionRow | undefined;
        return row ? toConnection(row) : undefined;
      });
    },
    list({ after, limit }) {
      return run(() => ((after === undefined ? sql.listFirst.all(limit) : sql.listAfter.all(after, limit)) as ConnectionRow[]).map(toConnection));
    },
    listQuarantine({ afterId, limit }) {
      return run(() =>
        (
          sql.listQuarantine.all(afterId ?? 0, limit) as Array<{
            id: number;
            kind: QuarantineKind;
            item_id: string | null;
            event_id: string | null;
            error: string;
            payload: string | null;
            created_at: number;
          }>
        ).map((row): QuarantineRecord => ({ id: row.id, kind: row.kind, itemId: row.item_id, eventId: row.event_id, error: row.error, payload: row.payload, createdAt: row.created_at })),
      );
    },
    async pruneSeen(now) {
      // In chunks, each its own transaction, so a large prune never holds the write lock for long.
      let total = 0;
      for (;;) {
        const pruned = await run(() => sql.pruneSeen.run(now).changes);
        total += pruned;
        if (pruned < 10_000) return total;
      }
    },
    counts() {
      return run(() => sql.counts.get() as StoreCounts);
    },
    async close() {
      if (closed) return;
      await run(() => {
        closed = true;
        if (ownsDatabase) db.close();
      });
    },
  };
}
