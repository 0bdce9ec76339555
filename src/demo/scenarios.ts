/**
 * Scripted lives of Pluggy connections: every scenario of the original guide and of the
 * statechart contract, written as what happens on Pluggy's side (the item changes, a webhook goes
 * out, the item is deleted) and what the host does (the user reconnects, a late or repeated
 * answer arrives). The demo fleet plays them; the host answers the connection's effects itself.
 */
import type { EffectType } from '../machine/effects';
import type { ConnectionCommand } from '../runtime/commands';

/** What a script step can make happen, on Pluggy's side or the host's. */
export interface ScenarioWorld {
  /** Pluggy's item moves on (a new step of an execution); its `updatedAt` is now. */
  item(status: string, executionStatus: string, extra?: (updatedAt: string) => Record<string, unknown>): void;
  /** Pluggy sends a webhook about the item; `eventId` is made unique per connection. */
  webhook(event: string, eventId: string): void;
  /** Pluggy deletes the item: from now on, fetching it answers 404. */
  remove(): void;
  /** The host fetches the item by itself (a dashboard, a daily check) and sends the answer. */
  refetch(): void;
  /** A late answer arrives: a snapshot older than the last one Pluggy gave. */
  stale(status: string, executionStatus: string, minutesEarlier: number): void;
  /** The host sends a command (e.g. `RECONNECT` when the user opened the Connect widget again). */
  send(command: ConnectionCommand): void;
}

export interface ScriptStep {
  /** Scenario time (ms since the connection was created). */
  readonly at: number;
  readonly run: (world: ScenarioWorld) => void;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly openFinance?: boolean;
  readonly mode?: 'poll' | 'push';
  readonly parsing?: 'strict' | 'lenient';
  /** Accounts the host finds on each read of the data (the last value repeats). */
  readonly accounts?: readonly number[];
  readonly steps: readonly ScriptStep[];
  /** Where the connection ends, and how many times some effects must have been emitted by then. */
  readonly outcome: { readonly state: string; readonly effects?: Readonly<Partial<Record<EffectType, number>>> };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const inMinutes = (updatedAt: string, minutes: number) => new Date(Date.parse(updatedAt) + minutes * MINUTE).toISOString();

const mfaToken = (minutes: number | null) => (updatedAt: string) => ({
  parameter: {
    name: 'token',
    label: 'SMS code',
    type: 'number',
    // What a bank sends along with the challenge: never shown by the inspector.
    data: 'sms-challenge-4471',
    ...(minutes === null ? {} : { expiresAt: inMinutes(updatedAt, minutes) }),
  },
});

const failure = (code: string, message: string) => () => ({
  error: { code, message, providerMessage: `Mensagem do banco para ${code}` },
});

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'success',
    description: 'Guide scenario 1: the login runs (polled with backoff), then UPDATED + SUCCESS: sync',
    accounts: [2],
    steps: [
      { at: 0, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 6 * SECOND, run: (w) => w.item('UPDATING', 'ACCOUNTS_IN_PROGRESS') },
      { at: 15 * SECOND, run: (w) => w.item('UPDATED', 'SUCCESS') },
    ],
    outcome: { state: 'syncable.synced', effects: { sync: 1 } },
  },
  {
    name: 'open-finance-zero-accounts',
    description: 'Guide scenario 2: Open Finance consent, PARTIAL_SUCCESS, zero accounts: re-read accounts later until they arrive',
    openFinance: true,
    accounts: [0, 0, 3],
    steps: [
      { at: 0, run: (w) => w.item('UPDATING', 'CREATED') },
      {
        at: 3 * SECOND,
        run: (w) =>
          w.item('WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING', (u) => ({
            userAction: {
              type: 'authorize-access',
              instructions: 'Authorize the consent in your bank app',
              attributes: { url: 'https://bank.example/consent?code=c-20931' },
              expiresAt: inMinutes(u, 10),
            },
          })),
      },
      { at: 40 * SECOND, run: (w) => w.item('UPDATING', 'ACCOUNTS_IN_PROGRESS') },
      {
        at: 60 * SECOND,
        run: (w) =>
          w.item('UPDATED', 'PARTIAL_SUCCESS', () => ({
            statusDetail: {
              accounts: { isUpdated: false, lastUpdatedAt: null, warnings: [{ code: '001', message: 'accounts pending a second approver' }] },
              transactions: { isUpdated: true, lastUpdatedAt: null },
            },
          })),
      },
    ],
    outcome: { state: 'syncable.synced', effects: { userActionRequired: 1, scheduleRetry: 2, sync: 3 } },
  },
  {
    name: 'mfa-deadline',
    description: 'Guide scenario 3: nobody answers the MFA; its deadline passes and the connection blocks before Pluggy says USER_INPUT_TIMEOUT',
    steps: [
      { at: 0, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 3 * SECOND, run: (w) => w.item('WAITING_USER_INPUT', 'WAITING_USER_INPUT', mfaToken(3)) },
      { at: 5 * MINUTE, run: (w) => w.item('OUTDATED', 'USER_INPUT_TIMEOUT', failure('USER_INPUT_TIMEOUT', 'User requested input had expired')) },
      { at: 5 * MINUTE + 10 * SECOND, run: (w) => w.refetch() },
    ],
    outcome: { state: 'blocked.reconnect', effects: { userInputRequired: 1, reconnectRequired: 1 } },
  },
  {
    name: 'mfa-timeout-reported',
    description: 'Guide scenario 3: a challenge without a deadline; Pluggy reports WAITING_USER_INPUT + USER_INPUT_TIMEOUT: block, reconnection',
    steps: [
      { at: 0, run: (w) => w.item('WAITING_USER_INPUT', 'WAITING_USER_INPUT', mfaToken(null)) },
      { at: 90 * SECOND, run: (w) => w.item('WAITING_USER_INPUT', 'USER_INPUT_TIMEOUT', failure('USER_INPUT_TIMEOUT', 'User requested input had expired')) },
    ],
    outcome: { state: 'blocked.reconnect', effects: { userInputRequired: 1, reconnectRequired: 1 } },
  },
  {
    name: 'mfa-answered',
    description: 'An MFA challenge answered in time: the login goes on and succeeds',
    accounts: [1],
    steps: [
      { at: 0, run: (w) => w.item('WAITING_USER_INPUT', 'WAITING_USER_INPUT', mfaToken(3)) },
      { at: 40 * SECOND, run: (w) => w.item('UPDATING', 'LOGIN_MFA_IN_PROGRESS') },
      { at: 55 * SECOND, run: (w) => w.item('UPDATED', 'SUCCESS') },
    ],
    outcome: { state: 'syncable.synced', effects: { userInputRequired: 1, sync: 1 } },
  },
  {
    name: 'outdated-but-working',
    description: 'Guide scenario 4: OUTDATED + SUCCESS: sync, with a warning',
    accounts: [2],
    steps: [{ at: 0, run: (w) => w.item('OUTDATED', 'SUCCESS') }],
    outcome: { state: 'syncable.synced', effects: { sync: 1 } },
  },
  {
    name: 'invalid-credentials',
    description: 'Guide scenario 5: LOGIN_ERROR + INVALID_CREDENTIALS: credential update; a repeat prompts nobody; the user reconnects',
    accounts: [2],
    steps: [
      { at: 0, run: (w) => w.item('LOGIN_ERROR', 'INVALID_CREDENTIALS', failure('INVALID_CREDENTIALS', 'Invalid credentials')) },
      { at: 20 * SECOND, run: (w) => w.refetch() },
      { at: 45 * SECOND, run: (w) => w.send({ type: 'RECONNECT' }) },
      { at: 46 * SECOND, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 60 * SECOND, run: (w) => w.item('UPDATED', 'SUCCESS') },
    ],
    outcome: { state: 'syncable.synced', effects: { reconnectRequired: 1, sync: 1 } },
  },
  {
    name: 'blocked-then-recovered',
    description: 'Push mode: SITE_NOT_AVAILABLE (retry later), then Pluggy\'s auto-sync succeeds: recovered without a reconnection',
    mode: 'push',
    accounts: [2],
    steps: [
      { at: 0, run: (w) => w.item('OUTDATED', 'SITE_NOT_AVAILABLE', failure('SITE_NOT_AVAILABLE', 'The institution is unavailable')) },
      { at: 30 * SECOND, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 40 * SECOND, run: (w) => w.item('UPDATED', 'SUCCESS') },
      { at: 40 * SECOND, run: (w) => w.webhook('item/updated', 'auto-sync') },
    ],
    outcome: { state: 'syncable.synced', effects: { reconnectRequired: 1, recovered: 1, sync: 1 } },
  },
  {
    name: 'stalled',
    description: 'An execution that never ends: polled with backoff, then reported stalled once the 10-minute budget is spent',
    steps: [{ at: 0, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') }],
    outcome: { state: 'pending.stalled', effects: { stalled: 1 } },
  },
  {
    name: 'push-webhooks',
    description: 'Push mode: no polling; webhooks (one delivered twice) lead to a fetch, and the snapshot decides',
    mode: 'push',
    accounts: [1],
    steps: [
      { at: 0, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 20 * SECOND, run: (w) => w.item('UPDATED', 'SUCCESS') },
      { at: 20 * SECOND, run: (w) => w.webhook('item/updated', 'w1') },
      { at: 22 * SECOND, run: (w) => w.webhook('item/updated', 'w1') },
    ],
    outcome: { state: 'syncable.synced', effects: { fetch: 1, sync: 1 } },
  },
  {
    name: 'stale-and-duplicate',
    description: 'A late answer older than the last snapshot, and the same snapshot twice: both ignored',
    accounts: [1],
    steps: [
      { at: 0, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 8 * SECOND, run: (w) => w.item('UPDATED', 'SUCCESS') },
      { at: 20 * SECOND, run: (w) => w.stale('LOGIN_ERROR', 'INVALID_CREDENTIALS', 30) },
      { at: 25 * SECOND, run: (w) => w.refetch() },
    ],
    outcome: { state: 'syncable.synced', effects: { sync: 1, reconnectRequired: 0 } },
  },
  {
    name: 'account-locked',
    description: 'ACCOUNT_LOCKED: the user must act at the institution; the same failure again prompts nobody',
    steps: [
      { at: 0, run: (w) => w.item('LOGIN_ERROR', 'ACCOUNT_LOCKED', failure('ACCOUNT_LOCKED', 'The account is locked')) },
      { at: 30 * SECOND, run: (w) => w.refetch() },
    ],
    outcome: { state: 'blocked.actAtInstitution', effects: { reconnectRequired: 1 } },
  },
  {
    name: 'consent-revoked',
    description: 'Open Finance, push mode: synced, then the user revokes the consent at the bank; item/error leads to a fetch: reconsent',
    openFinance: true,
    mode: 'push',
    accounts: [2],
    steps: [
      { at: 0, run: (w) => w.item('UPDATED', 'SUCCESS') },
      { at: 30 * SECOND, run: (w) => w.item('OUTDATED', 'USER_AUTHORIZATION_REVOKED', failure('USER_AUTHORIZATION_REVOKED', 'Consent revoked')) },
      { at: 30 * SECOND, run: (w) => w.webhook('item/error', 'revoked') },
    ],
    outcome: { state: 'blocked.reconsent', effects: { sync: 1, fetch: 1, reconnectRequired: 1 } },
  },
  {
    name: 'deleted-webhook',
    description: 'Push mode: item/deleted: final, without a fetch',
    mode: 'push',
    accounts: [1],
    steps: [
      { at: 0, run: (w) => w.item('UPDATED', 'SUCCESS') },
      { at: 20 * SECOND, run: (w) => w.remove() },
      { at: 20 * SECOND, run: (w) => w.webhook('item/deleted', 'd1') },
    ],
    outcome: { state: 'deleted', effects: { deleted: 1, fetch: 0 } },
  },
  {
    name: 'deleted-on-fetch',
    description: 'Poll mode: the item is deleted while a login runs; the next poll answers 404: deleted',
    steps: [
      { at: 0, run: (w) => w.item('UPDATING', 'LOGIN_IN_PROGRESS') },
      { at: 8 * SECOND, run: (w) => w.remove() },
    ],
    outcome: { state: 'deleted', effects: { deleted: 1 } },
  },
  {
    name: 'unknown-value',
    description: 'A value Pluggy added later (lenient parsing): an anomaly, never a sync',
    parsing: 'lenient',
    steps: [{ at: 0, run: (w) => w.item('UPDATED', 'BRAND_NEW_OUTCOME') }],
    outcome: { state: 'unknown.anomaly', effects: { anomaly: 1, sync: 0 } },
  },
];
