/**
 * Crashes on PostgreSQL: the same as on SQLite. A killed worker's connection drops, so the server
 * rolls its transaction back; the rows its dispatcher had claimed come back when their lease ends.
 */
import { crashScenario, expectNothingLost } from './support/crash';
import { describePostgres, dropSchema, freshSchema, openTestPostgres, PG_URL } from './support/stores';

jest.setTimeout(120_000);

describePostgres('on PostgreSQL', () => {
  const schema = freshSchema();
  afterAll(() => dropSchema(schema));

  test('a worker killed with SIGKILL at random points and restarted loses nothing, repeats nothing and fires every timer', async () => {
    const seed = Date.now() % 1_000_000;
    const report = await crashScenario({ seed, items: 24, events: 400, crashes: 6, store: { postgres: PG_URL!, schema }, open: () => openTestPostgres(schema) });
    expectNothingLost(report, 6, `crash test (PostgreSQL), seed ${seed}`);
  });
});
