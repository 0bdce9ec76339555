/** A fresh SQLite store in a file of its own (the processor's embedded default), removed when closed. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/stores/sqlite';

export interface ScratchStore {
  readonly store: SqliteStore;
  /** Bytes on disk: the database and its write-ahead log. */
  bytes(): number;
  close(): Promise<void>;
}

export function scratchSqlite(): ScratchStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'pluggy-lifecycle-bench-db-'));
  const file = path.join(dir, 'lifecycle.db');
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
    bytes: () => size(file) + size(`${file}-wal`),
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
