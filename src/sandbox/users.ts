/**
 * The sandbox users. `parameters.user` picks one; each is a small script of item states that
 * behaves like one Pluggy situation. Durations are the unscaled constants of ./constants.
 */
import {
  AUTO_SYNC_HEAL_DELAY_MS,
  COLLECT_DURATION_MS,
  LOGIN_DURATION_MS,
  MFA_CHECK_DURATION_MS,
  MFA_INPUT_TTL_MS,
  MFA_TIMEOUT_INPUT_TTL_MS,
  OPEN_FINANCE_ACCOUNTS_DELAY_MS,
  OPEN_FINANCE_AUTHORIZE_DELAY_MS,
  OPEN_FINANCE_USER_ACTION_TTL_MS,
  SANDBOX_GOOD_PASSWORD,
  SANDBOX_MFA_CODE,
} from './constants';
import type { ExecutionErrorCode, IsoDate, StatusDetailJson, TriggeredBy } from './types';

export const SANDBOX_USERS = [
  'user-ok',
  'user-bad-password',
  'user-mfa',
  'user-mfa-timeout',
  'user-unavailable',
  'user-open-finance',
  'user-locked',
] as const;
export type SandboxUser = (typeof SANDBOX_USERS)[number];

export function isSandboxUser(value: unknown): value is SandboxUser {
  return typeof value === 'string' && (SANDBOX_USERS as readonly string[]).includes(value);
}

/**
 * What a user's script can do to its item during one execution. Every step bumps `updatedAt` and
 * sends the matching webhook; steps of an execution that was replaced (PATCH, DELETE) do nothing.
 */
export interface ExecutionControl {
  /** 1 for the execution `POST /items` started; later ones come from PATCH or auto-sync. */
  readonly number: number;
  readonly triggeredBy: TriggeredBy;
  /** The stored credentials (creation parameters merged with every PATCH's). */
  readonly credentials: Readonly<Record<string, string>>;
  /** Whether `GET /accounts` already lists accounts for this item. */
  readonly hasAccounts: boolean;
  /** Runs `step` after `ms` script milliseconds. */
  after(ms: number, step: () => void): void;
  /** UPDATING/ACCOUNTS_IN_PROGRESS + `item/login_succeeded`; resets `consecutiveFailedLoginAttempts`. */
  loginSucceeded(): void;
  /** UPDATED/SUCCESS with both accounts collected + `item/created` (first execution) or `item/updated`. */
  succeed(): void;
  /** UPDATED/PARTIAL_SUCCESS with this `statusDetail` (accounts not collected) + `item/created` or `item/updated`. */
  succeedPartially(statusDetail: (now: IsoDate) => StatusDetailJson): void;
  /**
   * `status`/`code` with `error {code, message}` + `item/error`; LOGIN_ERROR counts a failed login.
   * `autoSyncAfterMs` sets `nextAutoSyncAt` and starts a SYNC execution then (unless another starts first).
   */
  fail(status: 'LOGIN_ERROR' | 'OUTDATED', code: ExecutionErrorCode, options?: { readonly autoSyncAfterMs?: number }): void;
  /**
   * WAITING_USER_INPUT with `parameter {name:'token', type:'number', expiresAt}` + `item/waiting_user_input`.
   * An answer moves to UPDATING/LOGIN_MFA_IN_PROGRESS and calls `onAnswer`; no answer by `expiresAt`
   * gives OUTDATED/USER_INPUT_TIMEOUT + `item/error`, and later MFA posts answer 400 ITEM_MFA_EXPIRED.
   */
  waitForInput(request: { readonly ttlMs: number; readonly onAnswer: (value: string) => void }): void;
  /**
   * WAITING_USER_ACTION with `userAction {type:'authorize-access', instructions, attributes:{url}, expiresAt}`
   * + `item/waiting_user_action`; the simulated user authorizes after `authorizedAfterMs`.
   */
  waitForAction(request: { readonly ttlMs: number; readonly authorizedAfterMs: number; readonly onAuthorized: () => void }): void;
  /** Accounts appear in `GET /accounts` after `ms`, with no new execution and no item change (once per item). */
  accountsArriveAfter(ms: number): void;
}

export interface UserScript {
  /** Open Finance users need connector 601, the others connector 201. */
  readonly openFinance: boolean;
  /** The timeline in words (unscaled durations), for docs and reports. */
  readonly timeline: string;
  readonly run: (execution: ExecutionControl) => void;
}

/** Login succeeded: collect the accounts, then UPDATED/SUCCESS. */
function collect(x: ExecutionControl): void {
  x.loginSucceeded();
  x.after(COLLECT_DURATION_MS, () => x.succeed());
}

function mfaUser(ttlMs: number): UserScript['run'] {
  return (x) =>
    x.after(LOGIN_DURATION_MS, () =>
      x.waitForInput({
        ttlMs,
        onAnswer: (value) =>
          x.after(MFA_CHECK_DURATION_MS, () =>
            value === SANDBOX_MFA_CODE ? collect(x) : x.fail('LOGIN_ERROR', 'INVALID_CREDENTIALS_MFA'),
          ),
      }),
    );
}

function openFinanceDetail(now: IsoDate): StatusDetailJson {
  return {
    accounts: {
      isUpdated: false,
      lastUpdatedAt: null,
      warnings: [
        {
          code: '001',
          message: 'The accounts are pending authorisation at the institution and will be collected later',
          providerMessage: 'Conta pendente de autorização',
        },
      ],
    },
    creditCards: null,
    transactions: { isUpdated: false, lastUpdatedAt: null },
    investments: null,
    investmentTransactions: null,
    identity: { isUpdated: true, lastUpdatedAt: now },
    paymentData: null,
    loans: null,
    accountStatements: null,
  };
}

export const USER_SCRIPTS: Readonly<Record<SandboxUser, UserScript>> = {
  'user-ok': {
    openFinance: false,
    timeline: `UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> UPDATING/ACCOUNTS_IN_PROGRESS (item/login_succeeded) -${COLLECT_DURATION_MS}ms-> UPDATED/SUCCESS, 2 accounts (item/created; item/updated on later executions)`,
    run: (x) => x.after(LOGIN_DURATION_MS, () => collect(x)),
  },
  'user-bad-password': {
    openFinance: false,
    timeline: `UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> LOGIN_ERROR/INVALID_CREDENTIALS (item/error), 0 accounts; with password "${SANDBOX_GOOD_PASSWORD}" (PATCH parameters) it runs like user-ok`,
    run: (x) =>
      x.after(LOGIN_DURATION_MS, () =>
        x.credentials['password'] === SANDBOX_GOOD_PASSWORD ? collect(x) : x.fail('LOGIN_ERROR', 'INVALID_CREDENTIALS'),
      ),
  },
  'user-mfa': {
    openFinance: false,
    timeline: `UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> WAITING_USER_INPUT (item/waiting_user_input, parameter token, expiresAt +${MFA_INPUT_TTL_MS}ms); MFA "${SANDBOX_MFA_CODE}" -> UPDATING/LOGIN_MFA_IN_PROGRESS -${MFA_CHECK_DURATION_MS}ms-> UPDATING/ACCOUNTS_IN_PROGRESS (item/login_succeeded) -${COLLECT_DURATION_MS}ms-> UPDATED/SUCCESS (item/created); another code -> LOGIN_MFA_IN_PROGRESS -${MFA_CHECK_DURATION_MS}ms-> LOGIN_ERROR/INVALID_CREDENTIALS_MFA (item/error)`,
    run: mfaUser(MFA_INPUT_TTL_MS),
  },
  'user-mfa-timeout': {
    openFinance: false,
    timeline: `UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> WAITING_USER_INPUT (item/waiting_user_input, expiresAt +${MFA_TIMEOUT_INPUT_TTL_MS}ms) -no answer-> OUTDATED/USER_INPUT_TIMEOUT (item/error code USER_INPUT_TIMEOUT); MFA afterwards -> 400 ITEM_MFA_EXPIRED (an answer in time behaves like user-mfa)`,
    run: mfaUser(MFA_TIMEOUT_INPUT_TTL_MS),
  },
  'user-unavailable': {
    openFinance: false,
    timeline: `UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> OUTDATED/SITE_NOT_AVAILABLE (item/error, nextAutoSyncAt +${AUTO_SYNC_HEAL_DELAY_MS}ms) -${AUTO_SYNC_HEAL_DELAY_MS}ms-> auto-sync: UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> UPDATING/ACCOUNTS_IN_PROGRESS (item/login_succeeded, SYNC) -${COLLECT_DURATION_MS}ms-> UPDATED/SUCCESS (item/updated, triggeredBy SYNC); any later execution succeeds`,
    run: (x) =>
      x.after(LOGIN_DURATION_MS, () => {
        if (x.number > 1) {
          collect(x);
          return;
        }
        x.fail('OUTDATED', 'SITE_NOT_AVAILABLE', { autoSyncAfterMs: AUTO_SYNC_HEAL_DELAY_MS });
      }),
  },
  'user-open-finance': {
    openFinance: true,
    timeline: `UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> WAITING_USER_ACTION (item/waiting_user_action, userAction authorize-access, expiresAt +${OPEN_FINANCE_USER_ACTION_TTL_MS}ms) -${OPEN_FINANCE_AUTHORIZE_DELAY_MS}ms, user authorizes-> UPDATING/ACCOUNTS_IN_PROGRESS (item/login_succeeded) -${COLLECT_DURATION_MS}ms-> UPDATED/PARTIAL_SUCCESS, statusDetail.accounts {isUpdated:false, lastUpdatedAt:null, warnings:[001]} (item/created); GET /accounts: 0 accounts, then 2 accounts ${OPEN_FINANCE_ACCOUNTS_DELAY_MS}ms later with no new execution. Later executions skip the authorization and end SUCCESS once the accounts arrived (PARTIAL_SUCCESS before)`,
    run: (x) => {
      const collectOpenFinance = (): void => {
        x.loginSucceeded();
        x.after(COLLECT_DURATION_MS, () => {
          if (x.hasAccounts) {
            x.succeed();
            return;
          }
          x.succeedPartially(openFinanceDetail);
          x.accountsArriveAfter(OPEN_FINANCE_ACCOUNTS_DELAY_MS);
        });
      };
      if (x.number > 1) {
        x.after(LOGIN_DURATION_MS, collectOpenFinance);
        return;
      }
      x.after(LOGIN_DURATION_MS, () =>
        x.waitForAction({
          ttlMs: OPEN_FINANCE_USER_ACTION_TTL_MS,
          authorizedAfterMs: OPEN_FINANCE_AUTHORIZE_DELAY_MS,
          onAuthorized: collectOpenFinance,
        }),
      );
    },
  },
  'user-locked': {
    openFinance: false,
    timeline: `UPDATING/LOGIN_IN_PROGRESS -${LOGIN_DURATION_MS}ms-> LOGIN_ERROR/ACCOUNT_LOCKED (item/error), every execution`,
    run: (x) => x.after(LOGIN_DURATION_MS, () => x.fail('LOGIN_ERROR', 'ACCOUNT_LOCKED')),
  },
};
