/**
 * The benchmarks still run: `npm run bench -- --quick` finishes, every benchmark produces a finite
 * positive figure, and the report is well formed. Timings are never asserted here; speed and
 * memory are measured in bench/ and read in BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BEGIN, END, reportProblems, type Report } from '../bench/lib/report';
import { SUITES } from '../bench/suites';

const ROOT = path.resolve(__dirname, '..');

describe('npm run bench -- --quick', () => {
  let dir: string;
  let report: Report;
  let markdown: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
    const out = path.join(dir, 'report.md');
    const json = path.join(dir, 'report.json');
    execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/main.ts', '--quick', '--out', out, '--json', json], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    });
    report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    markdown = readFileSync(out, 'utf8');
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every suite either ran or says why it could not run here', () => {
    const accounted = new Set([...report.suites.map((suite) => suite.suite), ...report.skipped.map((skip) => skip.suite)]);
    expect([...accounted].sort()).toEqual(Object.keys(SUITES).sort());
    for (const { reason } of report.skipped) expect(reason.length).toBeGreaterThan(0);
  });

  test('every benchmark produced a finite positive figure, with its runs, baseline and ratio', () => {
    expect(reportProblems(report)).toEqual([]);
    for (const suite of report.suites) {
      expect(suite.figures.length).toBeGreaterThan(0);
      for (const figure of suite.figures) {
        const values = [figure.subject.value, ...figure.subject.runs, ...(figure.baseline ? [figure.baseline.value, ...figure.baseline.runs] : [])];
        for (const value of values) {
          expect(Number.isFinite(value)).toBe(true);
          if (!figure.signed) expect(value).toBeGreaterThan(0);
        }
        if (figure.ratio) expect(Number.isFinite(figure.ratio.value)).toBe(true);
      }
    }
  });

  test('the report names the machine and has a table per suite', () => {
    expect(report.mode).toBe('quick');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.loadAverageStart).toHaveLength(3);
    expect(markdown).toContain(BEGIN);
    expect(markdown).toContain(END);
    expect(markdown).toContain(`| CPU | ${report.machine.cpu}`);
    for (const suite of report.suites) {
      expect(markdown).toContain(`### ${suite.item}. ${suite.title}`);
      for (const figure of suite.figures) expect(markdown).toContain(`\`${figure.key}\``);
    }
  });
});
