/** `pluggy-lifecycle ingest` and `show`: recorded events applied durably to SQLite or PostgreSQL, and read back. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main';
import { openSqliteStore } from '../src/stores/sqlite';
import { itemJson, ITEM_ID, T0 } from './support';
import { describePostgres, freshSchema, PG_URL } from './support/stores';

const OTHER_ID = '7c1e0d2a-3b4c-4d5e-8f60-718293a4b5c6';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out, err, json: out.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const dir = mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-cli-'));
let files = 0;
function jsonl(lines: unknown[]): string {
  const file = join(dir, `events-${++files}.jsonl`);
  writeFileSync(file, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');
  return file;
}

/** Two items: one syncs, one asks for MFA and times out; a webhook retried, a bad line. */
const RECORDING = [
  { snapshot: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) },
  { snapshot: itemJson('UPDATED', 'SUCCESS', T0, { id: OTHER_ID }) },
  { advance: 2000 },
  { webhook: { event: 'item/waiting_user_input', eventId: 'hook-1', itemId: ITEM_ID } },
  { webhook: { event: 'item/waiting_user_input', eventId: 'hook-1', itemId: ITEM_ID } },
  { snapshot: itemJson('WAITING_USER_INPUT', 'WAITING_USER_INPUT', T0 + 2000, { parameter: { name: 'token', expiresAt: new Date(T0 + 62_000).toISOString() } }) },
  { itemId: OTHER_ID, syncDone: { accounts: 3 } },
  { itemId: ITEM_ID, syncDone: { accounts: 'three' } },
  { advance: 60_000 },
];

function ingestsAndShows(store: () => string) {
  test('ingest applies each line to its item, fires timers on advance, and prints one line per input line', async () => {
    const { code, json } = await run(['ingest', '--store', store(), jsonl(RECORDING)]);
    expect(code).toBe(1);
    expect(json.map((line) => line.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(json[0]).toEqual({ line: 1, itemId: ITEM_ID, state: 'pending.waiting', effects: [] });
    expect(json[1]).toEqual({ line: 2, itemId: OTHER_ID, state: 'syncable.syncing', effects: [{ type: 'sync', itemId: OTHER_ID, attempt: 0 }] });
    expect(json[2]).toEqual({ line: 3, fired: [{ itemId: ITEM_ID, state: 'pending.waiting', effects: [{ type: 'fetch', itemId: ITEM_ID, reason: 'poll' }] }] });
    expect(json[3]).toEqual(expect.objectContaining({ line: 4, state: 'pending.waiting', effects: [{ type: 'fetch', itemId: ITEM_ID, reason: 'webhook' }] }));
    expect(json[4]).toEqual({ line: 5, itemId: ITEM_ID, duplicate: 'hook-1' });
    expect(json[5]).toEqual(expect.objectContaining({ line: 6, state: 'awaitingUser.input', effects: [expect.objectContaining({ type: 'userInputRequired' })] }));
    expect(json[6]).toEqual(expect.objectContaining({ line: 7, itemId: OTHER_ID, state: 'syncable.synced' }));
    expect(json[7]).toEqual({ line: 8, itemId: ITEM_ID, error: 'invalid event: accounts: expected the number of accounts read (an integer >= 0), received the string "three"' });
    const fired = json[8]!.fired as Array<{ itemId: string; state: string; effects: Array<{ type: string }> }>;
    expect(fired).toEqual([expect.objectContaining({ itemId: ITEM_ID, state: 'blocked.reconnect' })]);
    expect(fired[0]!.effects.map((effect) => effect.type).slice(-1)).toEqual(['reconnectRequired']);
  });

  test('show prints every stored connection as a JSON line, or one', async () => {
    const all = await run(['show', '--store', store()]);
    expect(all.code).toBe(0);
    // In item id order.
    expect(all.json).toEqual([
      expect.objectContaining({ itemId: ITEM_ID, state: 'blocked.reconnect', phase: 'blocked', canSync: false, rule: 'R1', timers: {} }),
      expect.objectContaining({ itemId: OTHER_ID, state: 'syncable.synced', phase: 'syncable', canSync: true, rule: 'R15' }),
    ]);
    const one = await run(['show', '--store', store(), OTHER_ID]);
    expect(one.json).toEqual([expect.objectContaining({ itemId: OTHER_ID, state: 'syncable.synced', seq: 2 })]);
  });

  test('ingesting the same file again (after a crash, say) applies nothing twice', async () => {
    const again = await run(['ingest', '--store', store(), jsonl(RECORDING)]);
    expect(again.json.filter((line) => 'state' in line)).toEqual([]);
    expect(again.json.filter((line) => 'duplicate' in line).map((line) => line.line)).toEqual([1, 2, 4, 5, 6, 7, 8]);
    expect(again.json.filter((line) => 'fired' in line)).toEqual([
      { line: 3, fired: [] },
      { line: 9, fired: [] },
    ]);
    const shown = await run(['show', '--store', store(), OTHER_ID]);
    expect(shown.json).toEqual([expect.objectContaining({ seq: 2 })]);
  });

  test('show --quarantine prints the rejected input with its reason', async () => {
    const { code, json } = await run(['show', '--store', store(), '--quarantine']);
    expect(code).toBe(0);
    expect(json).toEqual([
      expect.objectContaining({
        kind: 'input',
        itemId: ITEM_ID,
        error: 'invalid event: accounts: expected the number of accounts read (an integer >= 0), received the string "three"',
        payload: expect.objectContaining({ itemId: ITEM_ID, command: { type: 'SYNC_DONE', accounts: 'three' } }),
      }),
    ]);
  });

  test('show names an item the store does not hold', async () => {
    const { code, err } = await run(['show', '--store', store(), 'no-such-item']);
    expect(code).toBe(1);
    expect(err).toEqual([expect.stringMatching(/^no connection for item "no-such-item" in /)]);
  });
}

describe('with a SQLite file', () => {
  const file = join(dir, 'lifecycle.db');
  ingestsAndShows(() => file);

  test('the file is a WAL-mode SQLite database that other tools can read', () => {
    const store = openSqliteStore(file);
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.prepare('SELECT item_id, state FROM pluggy_connections ORDER BY item_id').all()).toHaveLength(2);
    void store.close();
  });

  test('show refuses a SQLite file that does not exist instead of creating it', async () => {
    const { code, err } = await run(['show', '--store', join(dir, 'missing.db')]);
    expect(code).toBe(1);
    expect(err).toEqual([`no SQLite database at ${join(dir, 'missing.db')}`]);
  });
});

describePostgres('with a PostgreSQL URL', () => {
  // The CLI takes a URL, so this suite gets a database of its own.
  const database = freshSchema();
  const admin = async (sql: string) => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const url = () => {
    const target = new URL(PG_URL!);
    target.pathname = `/${database}`;
    return target.toString();
  };
  beforeAll(() => admin(`CREATE DATABASE "${database}"`));
  afterAll(() => admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  ingestsAndShows(url);
});

test('ingest and show need --store, and ingest one file', async () => {
  const noStore = await run(['ingest', jsonl(RECORDING)]);
  expect(noStore.code).toBe(2);
  expect(noStore.err.join('\n')).toMatch(/^ingest needs --store \(a SQLite file path or a postgres:\/\/ URL\)/);
  expect((await run(['show'])).err.join('\n')).toMatch(/^show needs --store/);
  expect((await run(['ingest', '--store', join(dir, 'x.db')])).err.join('\n')).toMatch(/^ingest needs exactly one FILE.jsonl/);
});

test('ingest reads the recording from stdin with -', () => {
  const bin = join(__dirname, '..', 'src', 'cli', 'main.ts');
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', bin, 'ingest', '--store', join(dir, 'stdin.db'), '-'], {
    input: JSON.stringify({ snapshot: itemJson('LOGIN_ERROR', 'INVALID_CREDENTIALS', T0) }) + '\n',
    encoding: 'utf8',
    cwd: join(__dirname, '..'),
  });
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual(expect.objectContaining({ line: 1, itemId: ITEM_ID, state: 'blocked.updateCredentials' }));
});
