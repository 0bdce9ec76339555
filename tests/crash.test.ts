/**
 * Crashes on SQLite: a worker process killed with SIGKILL at random points of an event stream,
 * then restarted, loses no event, delivers no effect under a key it did not have in an
 * uninterrupted run, and still fires every timer.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/stores/sqlite';
import { crashScenario, expectNothingLost } from './support/crash';

jest.setTimeout(120_000);

test('a SQLite worker killed with SIGKILL at random points and restarted loses nothing, repeats nothing and fires every timer', async () => {
  const seed = Date.now() % 1_000_000;
  const file = join(mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-crash-db-')), 'lifecycle.db');
  const report = await crashScenario({ seed, items: 30, events: 600, crashes: 8, store: { sqlite: file }, open: async () => openSqliteStore(file) });
  const redelivered = expectNothingLost(report, 8, `crash test (SQLite), seed ${seed}`);
  // The kills between a delivery and its acknowledgement did redeliver, and there were timers to lose.
  expect(redelivered).toBeGreaterThan(0);
  expect(report.reference.timerEffects).toBeGreaterThan(100);
});
