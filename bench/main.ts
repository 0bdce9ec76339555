/**
 * `npm run bench [-- --quick] [--only a,b] [--out FILE.md] [--json FILE.json]`
 *
 * Runs every suite, each part in a fresh Node process (`--expose-gc`, so heap figures start from a
 * clean heap and one suite's JIT state cannot favour another; the quick run shares one process),
 * then writes the report: the full run into BENCHMARKS.md between its markers, a quick or partial
 * run under artifacts/bench/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeMachine, loadAverage } from './lib/machine';
import { renderResults, reportProblems, spliceResults, type Mode, type Report, type SuiteResult } from './lib/report';
import { SUITES } from './suites';

const ROOT = path.resolve(__dirname, '..');

interface Options {
  readonly mode: Mode;
  readonly only: readonly string[] | undefined;
  readonly out: string;
  readonly json: string;
}

function parseArgs(argv: readonly string[]): Options {
  let mode: Mode = 'full';
  let only: string[] | undefined;
  let out: string | undefined;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--only') only = value().split(',').filter(Boolean);
    else if (arg === '--out') out = value();
    else if (arg === '--json') json = value();
    else throw new Error(`unknown option ${arg} (expected --quick, --only a,b, --out FILE.md, --json FILE.json)`);
  }
  for (const name of only ?? []) if (!SUITES[name]) throw new Error(`unknown suite ${name} (known: ${Object.keys(SUITES).join(', ')})`);
  // Only a complete full run may replace the published figures.
  const publish = mode === 'full' && only === undefined;
  const stem = path.join(ROOT, 'artifacts', 'bench', mode === 'quick' ? 'quick' : only ? 'partial' : 'full');
  return {
    mode,
    only,
    out: path.resolve(out ?? (publish ? path.join(ROOT, 'BENCHMARKS.md') : `${stem}.md`)),
    json: path.resolve(json ?? `${stem}.json`),
  };
}

interface Task {
  readonly name: string;
  readonly part: string | undefined;
  readonly nodeFlags: readonly string[];
}

/** Runs tasks in one Node process and answers their results, in order. */
function runTasks(tasks: readonly Task[], mode: Mode, scratch: string): SuiteResult[] {
  const out = path.join(scratch, `${tasks.map((task) => `${task.name}${task.part ? `-${task.part}` : ''}`).join('+')}.json`);
  const flags = [...new Set(tasks.flatMap((task) => task.nodeFlags))];
  const args = ['--expose-gc', ...flags, '-r', 'ts-node/register/transpile-only', path.join('bench', 'run-suite.ts'), mode, out];
  for (const task of tasks) args.push(task.part ? `${task.name}:${task.part}` : task.name);
  const child = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') } });
  const label = tasks.map((task) => `${task.name}${task.part ? ` ${task.part}` : ''}`).join(', ');
  if (child.status !== 0 || !existsSync(out)) throw new Error(`${label} failed (exit ${child.status ?? child.signal})`);
  return JSON.parse(readFileSync(out, 'utf8')) as SuiteResult[];
}

/** Parts of one suite become one section: their figures and notes in order. */
function merge(parts: readonly SuiteResult[]): SuiteResult {
  const { skipped: _skipped, part: _part, ...first } = parts[0]!;
  return {
    ...first,
    figures: parts.flatMap((part) => part.figures),
    notes: [...new Set(parts.flatMap((part) => part.notes))],
    params: Object.assign({}, ...parts.map((part) => part.params)) as SuiteResult['params'],
    seconds: parts.reduce((sum, part) => sum + part.seconds, 0),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const loadAverageStart = loadAverage();
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const scratch = mkdtempSync(path.join(tmpdir(), 'pluggy-lifecycle-bench-'));
  const suites: SuiteResult[] = [];
  const skipped: Array<{ suite: string; part?: string; reason: string }> = [];
  try {
    const tasks: Task[] = [];
    for (const [name, load] of Object.entries(SUITES)) {
      if (options.only && !options.only.includes(name)) continue;
      const suite = load();
      const reason = await suite.unavailable?.(options.mode);
      if (reason) {
        skipped.push({ suite: name, reason });
        console.error(`bench: ${name} skipped: ${reason}`);
        continue;
      }
      for (const part of suite.parts?.(options.mode) ?? [undefined]) {
        tasks.push({ name, part, nodeFlags: suite.nodeFlags?.(options.mode, part) ?? [] });
      }
    }
    // A full run gives every part a fresh process; the quick run shares one, since only the
    // shape of its figures matters and each process start costs seconds.
    const groups = options.mode === 'full' ? tasks.map((task) => [task]) : [tasks];
    const results: SuiteResult[] = [];
    for (const group of groups) {
      if (group.length === 0) continue;
      const t = performance.now();
      const label = group.map((task) => `${task.name}${task.part ? ` ${task.part}` : ''}`).join(', ');
      console.error(`bench: ${label}…`);
      results.push(...runTasks(group, options.mode, scratch));
      console.error(`bench: ${label} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    for (const name of Object.keys(SUITES)) {
      const parts = results.filter((result) => result.suite === name);
      for (const { part, skipped: reason } of parts) {
        if (reason === undefined) continue;
        skipped.push({ suite: name, ...(part ? { part } : {}), reason });
        console.error(`bench: ${name}${part ? ` ${part}` : ''} skipped: ${reason}`);
      }
      const ran = parts.filter((result) => !result.skipped);
      if (ran.length > 0) suites.push(merge(ran));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const report: Report = {
    mode: options.mode,
    startedAt,
    seconds: (performance.now() - started) / 1000,
    machine: describeMachine(loadAverageStart),
    suites,
    skipped,
  };
  const problems = reportProblems(report);
  mkdirSync(path.dirname(options.json), { recursive: true });
  writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  if (problems.length > 0) throw new Error(`the report is malformed:\n${problems.join('\n')}`);
  const previous = existsSync(options.out) ? readFileSync(options.out, 'utf8') : undefined;
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, spliceResults(previous, renderResults(report)));
  console.error(`bench: wrote ${path.relative(ROOT, options.out)} and ${path.relative(ROOT, options.json)} in ${report.seconds.toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
