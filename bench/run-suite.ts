/**
 * Runs suites (or parts of them) in this process and writes their results, as a JSON array, to
 * the file named on the command line: `run-suite.ts <quick|full> <out.json> <suite>[:<part>]...`.
 */
import { writeFileSync } from 'node:fs';
import { RUNS } from './lib/suite';
import type { Mode, SuiteResult } from './lib/report';
import { SUITES } from './suites';

async function main(): Promise<void> {
  const [modeArg, out, ...tasks] = process.argv.slice(2);
  if ((modeArg !== 'quick' && modeArg !== 'full') || !out || tasks.length === 0) {
    throw new Error('usage: run-suite.ts <quick|full> <out.json> <suite>[:<part>]...');
  }
  const mode: Mode = modeArg;
  const results: SuiteResult[] = [];
  for (const task of tasks) {
    const [name, part] = task.split(':');
    const load = name ? SUITES[name] : undefined;
    if (!load) throw new Error(`unknown suite ${name}`);
    const suite = load();
    const started = performance.now();
    const output = await suite.run({ mode, runs: RUNS[mode], ...(part ? { part } : {}) });
    results.push({ suite: suite.name, ...(part ? { part } : {}), item: suite.item, title: suite.title, ...output, seconds: (performance.now() - started) / 1000 });
  }
  writeFileSync(out, JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
