/**
 * Scripted lives of Pluggy connections: every scenario of the original guide and of the
 * statechart contract, as timelines of what Pluggy would report. Used by the demo fleet.
 */
import type { ConnectionCommand } from '../runtime/commands';

/** One scripted step: after `at` ms (scenario time) the host receives `send`. */
export interface ScriptStep {
  readonly at: number;
  readonly send: (itemId: string, updatedAt: string) => ConnectionCommand;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly openFinance?: boolean;
  readonly mode?: 'poll' | 'push';
  readonly parsing?: 'strict' | 'lenient';
  /** Accounts the host finds on each sync attempt (the last value repeats). */
  readonly accounts?: readonly number[];
  readonly steps: readonly ScriptStep[];
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const connectorOf = (openFinance: boolean) =>
  openFinance ? { id: 601, name: 'Itaú Open Finance', isOpenFinance: true } : { id: 201, name: 'Banco Exemplo', isOpenFinance: false };

function snapshot(status: string, executionStatus: string, extra: (updatedAt: string) => Record<string, unknown> = () => ({}), openFinance = false) {
  return (itemId: string, updatedAt: string): ConnectionCommand => ({
    type: 'SNAPSHOT',
    item: { id: itemId, connector: connectorOf(openFinance), status, executionStatus, updatedAt, ...extra(updatedAt) },
  });
}

const webhook = (event: string, eventId: string, extra: Record<string, unknown> = {}) => (itemId: string): ConnectionCommand => ({
  type: 'WEBHOOK',
  payload: { event, eventId: `${itemId}:${eventId}`, itemId, triggeredBy: 'SYNC', ...extra },
});

const inMinutes = (updatedAt: string, minutes: number) => new Date(Date.parse(updatedAt) + minutes * MINUTE).toISOString();

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'success',
    description: 'Guide scenario 1: UPDATED + SUCCESS, sync',
    accounts: [2],
    steps: [
      { at: 0, send: snapshot('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 4 * SECOND, send: snapshot('UPDATING', 'ACCOUNTS_IN_PROGRESS') },
      { at: 9 * SECOND, send: snapshot('UPDATED', 'SUCCESS') },
    ],
  },
  {
    name: 'open-finance-partial',
    description: 'Guide scenario 2: Open Finance PARTIAL_SUCCESS with accounts arriving later',
    openFinance: true,
    accounts: [0, 0, 3],
    steps: [
      { at: 0, send: snapshot('UPDATING', 'CREATED', undefined, true) },
      {
        at: 3 * SECOND,
        send: snapshot('WAITING_USER_ACTION', 'WAITING_USER_ACTION', (u) => ({ userAction: { type: 'authorize-access', instructions: 'Authorize in your bank app', attributes: { url: 'https://bank.example/consent' }, expiresAt: inMinutes(u, 10) } }), true),
      },
      { at: 20 * SECOND, send: snapshot('UPDATING', 'ACCOUNTS_IN_PROGRESS', undefined, true) },
      {
        at: 30 * SECOND,
        send: snapshot('UPDATED', 'PARTIAL_SUCCESS', () => ({ statusDetail: { accounts: { isUpdated: false, lastUpdatedAt: null, warnings: [{ code: '001', message: 'pending a second approver' }] }, transactions: { isUpdated: true, lastUpdatedAt: null } } }), true),
      },
    ],
  },
  {
    name: 'mfa-timeout',
    description: 'Guide scenario 3: the MFA deadline passes; reconnection required',
    steps: [
      { at: 0, send: snapshot('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 3 * SECOND, send: snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', (u) => ({ parameter: { name: 'token', label: 'SMS code', type: 'number', expiresAt: inMinutes(u, 3) } })) },
      { at: 4 * MINUTE, send: snapshot('OUTDATED', 'USER_INPUT_TIMEOUT', () => ({ error: { code: 'USER_INPUT_TIMEOUT', message: 'User requested input had expired' } })) },
    ],
  },
  {
    name: 'mfa-answered',
    description: 'MFA answered in time',
    accounts: [1],
    steps: [
      { at: 0, send: snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', (u) => ({ parameter: { name: 'token', label: 'Token', type: 'number', expiresAt: inMinutes(u, 3) } })) },
      { at: 40 * SECOND, send: snapshot('UPDATING', 'LOGIN_MFA_IN_PROGRESS') },
      { at: 50 * SECOND, send: snapshot('UPDATED', 'SUCCESS') },
    ],
  },
  {
    name: 'outdated-but-working',
    description: 'Guide scenario 4: OUTDATED + SUCCESS, sync with a warning',
    accounts: [2],
    steps: [{ at: 0, send: snapshot('OUTDATED', 'SUCCESS') }],
  },
  {
    name: 'invalid-credentials',
    description: 'Guide scenario 5: LOGIN_ERROR + INVALID_CREDENTIALS, then the user reconnects',
    accounts: [2],
    steps: [
      { at: 0, send: snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS') },
      { at: 20 * SECOND, send: snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS') },
      { at: 45 * SECOND, send: () => ({ type: 'RECONNECT' }) },
      { at: 50 * SECOND, send: snapshot('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 60 * SECOND, send: snapshot('UPDATED', 'SUCCESS') },
    ],
  },
  {
    name: 'site-unavailable-heals',
    description: 'SITE_NOT_AVAILABLE, then an auto-sync succeeds: recovered',
    mode: 'push',
    accounts: [2],
    steps: [
      { at: 0, send: snapshot('OUTDATED', 'SITE_NOT_AVAILABLE') },
      { at: 30 * SECOND, send: webhook('item/updated', 'w1') },
      { at: 31 * SECOND, send: snapshot('UPDATED', 'SUCCESS') },
    ],
  },
  {
    name: 'stalled',
    description: 'An execution that never ends: reported stalled after the budget',
    steps: [{ at: 0, send: snapshot('UPDATING', 'LOGIN_IN_PROGRESS') }],
  },
  {
    name: 'account-locked',
    description: 'ACCOUNT_LOCKED: act at the institution; repeats prompt nobody',
    steps: [
      { at: 0, send: snapshot('LOGIN_ERROR', 'ACCOUNT_LOCKED') },
      { at: 30 * SECOND, send: snapshot('LOGIN_ERROR', 'ACCOUNT_LOCKED') },
    ],
  },
  {
    name: 'deleted',
    description: 'item/deleted: final',
    mode: 'push',
    accounts: [1],
    steps: [
      { at: 0, send: snapshot('UPDATED', 'SUCCESS') },
      { at: 20 * SECOND, send: webhook('item/deleted', 'd1') },
    ],
  },
  {
    name: 'duplicates-and-stale',
    description: 'Duplicate webhooks and a stale snapshot change nothing',
    mode: 'push',
    accounts: [1],
    steps: [
      { at: 0, send: snapshot('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 5 * SECOND, send: webhook('item/updated', 'dup') },
      { at: 6 * SECOND, send: webhook('item/updated', 'dup') },
      { at: 7 * SECOND, send: snapshot('UPDATED', 'SUCCESS') },
      {
        at: 9 * SECOND,
        send: (itemId, updatedAt) => snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS')(itemId, inMinutes(updatedAt, -60)),
      },
    ],
  },
  {
    name: 'unknown-value',
    description: 'A value Pluggy added later (lenient parsing): anomaly, no sync',
    parsing: 'lenient',
    steps: [{ at: 0, send: snapshot('UPDATED', 'BRAND_NEW_OUTCOME') }],
  },
];
