/**
 * Crashes on SQLite: a worker process killed with SIGKILL at random points of an event stream,
 * then restarted, loses no event, delivers no effect under a key it did not have in an
 * uninterrupted run, and still fires every timer.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/stores/sqlite';
import { comparable, crashScenario } from './support/crash';

jest.setTimeout(120_000);

test('a SQLite worker killed with SIGKILL at random points and restarted loses nothing, repeats nothing and fires every timer', async () => {
  const seed = Date.now() % 1_000_000;
  const file = join(mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-crash-db-')), 'lifecycle.db');
  const report = await crashScenario({ seed, items: 30, events: 600, crashes: 8, store: { sqlite: file }, open: async () => openSqliteStore(file) });
  const context = `seed ${seed}; runs: ${report.runs.map((run) => `${run.plan} → ${run.exit.signal ?? run.exit.code}`).join(', ')}`;

  // Every planned crash happened, and the last run finished the job.
  expect({ context, killed: report.runs.filter((run) => run.exit.signal === 'SIGKILL').length }).toEqual({ context, killed: 8 });
  expect({ context, final: report.final.code, stderr: report.final.stderr }).toEqual({ context, final: 0, stderr: '' });

  // No event lost: every connection ends exactly where the uninterrupted run left it.
  expect(report.rows.map(comparable)).toEqual(report.reference.rows.map(comparable));
  expect(report.counts).toEqual({ connections: report.reference.rows.length, outbox: 0, dedupe: expect.any(Number), quarantine: 0 });

  // Every effect of the uninterrupted run was delivered, under its key, and nothing else was.
  const byKey = new Map<string, unknown[]>();
  for (const { key, effect } of report.delivered) byKey.set(key, [...(byKey.get(key) ?? []), effect]);
  const expected = new Map(report.reference.delivered.map(({ key, effect }) => [key, effect]));
  expect([...byKey.keys()].sort()).toEqual([...expected.keys()].sort());
  // A key delivered again (a crash between delivering and acknowledging) carries the same effect.
  for (const [key, effects] of byKey) for (const effect of effects) expect({ key, effect }).toEqual({ key, effect: expected.get(key) });
  const redelivered = [...byKey.values()].filter((effects) => effects.length > 1).length;
  expect(redelivered).toBeGreaterThan(0);

  // Every timer fired: the polls the timers asked for are all there, and no timer is overdue.
  expect(report.reference.timerEffects).toBeGreaterThan(100);
  expect(report.rows.filter((row) => row.nextDue !== null && row.nextDue <= report.until)).toEqual([]);

  console.info(
    `crash test (SQLite): ${report.events} events, ${report.runs.length} SIGKILLs, ${expected.size} effects (${report.reference.timerEffects} from timers), ` +
      `${redelivered} delivered again under the same key; ${context}`,
  );
});
