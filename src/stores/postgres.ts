/**
 * The shared store: PostgreSQL through `pg`, for several service instances on one database.
 * A transaction locks the connection rows it loads (`SELECT ... FOR UPDATE`, in item id order so
 * two instances never wait on each other in a circle); the timer worker and the dispatcher claim
 * rows with `FOR UPDATE SKIP LOCKED`, so instances share the work without waiting. A conflict
 * (deadlock, serialization failure, a connection created by two instances at once) re-runs the
 * transaction.
 */
import type { Pool, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import type {
  ConnectionStore,
  OutboxRecord,
  QuarantineKind,
  QuarantineRecord,
  StoreTransaction,
  StoredConnection,
} from '../durable/store';
import { loadPeer } from '../peer';

export interface PostgresStoreOptions {
  /** `postgres://user@host:5432/db`; or pass `pool`. */
  readonly connectionString?: string;
  /** An existing pool; `close()` leaves it open. */
  readonly pool?: Pool;
  /** Extra pool settings when the store creates the pool (e.g. `max`). */
  readonly poolConfig?: PoolConfig;
  /** The schema that holds the tables (default `public`); created when missing. */
  readonly schema?: string;
  /** Prefix of the table names (default `pluggy_`). */
  readonly tablePrefix?: string;
  /** Times a conflicting transaction is re-run before its error is thrown (default 10). */
  readonly maxRetries?: number;
}

export interface PostgresStore extends ConnectionStore {
  readonly kind: 'postgres';
  readonly pool: Pool;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Schema versions, applied in order on start under an advisory lock. Never edit a released step: add one. */
const MIGRATIONS: ReadonlyArray<(t: (name: string) => string) => string> = [
  (t) => `
    -- Byte order ("C"): listing pages follow the primary key whatever the locale of the database.
    CREATE TABLE ${t('connections')} (
      item_id text COLLATE "C" PRIMARY KEY,
      machine text NOT NULL,
      version integer NOT NULL,
      state text NOT NULL,
      snapshot text NOT NULL,
      seq integer NOT NULL,
      next_due bigint,
      updated_at bigint NOT NULL,
      error text
    );
    CREATE INDEX ON ${t('connections')} (next_due) WHERE next_due IS NOT NULL;
    CREATE TABLE ${t('dedupe')} (
      event_id text PRIMARY KEY,
      item_id text NOT NULL,
      expires_at bigint NOT NULL
    );
    CREATE INDEX ON ${t('dedupe')} (expires_at);
    CREATE TABLE ${t('outbox')} (
      id bigserial PRIMARY KEY,
      key text NOT NULL UNIQUE,
      item_id text NOT NULL,
      effect text NOT NULL,
      created_at bigint NOT NULL,
      available_at bigint NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    );
    CREATE INDEX ON ${t('outbox')} (available_at, id);
    CREATE TABLE ${t('quarantine')} (
      id bigserial PRIMARY KEY,
      kind text NOT NULL,
      item_id text,
      event_id text,
      error text NOT NULL,
      payload text,
      created_at bigint NOT NULL
    );`,
];

interface ConnectionRow {
  item_id: string;
  machine: string;
  version: number;
  state: string;
  snapshot: string;
  seq: number;
  next_due: string | null;
  updated_at: string;
  error: string | null;
}

const toConnection = (row: ConnectionRow): StoredConnection => ({
  itemId: row.item_id,
  machine: row.machine,
  version: row.version,
  state: row.state,
  snapshot: row.snapshot,
  seq: row.seq,
  // bigint columns arrive as strings: epoch milliseconds fit a double exactly.
  nextDue: row.next_due === null ? null : Number(row.next_due),
  updatedAt: Number(row.updated_at),
  error: row.error,
});

const CONNECTION_COLUMNS = 'item_id, machine, version, state, snapshot, seq, next_due, updated_at, error';

/** Thrown when two instances created the same connection at once; the transaction is re-run. */
class CreatedConcurrently extends Error {
  readonly code = '23505';
}

const RETRYABLE = new Set(['40001', '40P01', '23505']);
const isRetryable = (error: unknown) => RETRYABLE.has(String((error as { code?: unknown })?.code));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a PostgreSQL store and brings its schema up to date: `await openPostgresStore(process.env.DATABASE_URL)`. */
export async function openPostgresStore(target: string | PostgresStoreOptions): Promise<PostgresStore> {
  const options: PostgresStoreOptions = typeof target === 'string' ? { connectionString: target } : target;
  const schema = options.schema ?? 'public';
  const prefix = options.tablePrefix ?? 'pluggy_';
  if (!IDENTIFIER.test(schema)) throw new Error(`schema: expected letters, digits and underscores, received ${JSON.stringify(schema)}`);
  if (!IDENTIFIER.test(prefix)) throw new Error(`tablePrefix: expected letters, digits and underscores, received ${JSON.stringify(prefix)}`);
  if (!options.pool && !options.connectionString) throw new Error('openPostgresStore: expected a connection string (postgres://...) or a pool, received neither');
  const t = (name: string) => `"${schema}"."${prefix}${name}"`;
  const maxRetries = options.maxRetries ?? 10;

  const ownsPool = options.pool === undefined;
  let pool: Pool;
  if (options.pool) pool = options.pool;
  else {
    const pg = loadPeer<typeof import('pg')>('pg', '8', 'The PostgreSQL store');
    pool = new pg.Pool({ connectionString: options.connectionString, ...options.poolConfig });
  }
  // An idle client that loses its server must not crash the host.
  if (ownsPool) pool.on('error', () => undefined);

  async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (attempt > maxRetries || !isRetryable(error)) throw error;
      } finally {
        client.release(broken);
      }
      await pause(Math.random() * 10 * attempt);
    }
  }

  await inTransaction(async (client) => {
    // Several instances may start at once: one migrates, the others wait and find it done.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pluggy-lifecycle:${schema}.${prefix}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${t('migrations')} (version integer PRIMARY KEY, applied_at bigint NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT COALESCE(MAX(version), 0)::integer AS version FROM ${t('migrations')}`);
    const current = rows[0]!.version;
    if (current > MIGRATIONS.length) {
      throw new Error(`the database schema is at version ${current}, newer than this release of pluggy-lifecycle knows (expected at most ${MIGRATIONS.length})`);
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1]!(t));
      await client.query(`INSERT INTO ${t('migrations')} (version, applied_at) VALUES ($1, $2)`, [version, Date.now()]);
    }
  });

  const txFor = (client: PoolClient): StoreTransaction => ({
    async markSeen(events, expiresAt) {
      // Sorted, so two instances inserting overlapping eventIds never wait on each other in a circle.
      const sorted = [...events].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
      const { rows } = await client.query<{ event_id: string }>(
        `INSERT INTO ${t('dedupe')} (event_id, item_id, expires_at)
         SELECT e, i, $3::bigint FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v(e, i, n) ORDER BY n
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [sorted.map((event) => event.eventId), sorted.map((event) => event.itemId), expiresAt],
      );
      const inserted = new Set(rows.map((row) => row.event_id));
      return new Set(sorted.filter((event) => !inserted.has(event.eventId)).map((event) => event.eventId));
    },
    async load(itemIds) {
      const { rows } = await client.query<ConnectionRow>(
        `SELECT ${CONNECTION_COLUMNS} FROM ${t('connections')} WHERE item_id = ANY($1::text[]) ORDER BY item_id FOR UPDATE`,
        [itemIds],
      );
      return new Map(rows.map((row) => [row.item_id, toConnection(row)]));
    },
    async claimDue(until, limit, machine, version) {
      const { rows } = await client.query<ConnectionRow>(
        `SELECT ${CONNECTION_COLUMNS} FROM ${t('connections')}
         WHERE next_due <= $1 AND error IS NULL AND machine = $2 AND version = $3
         ORDER BY next_due, item_id LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [until, machine, version, limit],
      );
      return rows.map(toConnection);
    },
    async save(rows) {
      const columns = (list: typeof rows) => [
        list.map((row) => row.itemId),
        list.map((row) => row.machine),
        list.map((row) => row.version),
        list.map((row) => row.state),
        list.map((row) => row.snapshot),
        list.map((row) => row.seq),
        list.map((row) => row.nextDue),
        list.map((row) => row.updatedAt),
      ];
      const values = `unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::integer[], $7::bigint[], $8::bigint[])
        AS v(item_id, machine, version, state, snapshot, seq, next_due, updated_at)`;
      const updated = rows.filter((row) => !row.created);
      if (updated.length > 0) {
        await client.query(
          `UPDATE ${t('connections')} AS c SET machine = v.machine, version = v.version, state = v.state, snapshot = v.snapshot,
             seq = v.seq, next_due = v.next_due, updated_at = v.updated_at, error = NULL
           FROM ${values} WHERE c.item_id = v.item_id`,
          columns(updated),
        );
      }
      const created = rows.filter((row) => row.created).sort((a, b) => (a.itemId < b.itemId ? -1 : 1));
      if (created.length > 0) {
        const result = await client.query(
          `INSERT INTO ${t('connections')} (item_id, machine, version, state, snapshot, seq, next_due, updated_at)
           SELECT * FROM ${values} ON CONFLICT (item_id) DO NOTHING`,
          columns(created),
        );
        if (result.rowCount !== created.length) throw new CreatedConcurrently('a connection was created by another transaction meanwhile');
      }
    },
    async markCorrupt(itemId, error, at) {
      await client.query(`UPDATE ${t('connections')} SET error = $1, next_due = NULL, updated_at = $2 WHERE item_id = $3`, [error, at, itemId]);
    },
    async enqueue(entries) {
      await client.query(
        `INSERT INTO ${t('outbox')} (key, item_id, effect, created_at, available_at)
         SELECT k, i, e, c, c FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS v(k, i, e, c, n) ORDER BY n`,
        [entries.map((entry) => entry.key), entries.map((entry) => entry.itemId), entries.map((entry) => entry.effect), entries.map((entry) => entry.createdAt)],
      );
    },
    async quarantine(entries) {
      await client.query(
        `INSERT INTO ${t('quarantine')} (kind, item_id, event_id, error, payload, created_at)
         SELECT k, i, e, r, p, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY AS v(k, i, e, r, p, c, n) ORDER BY n`,
        [
          entries.map((entry) => entry.kind),
          entries.map((entry) => entry.itemId),
          entries.map((entry) => entry.eventId),
          entries.map((entry) => entry.error),
          entries.map((entry) => entry.payload),
          entries.map((entry) => entry.createdAt),
        ],
      );
    },
  });

  const query = async <R extends QueryResultRow>(text: string, values: unknown[] = []) => (await pool.query<R>(text, values)).rows;
  let closed = false;

  return {
    kind: 'postgres',
    pool,
    transaction: (work) => inTransaction((client) => work(txFor(client))),
    async claimOutbox(limit, now, leaseUntil) {
      const rows = await query<{ id: string; key: string; item_id: string; effect: string; created_at: string; attempts: number; last_error: string | null }>(
        `UPDATE ${t('outbox')} SET available_at = $1, attempts = attempts + 1
         WHERE id IN (SELECT id FROM ${t('outbox')} WHERE available_at <= $2 ORDER BY available_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING id, key, item_id, effect, created_at, attempts, last_error`,
        [leaseUntil, now, limit],
      );
      return rows
        .map((row): OutboxRecord => ({ id: Number(row.id), key: row.key, itemId: row.item_id, effect: row.effect, createdAt: Number(row.created_at), attempts: row.attempts, lastError: row.last_error }))
        .sort((a, b) => a.id - b.id);
    },
    async completeOutbox(ids) {
      if (ids.length > 0) await query(`DELETE FROM ${t('outbox')} WHERE id = ANY($1::bigint[])`, [ids]);
    },
    async retryOutbox(id, availableAt, error) {
      await query(`UPDATE ${t('outbox')} SET available_at = $1, last_error = $2 WHERE id = $3`, [availableAt, error, id]);
    },
    async quarantineOutbox(id, entry) {
      await query(
        `WITH gone AS (DELETE FROM ${t('outbox')} WHERE id = $1 RETURNING id)
         INSERT INTO ${t('quarantine')} (kind, item_id, event_id, error, payload, created_at) SELECT $2, $3, $4, $5, $6, $7 FROM gone`,
        [id, entry.kind, entry.itemId, entry.eventId, entry.error, entry.payload, entry.createdAt],
      );
    },
    async get(itemId) {
      const rows = await query<ConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM ${t('connections')} WHERE item_id = $1`, [itemId]);
      return rows[0] ? toConnection(rows[0]) : undefined;
    },
    async list({ after, limit }) {
      const rows =
        after === undefined
          ? await query<ConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM ${t('connections')} ORDER BY item_id LIMIT $1`, [limit])
          : await query<ConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM ${t('connections')} WHERE item_id > $1 ORDER BY item_id LIMIT $2`, [after, limit]);
      return rows.map(toConnection);
    },
    async listQuarantine({ afterId, limit }) {
      const rows = await query<{ id: string; kind: QuarantineKind; item_id: string | null; event_id: string | null; error: string; payload: string | null; created_at: string }>(
        `SELECT id, kind, item_id, event_id, error, payload, created_at FROM ${t('quarantine')} WHERE id > $1 ORDER BY id LIMIT $2`,
        [afterId ?? 0, limit],
      );
      return rows.map((row): QuarantineRecord => ({ id: Number(row.id), kind: row.kind, itemId: row.item_id, eventId: row.event_id, error: row.error, payload: row.payload, createdAt: Number(row.created_at) }));
    },
    async pruneSeen(now) {
      let total = 0;
      for (;;) {
        const result = await pool.query(`DELETE FROM ${t('dedupe')} WHERE event_id IN (SELECT event_id FROM ${t('dedupe')} WHERE expires_at < $1 LIMIT 10000)`, [now]);
        total += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < 10_000) return total;
      }
    },
    async counts() {
      const rows = await query<{ connections: number; outbox: number; dedupe: number; quarantine: number }>(
        `SELECT (SELECT COUNT(*) FROM ${t('connections')})::integer AS connections, (SELECT COUNT(*) FROM ${t('outbox')})::integer AS outbox,
                (SELECT COUNT(*) FROM ${t('dedupe')})::integer AS dedupe, (SELECT COUNT(*) FROM ${t('quarantine')})::integer AS quarantine`,
      );
      return rows[0]!;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownsPool) await pool.end();
    },
  };
}
