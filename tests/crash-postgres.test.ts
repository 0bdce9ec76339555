/**
 * Crashes on PostgreSQL: the same as on SQLite. A killed worker's connection drops, so the server
 * rolls its transaction back; the rows its dispatcher had claimed come back when their lease ends.
 */
import { comparable, crashScenario } from './support/crash';
import { describePostgres, dropSchema, freshSchema, openTestPostgres, PG_URL } from './support/stores';

jest.setTimeout(120_000);

describePostgres('on PostgreSQL', () => {
  const schema = freshSchema();
  afterAll(() => dropSchema(schema));

  test('a worker killed with SIGKILL at random points and restarted loses nothing, repeats nothing and fires every timer', async () => {
    const seed = Date.now() % 1_000_000;
    const report = await crashScenario({ seed, items: 24, events: 400, crashes: 6, store: { postgres: PG_URL!, schema }, open: () => openTestPostgres(schema) });
    const context = `seed ${seed}; runs: ${report.runs.map((run) => `${run.plan} → ${run.exit.signal ?? run.exit.code}`).join(', ')}`;
    expect({ context, killed: report.runs.filter((run) => run.exit.signal === 'SIGKILL').length }).toEqual({ context, killed: 6 });
    expect({ context, final: report.final.code, stderr: report.final.stderr }).toEqual({ context, final: 0, stderr: '' });

    expect(report.rows.map(comparable)).toEqual(report.reference.rows.map(comparable));
    expect(report.counts).toEqual({ connections: report.reference.rows.length, outbox: 0, dedupe: expect.any(Number), quarantine: 0 });

    const byKey = new Map<string, unknown[]>();
    for (const { key, effect } of report.delivered) byKey.set(key, [...(byKey.get(key) ?? []), effect]);
    const expected = new Map(report.reference.delivered.map(({ key, effect }) => [key, effect]));
    expect([...byKey.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, effects] of byKey) for (const effect of effects) expect({ key, effect }).toEqual({ key, effect: expected.get(key) });
    expect(report.rows.filter((row) => row.nextDue !== null && row.nextDue <= report.until)).toEqual([]);

    const redelivered = [...byKey.values()].filter((effects) => effects.length > 1).length;
    console.info(`crash test (PostgreSQL): ${report.events} events, ${report.runs.length} SIGKILLs, ${expected.size} effects (${report.reference.timerEffects} from timers), ${redelivered} delivered again under the same key; ${context}`);
  });
});
