/**
 * The durable path's package entries: `pluggy-lifecycle/durable`, `/sqlite` and `/postgres`
 * load from the build, and a host loads only the database driver it uses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

/** Which of the two drivers a script has loaded, read from require's cache. */
const LOADED = "const loaded = () => ['pg', 'better-sqlite3'].filter((name) => Object.keys(require.cache).some((path) => path.includes(`/node_modules/${name}/`)));";

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'src', 'durable', 'index.js'))) throw new Error('dist/ is missing the durable entries: run `npm run build` first');
});

test('the root entry and the durable entry load neither database driver', () => {
  const out = node(['-e', `${LOADED} require('pluggy-lifecycle'); const d = require('pluggy-lifecycle/durable'); console.log(JSON.stringify([loaded(), typeof d.createProcessor, typeof d.createDispatcher, typeof d.startWorker, typeof d.createMemoryStore]))`]);
  expect(JSON.parse(out)).toEqual([[], 'function', 'function', 'function', 'function']);
});

test('a host on SQLite loads better-sqlite3 and never pg', () => {
  const script = `${LOADED}
    const { openSqliteStore } = require('pluggy-lifecycle/sqlite');
    const { createProcessor } = require('pluggy-lifecycle/durable');
    const before = loaded();
    const store = openSqliteStore(':memory:');
    createProcessor({ store }).process({ itemId: 'i1', command: { type: 'RECONNECT' } }).then(async (outcome) => {
      await store.close();
      console.log(JSON.stringify([before, loaded(), outcome.kind, outcome.state]));
    });`;
  expect(JSON.parse(node(['-e', script]))).toEqual([[], ['better-sqlite3'], 'applied', 'pending.waiting']);
});

test('the postgres entry loads pg only when a store is opened', () => {
  const out = node(['-e', `${LOADED} const { openPostgresStore } = require('pluggy-lifecycle/postgres'); console.log(JSON.stringify([loaded(), typeof openPostgresStore]))`]);
  expect(JSON.parse(out)).toEqual([[], 'function']);
});

test('the entries load from ES modules too', () => {
  const out = node(['--input-type=module', '-e', "const { createProcessor } = await import('pluggy-lifecycle/durable'); const { openSqliteStore } = await import('pluggy-lifecycle/sqlite'); console.log(typeof createProcessor, typeof openSqliteStore)"]);
  expect(out).toBe('function function');
});

test('without better-sqlite3 installed, opening a SQLite store says which package to install', () => {
  // A host that did not install the optional peer dependency: its resolution fails.
  const dir = mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-peer-'));
  const hide = join(dir, 'hide-better-sqlite3.js');
  writeFileSync(
    hide,
    `const Module = require('module'); const resolve = Module._resolveFilename;
     Module._resolveFilename = function (request, ...rest) {
       if (request === 'better-sqlite3') { const error = new Error("Cannot find module 'better-sqlite3'"); error.code = 'MODULE_NOT_FOUND'; throw error; }
       return resolve.call(this, request, ...rest);
     };`,
  );
  const file = join(dir, 'x.db');
  const result = spawnSync(process.execPath, ['-r', hide, '-e', `require('pluggy-lifecycle/sqlite').openSqliteStore(${JSON.stringify(file)})`], { cwd: root, encoding: 'utf8' });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('The SQLite store needs the optional peer dependency better-sqlite3@12, which is not installed: npm install better-sqlite3@12');
  expect(existsSync(file)).toBe(false);
});
