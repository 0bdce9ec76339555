/**
 * `decide()`: the pure function from what Pluggy reports to what the connection needs.
 * It reads `RULES` in order; the first rule that matches wins.
 */
import type { MfaParameter, Product, StatusDetail, UserAction } from '../vocabulary/item';
import { PRODUCTS } from '../vocabulary/item';
import { EXECUTION_STATUSES, ITEM_STATUSES } from '../vocabulary/statuses';
import { RULES, type Awaiting, type Clause, type Phase, type Remedy, type Rule, type RuleId, type Warning } from './rules';

/**
 * What `decide()` reads: an item snapshot (any object with `status` and `executionStatus`, e.g.
 * `parseItem(json)`), or `{ deleted: true }` for the `item/deleted` webhook or a 404 on fetch.
 */
export interface DecisionInput {
  readonly status?: string;
  readonly executionStatus?: string;
  readonly deleted?: boolean;
  /** Overrides `connector.isOpenFinance`. */
  readonly isOpenFinance?: boolean;
  readonly connector?: { readonly isOpenFinance?: boolean } | null;
  readonly parameter?: MfaParameter | null;
  readonly userAction?: UserAction | null;
  readonly statusDetail?: StatusDetail | null;
}

/** How fresh one product's data is after a partial execution. */
export interface ProductReport {
  /** `fresh`: collected now; `stale`: last collected at `lastUpdatedAt`; `neverCollected`; `notRequested`. */
  readonly state: 'fresh' | 'stale' | 'neverCollected' | 'notRequested';
  readonly lastUpdatedAt?: string;
  /** Warning codes Pluggy attached to the product (e.g. `001` missing permission). */
  readonly warnings?: readonly string[];
}

export interface Decision {
  readonly rule: RuleId;
  readonly phase: Phase;
  /** True only in `syncable`: reading the item's data now is safe. */
  readonly canSync: boolean;
  /** Only in `blocked`. */
  readonly remedy?: Remedy;
  /** Only in `awaitingUser`. */
  readonly awaiting?: Awaiting;
  /** Only in `syncable`. */
  readonly warning?: Warning;
  readonly reason: string;
  /** With `awaiting: 'input'`: the MFA credential to ask for. */
  readonly parameter?: MfaParameter | null;
  /** With `awaiting: 'action'`: what the user must do. */
  readonly userAction?: UserAction | null;
  /** With `awaiting`: when the institution stops waiting (ISO 8601), or null when Pluggy gave no deadline. */
  readonly expiresAt?: string | null;
  /** With `warning: 'partial'`: per-product freshness from `statusDetail`. */
  readonly products?: Readonly<Partial<Record<Product, ProductReport>>>;
}

type Predicate = (input: DecisionInput) => boolean;

function compileClause(clause: Clause): Predicate {
  const tests: Predicate[] = [];
  if (clause.signal === 'deleted') tests.push((input) => input.deleted === true);
  if (clause.status) {
    const statuses: ReadonlySet<string> = new Set(clause.status);
    tests.push((input) => typeof input.status === 'string' && statuses.has(input.status));
  }
  if (clause.executionStatus) {
    const executions: ReadonlySet<string> = new Set(clause.executionStatus);
    tests.push((input) => typeof input.executionStatus === 'string' && executions.has(input.executionStatus));
  }
  const suffix = clause.executionStatusEndsWith;
  if (suffix !== undefined) {
    tests.push((input) => typeof input.executionStatus === 'string' && input.executionStatus.endsWith(suffix));
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (input) => tests.every((test) => test(input));
}

const FALLBACK: Rule = RULES[RULES.length - 1] as Rule;

const compiled: ReadonlyArray<{ rule: Rule; matches: Predicate }> = RULES.map((rule: Rule) => {
  const clauses = rule.when.map(compileClause);
  return { rule, matches: (input: DecisionInput) => clauses.some((clause) => clause(input)) };
});

function scanRules(input: DecisionInput): Rule {
  for (const { rule, matches } of compiled) if (matches(input)) return rule;
  return FALLBACK; // R17 matches anything: reached only to satisfy the type checker
}

// A rule reads only `deleted`, `status` and `executionStatus`. Every pair of the vocabulary is
// matched once, here, by the rules above, so deciding a snapshot costs two lookups instead of a
// walk through the rules; the deletion signal and values outside the vocabulary still walk them.
const byPair: ReadonlyMap<string, ReadonlyMap<string, Rule>> = new Map(
  ITEM_STATUSES.map((status) => [status, new Map(EXECUTION_STATUSES.map((executionStatus) => [executionStatus, scanRules({ status, executionStatus })]))]),
);

/** The first rule that matches `input`. */
export function matchRule(input: DecisionInput): Rule {
  if (input.deleted !== true && typeof input.status === 'string' && typeof input.executionStatus === 'string') {
    const rule = byPair.get(input.status)?.get(input.executionStatus);
    if (rule) return rule;
  }
  return scanRules(input);
}

/** A date as ISO 8601. Hosts may pass raw JSON instead of a parsed item, so strings are read too. */
function iso(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  const time = date instanceof Date ? date.getTime() : typeof date === 'string' ? Date.parse(date) : Number.NaN;
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function productReports(detail: StatusDetail): Partial<Record<Product, ProductReport>> {
  const reports: Partial<Record<Product, ProductReport>> = {};
  for (const product of PRODUCTS) {
    const state = detail[product];
    if (state === undefined) continue;
    if (state === null) {
      reports[product] = { state: 'notRequested' };
      continue;
    }
    const since = iso(state.lastUpdatedAt);
    const warnings = state.warnings?.map((warning) => warning.code);
    reports[product] = {
      state: state.isUpdated ? 'fresh' : since ? 'stale' : 'neverCollected',
      ...(since ? { lastUpdatedAt: since } : {}),
      ...(warnings?.length ? { warnings } : {}),
    };
  }
  return reports;
}

function describeInput(input: DecisionInput): string {
  if (input.deleted) return 'deleted';
  return `status ${String(input.status ?? '(none)')}, executionStatus ${String(input.executionStatus ?? '(none)')}`;
}

/** Decides what the connection needs from one snapshot (or the deletion signal). Pure; never throws. */
export function decide(given: DecisionInput): Decision {
  // Typed callers cannot pass null, but JSON-fed ones can: decide, don't throw.
  const input: DecisionInput = given !== null && typeof given === 'object' ? given : {};
  const rule = matchRule(input);
  const openFinance = input.isOpenFinance ?? input.connector?.isOpenFinance ?? false;
  let reason = `${rule.id}: ${rule.summary} (${describeInput(input)})`;
  if (rule.warning === 'partial' && openFinance) {
    reason += '; on Open Finance, accounts missing now usually arrive later and are re-read';
  }
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = {
    rule: rule.id as RuleId,
    phase: rule.phase,
    canSync: rule.phase === 'syncable',
    reason,
  };
  if (rule.remedy) decision.remedy = rule.remedy;
  if (rule.warning) decision.warning = rule.warning;
  if (rule.awaiting === 'input') {
    decision.awaiting = 'input';
    decision.parameter = input.parameter ?? null;
    decision.expiresAt = iso(input.parameter?.expiresAt);
  } else if (rule.awaiting === 'action') {
    decision.awaiting = 'action';
    decision.userAction = input.userAction ?? null;
    decision.expiresAt = iso(input.userAction?.expiresAt);
  }
  if (rule.warning === 'partial' && input.statusDetail) decision.products = productReports(input.statusDetail);
  return decision;
}
