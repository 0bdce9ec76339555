/** What a benchmark suite provides. Each suite (or part of one) runs in a process of its own. */
import type { Figure, Mode } from './report';

export interface SuiteContext {
  readonly mode: Mode;
  /** Runs per figure: every figure is the median of this many. */
  readonly runs: number;
  /** The part to run, for suites split into parts (one process each). */
  readonly part?: string;
}

export interface SuiteOutput {
  readonly figures: readonly Figure[];
  readonly notes: readonly string[];
  readonly params: Readonly<Record<string, string | number>>;
  /** Set when this part could not run here (a missing server): why. */
  readonly skipped?: string;
}

export interface Suite {
  readonly name: string;
  readonly item: number;
  readonly title: string;
  /** Why the suite cannot run on this machine (a missing server, a missing module), if it cannot. */
  unavailable?(mode: Mode): string | undefined | Promise<string | undefined>;
  /** Parts run in separate processes, in this order, so one part's heap cannot skew another's. */
  parts?(mode: Mode): readonly string[];
  /** Extra node flags for a part's process (e.g. a larger heap). */
  nodeFlags?(mode: Mode, part: string | undefined): readonly string[];
  run(context: SuiteContext): SuiteOutput | Promise<SuiteOutput>;
}

export const RUNS: Record<Mode, number> = { quick: 3, full: 7 };

/** A size by mode: small enough for a CI smoke run, large enough for a stable figure. */
export const sized = (mode: Mode, quick: number, full: number): number => (mode === 'quick' ? quick : full);
