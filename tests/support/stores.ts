/**
 * The stores the durable tests run on. PostgreSQL needs PLUGGY_LIFECYCLE_PG_URL (scripts/start-postgres.sh
 * prints one): under CI its absence fails the suite; locally the PostgreSQL cases are skipped, saying so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { ConnectionStore } from '../../src/durable';
import { createMemoryStore } from '../../src/stores/memory';
import { openPostgresStore, type PostgresStore } from '../../src/stores/postgres';
import { openSqliteStore } from '../../src/stores/sqlite';

export const PG_URL = process.env.PLUGGY_LIFECYCLE_PG_URL;
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';

let warned = false;
function warnSkipped(): void {
  if (warned) return;
  warned = true;
  console.warn('PLUGGY_LIFECYCLE_PG_URL is not set: the PostgreSQL cases are skipped (export PLUGGY_LIFECYCLE_PG_URL="$(scripts/start-postgres.sh)" to run them)');
}

/** `describe` for PostgreSQL suites: runs with a URL, fails under CI without one, skips locally. */
export function describePostgres(name: string, suite: () => void): void {
  if (PG_URL) describe(name, suite);
  else if (IN_CI) {
    describe(name, () => {
      test('has a PostgreSQL server', () => {
        throw new Error('PLUGGY_LIFECYCLE_PG_URL is not set: CI must start PostgreSQL (scripts/start-postgres.sh) and export its URL');
      });
    });
  } else {
    warnSkipped();
    describe.skip(name, suite);
  }
}

let schemas = 0;
/** A schema of its own per test, dropped afterwards, so test files can share one database. */
export function freshSchema(): string {
  schemas += 1;
  return `t_${process.pid}_${Date.now().toString(36)}_${schemas}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function openTestPostgres(schema = freshSchema()): Promise<PostgresStore & { readonly schema: string }> {
  const store = await openPostgresStore({ connectionString: PG_URL!, schema, poolConfig: { max: 4 } });
  return Object.assign(store, { schema });
}

export interface StoreKind {
  readonly name: string;
  /** A fresh, empty store. */
  open(): Promise<ConnectionStore>;
  /** Another store on the same database as the last `open()` (a restart, or a second instance); undefined for memory. */
  reopen?(): Promise<ConnectionStore>;
  /** Removes what `open()` created. */
  cleanup(): Promise<void>;
}

function sqliteFile(): StoreKind {
  let dir: string | undefined;
  const dirs: string[] = [];
  return {
    name: 'sqlite file',
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-'));
      dirs.push(dir);
      return openSqliteStore(join(dir, 'lifecycle.db'));
    },
    async reopen() {
      return openSqliteStore(join(dir!, 'lifecycle.db'));
    },
    async cleanup() {
      for (const path of dirs.splice(0)) rmSync(path, { recursive: true, force: true });
    },
  };
}

function postgres(): StoreKind {
  let schema: string | undefined;
  const created: string[] = [];
  return {
    name: 'postgres',
    async open() {
      if (!PG_URL) throw new Error('PLUGGY_LIFECYCLE_PG_URL is not set: CI must start PostgreSQL (scripts/start-postgres.sh) and export its URL');
      schema = freshSchema();
      created.push(schema);
      return openTestPostgres(schema);
    },
    async reopen() {
      return openTestPostgres(schema!);
    },
    async cleanup() {
      for (const name of created.splice(0)) await dropSchema(name);
    },
  };
}

/** Every store; PostgreSQL only when a server is given (see `describePostgres` for CI). */
export function storeKinds(): StoreKind[] {
  if (!PG_URL && !IN_CI) warnSkipped();
  return [
    { name: 'memory', open: async () => createMemoryStore(), cleanup: async () => undefined },
    { name: 'sqlite :memory:', open: async () => openSqliteStore(':memory:'), cleanup: async () => undefined },
    sqliteFile(),
    ...(PG_URL || IN_CI ? [postgres()] : []),
  ];
}

/** A clock the test moves by hand. */
export function manualClock(start: number) {
  let now = start;
  return {
    now: () => now,
    set: (time: number) => {
      now = time;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}
