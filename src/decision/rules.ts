/**
 * The rulings R0–R17 as data. `decide()` applies them in order (the first match wins) and the
 * generated spec prints them; there is no other copy.
 */
import type { ExecutionStatus, ItemStatus } from '../vocabulary/statuses';
import { IN_PROGRESS_SUFFIX } from '../vocabulary/statuses';

/** What a connection needs now. `deleted` is final. */
export const PHASES = ['unknown', 'pending', 'awaitingUser', 'syncable', 'blocked', 'deleted'] as const;
export type Phase = (typeof PHASES)[number];

/** In `blocked`: which kind of reconnection the host must drive. */
export const REMEDIES = ['reconnect', 'updateCredentials', 'retryLater', 'actAtInstitution', 'reconsent', 'unsupported'] as const;
export type Remedy = (typeof REMEDIES)[number];

/** In `awaitingUser`: an MFA answer (`input`) or something done outside the app (`action`). */
export const AWAITING = ['input', 'action'] as const;
export type Awaiting = (typeof AWAITING)[number];

/** In `syncable`: why the data may be incomplete or old. */
export const WARNINGS = ['outdated', 'partial'] as const;
export type Warning = (typeof WARNINGS)[number];

/**
 * One way a rule can match. Every field given must match; a clause with no field matches anything.
 * `signal: 'deleted'` is the `item/deleted` webhook or a 404 on fetch, not a snapshot.
 */
export interface Clause {
  readonly signal?: 'deleted';
  readonly status?: readonly ItemStatus[];
  readonly executionStatus?: readonly ExecutionStatus[];
  /** Matches any execution status ending with this, including steps Pluggy adds later. */
  readonly executionStatusEndsWith?: string;
}

export interface Rule {
  readonly id: `R${number}`;
  /** The rule matches when any clause matches. */
  readonly when: readonly Clause[];
  readonly phase: Phase;
  readonly remedy?: Remedy;
  readonly awaiting?: Awaiting;
  readonly warning?: Warning;
  /** `guide`: stated by the original status guide; `extension`: Pluggy's wider vocabulary. */
  readonly origin: 'guide' | 'extension';
  /** Why, in one sentence; it starts the decision's `reason`. */
  readonly summary: string;
}

const SUCCESS = ['SUCCESS', 'PARTIAL_SUCCESS'] as const;

export const RULES = [
  {
    id: 'R0',
    when: [{ signal: 'deleted' }],
    phase: 'deleted',
    origin: 'extension',
    summary: 'the item was deleted (item/deleted webhook or 404 on fetch); nothing will change it again',
  },
  {
    id: 'R1',
    when: [{ executionStatus: ['USER_INPUT_TIMEOUT'] }],
    phase: 'blocked',
    remedy: 'reconnect',
    origin: 'guide',
    summary: 'the MFA input window expired; the user must be present to redo the update',
  },
  {
    id: 'R2',
    when: [{ executionStatus: ['INVALID_CREDENTIALS', 'ACCOUNT_CREDENTIALS_RESET'] }],
    phase: 'blocked',
    remedy: 'updateCredentials',
    origin: 'guide',
    summary: 'the institution rejected the credentials or requires a new password; Pluggy will not auto-sync until they are updated',
  },
  {
    id: 'R3',
    when: [{ executionStatus: ['INVALID_CREDENTIALS_MFA'] }],
    phase: 'blocked',
    remedy: 'reconnect',
    origin: 'extension',
    summary: 'the MFA answer was wrong or expired; the user must redo the update with a new code',
  },
  {
    id: 'R4',
    when: [{ executionStatus: ['SITE_NOT_AVAILABLE', 'ALREADY_LOGGED_IN'] }],
    phase: 'blocked',
    remedy: 'retryLater',
    origin: 'guide',
    summary: 'the institution is unavailable or another session is open there; try again later',
  },
  {
    id: 'R5',
    when: [{ executionStatus: ['ERROR', 'CONNECTION_ERROR', 'UNEXPECTED_ERROR', 'MERGE_ERROR', 'CREATE_ERROR'] }],
    phase: 'blocked',
    remedy: 'reconnect',
    origin: 'guide',
    summary: 'the execution failed with an unexpected error; a new update is needed',
  },
  {
    id: 'R6',
    when: [{ executionStatus: ['ACCOUNT_LOCKED', 'ACCOUNT_NEEDS_ACTION'] }],
    phase: 'blocked',
    remedy: 'actAtInstitution',
    origin: 'extension',
    summary: 'the account is locked or needs an action at the institution; retrying would deepen the lockout',
  },
  {
    id: 'R7',
    when: [{ executionStatus: ['USER_AUTHORIZATION_NOT_GRANTED', 'USER_AUTHORIZATION_REVOKED'] }],
    phase: 'blocked',
    remedy: 'reconsent',
    origin: 'extension',
    summary: 'the user did not grant, or revoked, the consent; a new authorization is needed',
  },
  {
    id: 'R8',
    when: [{ executionStatus: ['USER_NOT_SUPPORTED'] }],
    phase: 'blocked',
    remedy: 'unsupported',
    origin: 'extension',
    summary: 'this connector does not support the account type; retrying cannot help',
  },
  {
    id: 'R9',
    when: [{ status: ['WAITING_USER_INPUT'] }, { executionStatus: ['WAITING_USER_INPUT'] }],
    phase: 'awaitingUser',
    awaiting: 'input',
    origin: 'guide',
    summary: 'the institution asks the user for an MFA input before the deadline',
  },
  {
    id: 'R10',
    when: [{ status: ['WAITING_USER_ACTION'] }, { executionStatus: ['WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING'] }],
    phase: 'awaitingUser',
    awaiting: 'action',
    origin: 'extension',
    summary: 'the user must act outside the app (scan a QR code, authorize in the bank app); Pluggy then continues',
  },
  {
    id: 'R11',
    when: [
      { status: ['UPDATING', 'MERGING'] },
      { executionStatus: ['CREATING', 'CREATED', 'LOGIN_IN_PROGRESS', 'LOGIN_MFA_IN_PROGRESS'] },
      { executionStatusEndsWith: IN_PROGRESS_SUFFIX },
    ],
    phase: 'pending',
    origin: 'guide',
    summary: 'an execution is running; wait and check again',
  },
  {
    id: 'R12',
    when: [{ status: ['OUTDATED'], executionStatus: SUCCESS }],
    phase: 'syncable',
    warning: 'outdated',
    origin: 'guide',
    summary: 'the item is outdated but its last execution succeeded; sync, and consider a reconnection',
  },
  {
    id: 'R13',
    when: [{ status: ['OUTDATED'] }],
    phase: 'blocked',
    remedy: 'reconnect',
    origin: 'guide',
    summary: 'the item is outdated and its last execution did not succeed; a new update is needed',
  },
  {
    id: 'R14',
    when: [{ status: ['LOGIN_ERROR'] }],
    phase: 'blocked',
    remedy: 'updateCredentials',
    origin: 'extension',
    summary: 'the login failed; Pluggy will not auto-sync until the credentials are updated',
  },
  {
    id: 'R15',
    when: [{ status: ['UPDATED'], executionStatus: ['SUCCESS'] }],
    phase: 'syncable',
    origin: 'guide',
    summary: 'the last execution collected every product; sync',
  },
  {
    id: 'R16',
    when: [{ status: ['UPDATED'], executionStatus: ['PARTIAL_SUCCESS'] }],
    phase: 'syncable',
    warning: 'partial',
    origin: 'guide',
    summary: 'the last execution collected some products; sync what was collected',
  },
  {
    id: 'R17',
    when: [{}],
    phase: 'unknown',
    origin: 'extension',
    summary: 'no rule covers this combination (an unknown value or a contradiction); nothing is synced',
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]['id'];
