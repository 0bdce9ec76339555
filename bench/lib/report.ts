/**
 * The benchmark report: figures as data (written as JSON), rendered as the tables of
 * BENCHMARKS.md, and checked for well-formedness by the smoke test.
 */
import { median } from './stats';

export type Mode = 'quick' | 'full';

/** One measured quantity: the median of its runs. */
export interface Measured {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** The figure of each run; `value` is their median. */
  readonly runs: readonly number[];
  /** For rates per CPU-second: the same runs per wall-clock second. */
  readonly wallRuns?: readonly number[];
}

export interface Target {
  /** e.g. "≥ 50,000 events/s", "≤ 2× the switch". */
  readonly text: string;
  readonly met: boolean;
}

export interface Figure {
  /** Stable identifier, e.g. `decision.decide`. */
  readonly key: string;
  readonly subject: Measured;
  readonly baseline?: Measured;
  /** The per-run ratio subject ÷ baseline (of cost per operation, or of bytes), and its median. */
  readonly ratio?: { readonly value: number; readonly runs: readonly number[]; readonly means: string };
  readonly target?: Target;
  /** Signed figures (e.g. heap retained per connection) may be zero or negative. */
  readonly signed?: boolean;
  readonly note?: string;
}

export interface SuiteResult {
  readonly suite: string;
  /** The part of the suite this result is, for suites run in parts (merged into one section in the report). */
  readonly part?: string;
  /** The numbered item of the report this suite answers. */
  readonly item: number;
  readonly title: string;
  readonly figures: readonly Figure[];
  readonly notes: readonly string[];
  /** Sizes and run counts, so a reader can reproduce the figures. */
  readonly params: Readonly<Record<string, string | number>>;
  readonly seconds: number;
  /** Set when the suite (or this part of it) could not run here: why. */
  readonly skipped?: string;
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly loadAverageStart: readonly number[];
  readonly loadAverageEnd: readonly number[];
  readonly versions: Readonly<Record<string, string>>;
  readonly commit: string;
}

export interface Report {
  readonly mode: Mode;
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly suites: readonly SuiteResult[];
  /** Suites, or parts of them, that could not run here, and why (e.g. no PostgreSQL server). */
  readonly skipped: readonly { readonly suite: string; readonly part?: string; readonly reason: string }[];
}

export function measured(label: string, unit: string, runs: readonly number[], wallRuns?: readonly number[]): Measured {
  return { label, unit, runs, value: median(runs), ...(wallRuns ? { wallRuns } : {}) };
}

export function ratioOf(runs: readonly number[], means: string): NonNullable<Figure['ratio']> {
  return { value: median(runs), runs, means };
}

export function atLeast(value: number, threshold: number, text: string): Target {
  return { text, met: value >= threshold };
}

export function atMost(value: number, threshold: number, text: string): Target {
  return { text, met: value <= threshold };
}

// ---------------------------------------------------------------------------------------------
// Rendering

const grouped = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function formatValue(value: number, unit: string): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${grouped(value, digits)} ${unit}`;
}

const formatRatio = (value: number) => `${value >= 10 ? grouped(value, 1) : value.toFixed(2)}×`;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function figureRow(figure: Figure): string {
  const { subject, baseline, ratio, target } = figure;
  const columns = [
    subject.label,
    formatValue(subject.value, subject.unit),
    baseline ? baseline.label : '—',
    baseline ? formatValue(baseline.value, baseline.unit) : '—',
    ratio ? `${formatRatio(ratio.value)} ${ratio.means}` : '—',
    target ? target.text : '—',
    target ? (target.met ? '**met**' : '**missed**') : '—',
  ];
  return `| ${columns.map(cell).join(' | ')} |`;
}

function runsLine(figure: Figure): string {
  const list = (values: readonly number[]) => values.map((value) => grouped(value, Math.abs(value) < 10 ? 2 : 0)).join(', ');
  const wall = (value: Measured) => (value.wallRuns ? ` (wall clock: ${list(value.wallRuns)})` : '');
  const parts = [`${figure.subject.label}: ${list(figure.subject.runs)}${wall(figure.subject)}`];
  if (figure.baseline) parts.push(`${figure.baseline.label}: ${list(figure.baseline.runs)}${wall(figure.baseline)}`);
  if (figure.ratio) parts.push(`ratio: ${figure.ratio.runs.map((value) => value.toFixed(2)).join(', ')}`);
  return `- \`${figure.key}\` — ${parts.join('; ')}`;
}

export function renderMachine(report: Report): string {
  const m = report.machine;
  const versions = Object.entries(m.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const load = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join(' / ');
  return [
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB.toFixed(1)} GiB |`,
    `| Node | ${m.node} (${m.platform}) |`,
    `| packages | ${versions} |`,
    `| load average (1 / 5 / 15 min) | at start ${load(m.loadAverageStart)}; at end ${load(m.loadAverageEnd)} |`,
    `| commit | ${m.commit} |`,
    `| run | ${report.mode} mode, started ${report.startedAt}, took ${grouped(report.seconds, 0)} s |`,
  ].join('\n');
}

export function renderResults(report: Report): string {
  const out: string[] = [];
  out.push('### Machine', '', renderMachine(report), '');
  const items = [...new Set(report.suites.map((suite) => suite.item))].sort((a, b) => a - b);
  for (const item of items) {
    for (const suite of report.suites.filter((s) => s.item === item)) {
      out.push(`### ${suite.item}. ${suite.title}`, '');
      out.push('| measure | figure | baseline | baseline figure | ratio | target | |', '|---|---:|---|---:|---|---|---|');
      for (const figure of suite.figures) out.push(figureRow(figure));
      out.push('');
      for (const note of suite.notes) out.push(`- ${note}`);
      const params = Object.entries(suite.params)
        .map(([key, value]) => `${key} ${typeof value === 'number' ? grouped(value) : value}`)
        .join(', ');
      out.push(`- Parameters: ${params}; took ${suite.seconds.toFixed(1)} s.`, '');
    }
  }
  if (report.skipped.length > 0) {
    out.push('### Not run here', '');
    for (const { suite, part, reason } of report.skipped) out.push(`- \`${suite}${part ? ` ${part}` : ''}\`: ${reason}`);
    out.push('');
  }
  out.push('<details><summary>Every run (the figures above are their medians)</summary>', '');
  for (const suite of report.suites) for (const figure of suite.figures) out.push(runsLine(figure));
  out.push('', '</details>');
  return out.join('\n');
}

export const BEGIN = '<!-- bench:results:begin (written by npm run bench; edit outside these markers) -->';
export const END = '<!-- bench:results:end -->';

/** Puts the rendered results between the markers of `document`, keeping the prose around them. */
export function spliceResults(document: string | undefined, results: string): string {
  const block = `${BEGIN}\n\n${results}\n\n${END}`;
  if (document === undefined) return `# Benchmarks\n\n${block}\n`;
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (begin === -1 || end === -1 || end < begin) return `${document.trimEnd()}\n\n${block}\n`;
  return document.slice(0, begin) + block + document.slice(end + END.length);
}

// ---------------------------------------------------------------------------------------------
// Well-formedness

const positive = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0;
const finite = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);

function measuredProblems(where: string, value: Measured | undefined, signed: boolean): string[] {
  if (!value) return [`${where}: missing`];
  const ok = signed ? finite : positive;
  const problems: string[] = [];
  if (!value.label || !value.unit) problems.push(`${where}: no label or unit`);
  if (!ok(value.value)) problems.push(`${where}: value ${value.value} is not a finite${signed ? '' : ' positive'} number`);
  if (!Array.isArray(value.runs) || value.runs.length === 0) problems.push(`${where}: no runs`);
  else if (!value.runs.every(ok)) problems.push(`${where}: a run is not a finite${signed ? '' : ' positive'} number`);
  return problems;
}

/** Every problem that makes the report unusable; an empty list means it is well formed. */
export function reportProblems(report: Report): string[] {
  const problems: string[] = [];
  if (report.mode !== 'quick' && report.mode !== 'full') problems.push(`mode: ${String(report.mode)}`);
  const m = report.machine;
  if (!m || !m.cpu || !positive(m.cores) || !m.node || m.loadAverageStart?.length !== 3) problems.push('machine: incomplete');
  if (!Array.isArray(report.suites) || report.suites.length === 0) problems.push('no suite ran');
  const keys = new Set<string>();
  for (const suite of report.suites ?? []) {
    if (suite.figures.length === 0) problems.push(`${suite.suite}: no figure`);
    for (const figure of suite.figures) {
      if (keys.has(figure.key)) problems.push(`${figure.key}: reported twice`);
      keys.add(figure.key);
      problems.push(...measuredProblems(`${figure.key}`, figure.subject, figure.signed === true));
      if (figure.baseline) problems.push(...measuredProblems(`${figure.key} baseline`, figure.baseline, false));
      if (figure.ratio && !(finite(figure.ratio.value) && figure.ratio.runs.every(finite))) problems.push(`${figure.key}: ratio not finite`);
      if (figure.target && (typeof figure.target.met !== 'boolean' || !figure.target.text)) problems.push(`${figure.key}: bad target`);
    }
  }
  return problems;
}
