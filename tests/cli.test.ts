/** The command line: `decide` and `replay`, in-process and through the installed bin. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main';
import { itemJson, ITEM_ID, T0 } from './support';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out, err };
}

function jsonl(lines: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-'));
  const file = join(dir, 'recording.jsonl');
  writeFileSync(file, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');
  return file;
}

describe('pluggy-lifecycle decide', () => {
  test('prints the decision as JSON', async () => {
    const { code, out } = await run(['decide', '--status', 'LOGIN_ERROR', '--execution-status', 'INVALID_CREDENTIALS']);
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!)).toEqual(expect.objectContaining({ rule: 'R2', phase: 'blocked', canSync: false, remedy: 'updateCredentials' }));
  });

  test('--open-finance is reflected in the reason of a partial success', async () => {
    const { out } = await run(['decide', '--status', 'UPDATED', '--execution-status', 'PARTIAL_SUCCESS', '--open-finance']);
    expect(JSON.parse(out[0]!)).toEqual(expect.objectContaining({ rule: 'R16', warning: 'partial', reason: expect.stringContaining('Open Finance') }));
  });

  test('a mixed-up value is named as that mistake, with exit code 1', async () => {
    const { code, out, err } = await run(['decide', '--status', 'PARTIAL_SUCCESS', '--execution-status', 'SUCCESS']);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain('PARTIAL_SUCCESS is an executionStatus, not a status');
  });

  test('unknown values are refused unless --lenient', async () => {
    expect((await run(['decide', '--status', 'UPDATED', '--execution-status', 'NEW_THING'])).code).toBe(1);
    const lenient = await run(['decide', '--status', 'UPDATED', '--execution-status', 'NEW_THING', '--lenient']);
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.out[0]!)).toEqual(expect.objectContaining({ rule: 'R17', phase: 'unknown', canSync: false }));
  });

  test('missing options are a usage error (exit code 2)', async () => {
    const { code, err } = await run(['decide', '--status', 'UPDATED']);
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('Usage:');
  });
});

describe('pluggy-lifecycle replay', () => {
  test('prints one line per input line, with the state and the effects', async () => {
    const file = jsonl([
      { snapshot: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) },
      { advance: 2000 },
      { snapshot: itemJson('LOGIN_ERROR', 'INVALID_CREDENTIALS', T0 + 3000) },
      { reconnect: true },
      { snapshot: itemJson('UPDATED', 'SUCCESS', T0 + 9000) },
      { syncDone: { accounts: 2 } },
      { webhook: { event: 'item/deleted', eventId: 'e-9', itemId: ITEM_ID } },
    ]);
    const { code, out } = await run(['replay', file]);
    expect(code).toBe(0);
    expect(out.map((line) => JSON.parse(line))).toEqual([
      { line: 1, state: 'pending.waiting', effects: [] },
      { line: 2, state: 'pending.waiting', effects: [{ type: 'fetch', itemId: ITEM_ID, reason: 'poll' }] },
      { line: 3, state: 'blocked.updateCredentials', effects: [expect.objectContaining({ type: 'reconnectRequired', remedy: 'updateCredentials' })] },
      { line: 4, state: 'pending.waiting', effects: [] },
      { line: 5, state: 'syncable.syncing', effects: [{ type: 'sync', itemId: ITEM_ID, attempt: 0 }] },
      { line: 6, state: 'syncable.synced', effects: [] },
      { line: 7, state: 'deleted', effects: [expect.objectContaining({ type: 'deleted' })] },
    ]);
  });

  test('the simulated clock starts at the first snapshot: an MFA deadline fires on the advance that passes it', async () => {
    const expiresAt = new Date(T0 + 180_000).toISOString();
    const file = jsonl([
      { snapshot: itemJson('WAITING_USER_INPUT', 'WAITING_USER_INPUT', T0, { parameter: { name: 'token', expiresAt } }) },
      { advance: 179_999 },
      { advance: 1 },
    ]);
    const lines = (await run(['replay', file, '--mode', 'push'])).out.map((line) => JSON.parse(line));
    expect(lines[1]).toEqual({ line: 2, state: 'awaitingUser.input', effects: [] });
    expect(lines[2]).toEqual({ line: 3, state: 'blocked.reconnect', effects: [expect.objectContaining({ type: 'reconnectRequired', remedy: 'reconnect' })] });
  });

  test('bad lines are reported by line number, the replay goes on, and the exit code is 1', async () => {
    const file = jsonl([
      { snapshot: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) },
      '{"snapshot": {',
      { snapshot: { ...itemJson('UPDATED', 'SUCCESS', T0 + 1000), status: 'PARTIAL_SUCCESS' } },
      { frobnicate: 1 },
      { advance: -5 },
      '',
      { snapshot: itemJson('UPDATED', 'SUCCESS', T0 + 2000) },
    ]);
    const { code, out } = await run(['replay', file, '--mode', 'push']);
    expect(code).toBe(1);
    const lines = out.map((line) => JSON.parse(line));
    expect(lines.map((line) => line.line)).toEqual([1, 2, 3, 4, 5, 7]);
    expect(lines[1].error).toMatch(/malformed JSON/);
    expect(lines[2].error).toContain('PARTIAL_SUCCESS is an executionStatus, not a status');
    expect(lines[3].error).toMatch(/exactly one of snapshot, webhook/);
    expect(lines[4].error).toMatch(/advance: expected a number of milliseconds >= 0, received the number -5/);
    expect(lines[5]).toEqual({ line: 7, state: 'syncable.syncing', effects: [expect.objectContaining({ type: 'sync' })] });
  });

  test('a missing file is an error, not a crash', async () => {
    const { code, err } = await run(['replay', '/nonexistent/recording.jsonl']);
    expect(code).toBe(1);
    expect(err.join('')).toContain('cannot read /nonexistent/recording.jsonl');
  });
});

describe('the installed bin', () => {
  const root = join(__dirname, '..');

  test('npx pluggy-lifecycle replay runs the hand-written recording from Pluggy documented JSON', () => {
    const result = spawnSync('npx', ['--no-install', 'pluggy-lifecycle', 'replay', 'examples/replay/mfa-timeout.jsonl'], { cwd: root, encoding: 'utf8' });
    // The recording holds one deliberately mixed-up line, so the exit code is 1.
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.state ?? 'error')).toEqual([
      'pending.waiting',
      'pending.waiting',
      'awaitingUser.input',
      'blocked.reconnect',
      'blocked.reconnect',
      'error',
      'pending.waiting',
      'syncable.syncing',
      'deleted',
    ]);
  });

  test('the Open Finance recording replays without errors', () => {
    const stdout = execFileSync('node', ['dist/src/cli/main.js', 'replay', 'examples/replay/open-finance-partial.jsonl'], { cwd: root, encoding: 'utf8' });
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
    const types = lines.flatMap((line) => line.effects.map((effect: { type: string }) => effect.type));
    expect(types).toEqual(expect.arrayContaining(['userActionRequired', 'sync', 'scheduleRetry']));
    expect(lines.at(-1).state).toBe('syncable.synced');
  });
});
