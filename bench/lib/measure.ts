/**
 * Throughput of several cases measured side by side: every run times each case once, in an order
 * that rotates from run to run, so drift in a shared machine's load hits every case alike and a
 * ratio taken within one run compares like with like.
 *
 * A rate is operations per CPU-second of this process (`process.cpuUsage`, user + system): on a
 * machine shared with other work, wall-clock time measures the share of a core the process was
 * given, while CPU time measures what the work costs. The wall-clock rates are kept too.
 */
import { collectGarbage, cpuSeconds, elapsedSeconds, nowNs } from './clock';
import { median } from './stats';

export interface RateCase {
  readonly label: string;
  /** Operations one run performs. */
  readonly ops: number;
  /**
   * Untimed: builds what one run consumes and returns the timed body. Inputs are built afresh for
   * every run, so no per-object cache carries over from one run to the next.
   */
  prepare(): () => void;
}

export interface RateSamples {
  readonly label: string;
  /** Operations per CPU-second, one per run. */
  readonly rates: readonly number[];
  /** Operations per wall-clock second, one per run. */
  readonly wallRates: readonly number[];
}

/** Values written here cannot be optimised away by the JIT. */
export const sink: { value: unknown } = { value: undefined };

function timeOnce(testCase: RateCase): { cpu: number; wall: number } {
  const body = testCase.prepare();
  collectGarbage();
  const cpu = process.cpuUsage();
  const start = nowNs();
  body();
  const wall = elapsedSeconds(start);
  return { cpu: testCase.ops / cpuSeconds(cpu), wall: testCase.ops / wall };
}

/** Runs every case `runs` times (after `warmups` untimed rounds) and returns each case's rates. */
export function measureRates(cases: readonly RateCase[], runs: number, warmups = 1): RateSamples[] {
  for (let round = 0; round < warmups; round++) for (const testCase of cases) timeOnce(testCase);
  const rates = cases.map(() => [] as number[]);
  const wallRates = cases.map(() => [] as number[]);
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < cases.length; k++) {
      const index = (k + run) % cases.length;
      const { cpu, wall } = timeOnce(cases[index]!);
      rates[index]!.push(cpu);
      wallRates[index]!.push(wall);
    }
  }
  return cases.map((testCase, index) => ({ label: testCase.label, rates: rates[index]!, wallRates: wallRates[index]! }));
}

/**
 * Per-run cost ratios: how many times longer one operation of `candidate` takes than one of
 * `baseline`, in the same run.
 */
export function costRatios(candidate: RateSamples, baseline: RateSamples): number[] {
  return candidate.rates.map((rate, run) => baseline.rates[run]! / rate);
}

export function medianRate(samples: RateSamples): number {
  return median(samples.rates);
}
