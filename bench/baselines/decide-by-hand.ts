/**
 * The baseline of `decide()`: the rulings R0–R17 written by hand, as a team would without a rules
 * table — one `switch` on the execution status, then `if`s on the status. It returns the same
 * decision as `decide()` (the bench checks this on every vocabulary pair before timing), so the
 * two do the same work. Only the one-line summaries are read from RULES, so that the comparison
 * measures the rulings rather than two copies of the same prose.
 */
import type { Decision, DecisionInput, ProductReport } from '../../src/decision/decide';
import { RULES, type RuleId } from '../../src/decision/rules';
import { PRODUCTS, type Product, type StatusDetail } from '../../src/vocabulary/item';

const SUMMARY = Object.fromEntries(RULES.map((rule) => [rule.id, rule.summary])) as Record<RuleId, string>;

/** The rule that applies, decided by hand. */
export function ruleByHand(input: DecisionInput): RuleId {
  if (input.deleted === true) return 'R0';
  const status = input.status;
  const execution = input.executionStatus;
  switch (execution) {
    case 'USER_INPUT_TIMEOUT':
      return 'R1';
    case 'INVALID_CREDENTIALS':
    case 'ACCOUNT_CREDENTIALS_RESET':
      return 'R2';
    case 'INVALID_CREDENTIALS_MFA':
      return 'R3';
    case 'SITE_NOT_AVAILABLE':
    case 'ALREADY_LOGGED_IN':
      return 'R4';
    case 'ERROR':
    case 'CONNECTION_ERROR':
    case 'UNEXPECTED_ERROR':
    case 'MERGE_ERROR':
    case 'CREATE_ERROR':
      return 'R5';
    case 'ACCOUNT_LOCKED':
    case 'ACCOUNT_NEEDS_ACTION':
      return 'R6';
    case 'USER_AUTHORIZATION_NOT_GRANTED':
    case 'USER_AUTHORIZATION_REVOKED':
      return 'R7';
    case 'USER_NOT_SUPPORTED':
      return 'R8';
  }
  if (status === 'WAITING_USER_INPUT' || execution === 'WAITING_USER_INPUT') return 'R9';
  if (status === 'WAITING_USER_ACTION' || execution === 'WAITING_USER_ACTION' || execution === 'USER_AUTHORIZATION_PENDING') return 'R10';
  if (
    status === 'UPDATING' ||
    status === 'MERGING' ||
    execution === 'CREATING' ||
    execution === 'CREATED' ||
    execution === 'LOGIN_IN_PROGRESS' ||
    execution === 'LOGIN_MFA_IN_PROGRESS' ||
    (typeof execution === 'string' && execution.endsWith('_IN_PROGRESS'))
  ) {
    return 'R11';
  }
  const succeeded = execution === 'SUCCESS' || execution === 'PARTIAL_SUCCESS';
  if (status === 'OUTDATED') return succeeded ? 'R12' : 'R13';
  if (status === 'LOGIN_ERROR') return 'R14';
  if (status === 'UPDATED' && execution === 'SUCCESS') return 'R15';
  if (status === 'UPDATED' && execution === 'PARTIAL_SUCCESS') return 'R16';
  return 'R17';
}

function iso(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  const time = date instanceof Date ? date.getTime() : typeof date === 'string' ? Date.parse(date) : Number.NaN;
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function products(detail: StatusDetail): Partial<Record<Product, ProductReport>> {
  const reports: Partial<Record<Product, ProductReport>> = {};
  for (const product of PRODUCTS) {
    const state = detail[product];
    if (state === undefined) continue;
    if (state === null) {
      reports[product] = { state: 'notRequested' };
      continue;
    }
    const since = iso(state.lastUpdatedAt);
    const report: { -readonly [K in keyof ProductReport]: ProductReport[K] } = {
      state: state.isUpdated ? 'fresh' : since ? 'stale' : 'neverCollected',
    };
    if (since) report.lastUpdatedAt = since;
    if (state.warnings?.length) report.warnings = state.warnings.map((warning) => warning.code);
    reports[product] = report;
  }
  return reports;
}

/** `decide()`, by hand. */
export function decideByHand(given: DecisionInput): Decision {
  const input: DecisionInput = given !== null && typeof given === 'object' ? given : {};
  const rule = ruleByHand(input);
  const described = input.deleted
    ? 'deleted'
    : `status ${String(input.status ?? '(none)')}, executionStatus ${String(input.executionStatus ?? '(none)')}`;
  const reason = `${rule}: ${SUMMARY[rule]} (${described})`;
  switch (rule) {
    case 'R0':
      return { rule, phase: 'deleted', canSync: false, reason };
    case 'R1':
    case 'R3':
    case 'R5':
    case 'R13':
      return { rule, phase: 'blocked', canSync: false, reason, remedy: 'reconnect' };
    case 'R2':
    case 'R14':
      return { rule, phase: 'blocked', canSync: false, reason, remedy: 'updateCredentials' };
    case 'R4':
      return { rule, phase: 'blocked', canSync: false, reason, remedy: 'retryLater' };
    case 'R6':
      return { rule, phase: 'blocked', canSync: false, reason, remedy: 'actAtInstitution' };
    case 'R7':
      return { rule, phase: 'blocked', canSync: false, reason, remedy: 'reconsent' };
    case 'R8':
      return { rule, phase: 'blocked', canSync: false, reason, remedy: 'unsupported' };
    case 'R9':
      return {
        rule,
        phase: 'awaitingUser',
        canSync: false,
        reason,
        awaiting: 'input',
        parameter: input.parameter ?? null,
        expiresAt: iso(input.parameter?.expiresAt),
      };
    case 'R10':
      return {
        rule,
        phase: 'awaitingUser',
        canSync: false,
        reason,
        awaiting: 'action',
        userAction: input.userAction ?? null,
        expiresAt: iso(input.userAction?.expiresAt),
      };
    case 'R11':
      return { rule, phase: 'pending', canSync: false, reason };
    case 'R12':
      return { rule, phase: 'syncable', canSync: true, reason, warning: 'outdated' };
    case 'R15':
      return { rule, phase: 'syncable', canSync: true, reason };
    case 'R16': {
      const openFinance = input.isOpenFinance ?? input.connector?.isOpenFinance ?? false;
      const decision: { -readonly [K in keyof Decision]: Decision[K] } = {
        rule,
        phase: 'syncable',
        canSync: true,
        reason: openFinance ? `${reason}; on Open Finance, accounts missing now usually arrive later and are re-read` : reason,
        warning: 'partial',
      };
      if (input.statusDetail) decision.products = products(input.statusDetail);
      return decision;
    }
    default:
      return { rule, phase: 'unknown', canSync: false, reason };
  }
}
