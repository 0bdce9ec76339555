/** The built package loads from CommonJS and ES modules through its `exports`. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');
const node = (args: string[]) => execFileSync('node', args, { cwd: root, encoding: 'utf8' }).trim();

test("require('pluggy-lifecycle') loads the build", () => {
  const out = node([
    '-e',
    "const p = require('pluggy-lifecycle'); console.log(JSON.stringify([typeof p.decide, typeof p.createConnection, p.ITEM_STATUSES.length, p.EXECUTION_STATUSES.length, p.connectionMachine.id, p.decide({status:'UPDATED',executionStatus:'SUCCESS'}).rule]))",
  ]);
  expect(JSON.parse(out)).toEqual(['function', 'function', 7, 35, 'connection', 'R15']);
});

test("import('pluggy-lifecycle') loads the build", () => {
  const out = node([
    '--input-type=module',
    '-e',
    "const { decide, parseItem, safeParseItem, parseWebhook, createConnection } = await import('pluggy-lifecycle'); console.log(JSON.stringify([typeof parseItem, typeof safeParseItem, typeof parseWebhook, typeof createConnection, decide({ deleted: true }).phase]))",
  ]);
  expect(JSON.parse(out)).toEqual(['function', 'function', 'function', 'function', 'deleted']);
});
