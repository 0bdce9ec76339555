/** A fresh SQLite store (or a copy of one) in a file of its own (the processor's embedded default), removed when closed. */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/stores/sqlite';

export interface ScratchStore {
  readonly store: SqliteStore;
  /** The database file. */
  readonly file: string;
  /** Bytes on disk: the database and its write-ahead log. */
  bytes(): number;
  close(): Promise<void>;
}

export function scratchSqlite(copyOf?: ScratchStore): ScratchStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'pluggy-lifecycle-bench-db-'));
  const file = path.join(dir, 'lifecycle.db');
  if (copyOf) {
    // Everything into the main file first, so that the file alone is the whole database.
    copyOf.store.database.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(copyOf.file, file);
  }
  const store = openSqliteStore({ path: file });
  const size = (name: string) => {
    try {
      return statSync(name).size;
    } catch {
      return 0;
    }
  };
  return {
    store,
    file,
    bytes: () => size(file) + size(`${file}-wal`),
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
