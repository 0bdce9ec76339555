/**
 * Pluggy's vocabulary for an Item's two status fields.
 *
 * `pluggy-sdk` exports these only as types, so the library keeps its own const arrays; every
 * other module (parsers, rules, generated spec) reads them from here.
 */

/** `Item.status`: the coarse health of a connection (pluggy-sdk `ItemStatus`). */
export const ITEM_STATUSES = [
  'UPDATED',
  'UPDATING',
  'WAITING_USER_INPUT',
  'WAITING_USER_ACTION',
  'MERGING',
  'LOGIN_ERROR',
  'OUTDATED',
] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** Execution statuses before the connector runs. */
export const PRE_EXECUTION_STATUSES = ['CREATING', 'CREATE_ERROR', 'CREATED'] as const;

/** Steps of a running connector (pluggy-sdk `CONNECTOR_EXECUTION_STATUSES`). */
export const CONNECTOR_EXECUTION_STATUSES = [
  'LOGIN_IN_PROGRESS',
  'WAITING_USER_INPUT',
  'WAITING_USER_ACTION',
  'LOGIN_MFA_IN_PROGRESS',
  'ACCOUNTS_IN_PROGRESS',
  'TRANSACTIONS_IN_PROGRESS',
  'PAYMENT_DATA_IN_PROGRESS',
  'CREDITCARDS_IN_PROGRESS',
  'INVESTMENTS_IN_PROGRESS',
  'INVESTMENTS_TRANSACTIONS_IN_PROGRESS',
  'IDENTITY_IN_PROGRESS',
  'LOANS_IN_PROGRESS',
  'ACCOUNT_STATEMENTS_IN_PROGRESS',
] as const;

/** pluggy-sdk `EXECUTION_ERROR_CODES`: also the values of `item.error.code`. */
export const EXECUTION_ERROR_CODES = [
  'INVALID_CREDENTIALS',
  'ALREADY_LOGGED_IN',
  'UNEXPECTED_ERROR',
  'INVALID_CREDENTIALS_MFA',
  'SITE_NOT_AVAILABLE',
  'ACCOUNT_LOCKED',
  'ACCOUNT_CREDENTIALS_RESET',
  'CONNECTION_ERROR',
  'ACCOUNT_NEEDS_ACTION',
  'USER_AUTHORIZATION_PENDING',
  'USER_AUTHORIZATION_NOT_GRANTED',
  'USER_NOT_SUPPORTED',
  'USER_INPUT_TIMEOUT',
] as const;

/** pluggy-sdk `EXECUTION_FINISHED_STATUSES`: the error codes, then the other finished outcomes. */
export const EXECUTION_FINISHED_STATUSES = [
  ...EXECUTION_ERROR_CODES,
  'MERGE_ERROR',
  'ERROR',
  'SUCCESS',
  'PARTIAL_SUCCESS',
] as const;

/**
 * Values the API sends that pluggy-sdk 0.90 does not type (seen in Pluggy's Java SDK):
 * consent revoked at the institution, and a generic finished marker.
 */
export const EXTRA_EXECUTION_STATUSES = ['USER_AUTHORIZATION_REVOKED', 'FINISHED'] as const;

/** `Item.executionStatus`: what the last (or current) execution is doing or how it ended. */
export const EXECUTION_STATUSES = [
  ...PRE_EXECUTION_STATUSES,
  ...CONNECTOR_EXECUTION_STATUSES,
  ...EXECUTION_FINISHED_STATUSES,
  ...EXTRA_EXECUTION_STATUSES,
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** Executions that ended well enough to read data. */
export const SUCCESS_EXECUTION_STATUSES = ['SUCCESS', 'PARTIAL_SUCCESS'] as const;

/** Suffix Pluggy uses for every product-collection step, including ones added after this release. */
export const IN_PROGRESS_SUFFIX = '_IN_PROGRESS';

/** A value Pluggy may add after this release: known values keep their autocompletion. */
export type OpenString = string & {};

const itemStatusSet: ReadonlySet<string> = new Set(ITEM_STATUSES);
const executionStatusSet: ReadonlySet<string> = new Set(EXECUTION_STATUSES);

export function isItemStatus(value: unknown): value is ItemStatus {
  return typeof value === 'string' && itemStatusSet.has(value);
}

export function isExecutionStatus(value: unknown): value is ExecutionStatus {
  return typeof value === 'string' && executionStatusSet.has(value);
}
