/** Opens the store a target names: a `postgres://` URL, or a SQLite file path. Loads only that store's driver. */
import type { ConnectionStore } from '../durable/store';

export const isPostgresUrl = (target: string) => /^postgres(ql)?:\/\//i.test(target);

export async function openStore(target: string): Promise<ConnectionStore> {
  if (typeof target !== 'string' || target.trim() === '') {
    throw new Error(`store: expected a SQLite file path or a postgres:// URL, received ${JSON.stringify(target)}`);
  }
  if (isPostgresUrl(target)) {
    const { openPostgresStore } = await import('./postgres');
    return openPostgresStore(target);
  }
  const { openSqliteStore } = await import('./sqlite');
  return openSqliteStore(target);
}
