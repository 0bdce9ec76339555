/**
 * Runs one suite (or one part of it) in this process and writes its result as JSON to the file
 * named on the command line: `run-suite.ts <suite> <quick|full> <out.json> [part]`.
 */
import { writeFileSync } from 'node:fs';
import { RUNS } from './lib/suite';
import type { Mode, SuiteResult } from './lib/report';
import { SUITES } from './suites';

async function main(): Promise<void> {
  const [name, modeArg, out, part] = process.argv.slice(2);
  const load = name ? SUITES[name] : undefined;
  if (!load || (modeArg !== 'quick' && modeArg !== 'full') || !out) {
    throw new Error('usage: run-suite.ts <suite> <quick|full> <out.json> [part]');
  }
  const mode: Mode = modeArg;
  const suite = load();
  const started = performance.now();
  const output = await suite.run({ mode, runs: RUNS[mode], ...(part ? { part } : {}) });
  const result: SuiteResult = {
    suite: suite.name,
    item: suite.item,
    title: suite.title,
    ...output,
    seconds: (performance.now() - started) / 1000,
  };
  writeFileSync(out, JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
