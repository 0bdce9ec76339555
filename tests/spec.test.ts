/** The living spec in docs/ is generated from the machine and the rules, and cannot drift unnoticed. */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionMachine, EXECUTION_STATUSES, ITEM_STATUSES, RULES } from '../src';
import { createMachine } from 'xstate';
import { checkSpec, generateTextSpec } from '../src/spec/generate';
import { describeMachine } from '../src/spec/walk';

const root = join(__dirname, '..');
const docs = join(root, 'docs');
const cli = (args: string[]) => spawnSync('node', ['dist/src/cli/main.js', ...args], { cwd: root, encoding: 'utf8' });

describe('docs/ is what the code generates', () => {
  test.each(generateTextSpec().map((file) => [file.path, file.content]))('docs/%s is up to date', (path, content) => {
    expect(readFileSync(join(docs, path), 'utf8')).toBe(content);
  });

  test('pluggy-lifecycle spec --check passes on the committed docs, SVG included', () => {
    const result = cli(['spec', '--check']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('a hand edit of docs/ makes spec --check fail and name the file', () => {
    const copy = mkdtempSync(join(tmpdir(), 'pluggy-spec-'));
    cpSync(docs, copy, { recursive: true });
    writeFileSync(join(copy, 'transitions.md'), readFileSync(join(copy, 'transitions.md'), 'utf8').replace('stays', 'moves'));
    const result = cli(['spec', '--check', '--out', copy]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${join(copy, 'transitions.md')}: differs from what the code generates`);
    expect(result.stderr).toContain('run `npm run spec`');
  });

  test('a missing generated file makes spec --check fail', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pluggy-spec-'));
    const drifts = await checkSpec(empty, generateTextSpec());
    expect(drifts.map((drift) => drift.problem)).toEqual(generateTextSpec().map(() => 'missing'));
  });

  test('a machine change without regeneration is caught', async () => {
    // The same chart with one description edited, as a developer would change the machine file.
    const changed = createMachine({
      ...connectionMachine.config,
      states: {
        ...connectionMachine.config.states,
        deleted: { ...connectionMachine.config.states!.deleted, description: 'The item is gone (changed without regenerating).' },
      },
    } as Parameters<typeof createMachine>[0]);
    const drifts = await checkSpec(docs, generateTextSpec(changed));
    expect(drifts.map((drift) => drift.path).sort()).toEqual(['statechart.md', 'transitions.md']);
  });

  test('spec writes every file into another folder, and check then passes there', () => {
    const out = mkdtempSync(join(tmpdir(), 'pluggy-spec-'));
    execFileSync('node', ['dist/src/cli/main.js', 'spec', '--out', out], { cwd: root });
    expect(cli(['spec', '--check', '--out', out]).status).toBe(0);
    expect(readFileSync(join(out, 'statechart.svg'), 'utf8')).toBe(readFileSync(join(docs, 'statechart.svg'), 'utf8'));
  });
});

describe('what the spec shows', () => {
  const info = describeMachine(connectionMachine);
  const svg = readFileSync(join(docs, 'statechart.svg'), 'utf8');
  const transitions = readFileSync(join(docs, 'transitions.md'), 'utf8');
  const decisions = readFileSync(join(docs, 'decisions.md'), 'utf8');
  const statechart = readFileSync(join(docs, 'statechart.md'), 'utf8');

  test('the SVG draws every state of the chart', () => {
    expect(svg.startsWith('<?xml')).toBe(true);
    for (const state of info.states.filter((candidate) => candidate.depth > 0)) {
      expect(svg).toContain(`>${state.key}</text>`);
    }
  });

  test('every declared transition is listed, timers and combined guards included', () => {
    expect(info.transitions.some((transition) => transition.event.startsWith('after '))).toBe(true);
    expect(info.transitions.some((transition) => transition.guard?.startsWith('and('))).toBe(true);
    const rows = transitions.split('\n').filter((line) => /^\| `[^`]+` \|/.test(line));
    expect(rows).toHaveLength(info.transitions.length);
  });

  test('every transition row names its effects, including entry effects of the states it enters', () => {
    const toSyncable = info.transitions.find((transition) => transition.source === '(machine)' && transition.targets[0] === 'syncable');
    expect(toSyncable?.effects).toEqual(expect.arrayContaining(['sync', 'recovered']));
    expect(transitions).toContain('anomaly?, recovered?, sync');
  });

  test('the Mermaid diagram declares every state and the decision table lists every rule', () => {
    for (const state of info.states.filter((candidate) => candidate.depth > 0)) expect(statechart).toContain(`as ${state.path.replace(/\./g, '_')}`);
    for (const rule of RULES) expect(decisions).toContain(`| **${rule.id}** |`);
  });

  test('the grid has a row per execution status and a column per status', () => {
    const header = decisions.split('\n').find((line) => line.startsWith('| executionStatus'));
    expect(header?.split('|').slice(2, -1).map((cell) => cell.trim())).toEqual([...ITEM_STATUSES]);
    for (const execution of EXECUTION_STATUSES) expect(decisions).toContain(`| \`${execution}\` |`);
    const row = decisions.split('\n').find((line) => line.startsWith('| `INVALID_CREDENTIALS` |'))!;
    const cells = row.split('|').slice(2, -1).map((cell) => cell.trim());
    expect(cells[ITEM_STATUSES.indexOf('LOGIN_ERROR')]).toBe('R2 blocked · updateCredentials');
    const success = decisions.split('\n').find((line) => line.startsWith('| `SUCCESS` |'))!;
    expect(success.split('|').slice(2, -1).map((cell) => cell.trim())[ITEM_STATUSES.indexOf('OUTDATED')]).toBe('R12 syncable · outdated ✅');
  });
});
