/**
 * The sandbox's script durations and fixed values. Durations are milliseconds of the sandbox's
 * clock, multiplied by `SandboxOptions.timeScale` (1 by default: tests move a simulated clock
 * instead; a real-time demo may shorten them).
 */

/** UPDATING/LOGIN_IN_PROGRESS lasts this long before the login outcome (success, error, MFA, user action). */
export const LOGIN_DURATION_MS = 1_000;
/** ACCOUNTS_IN_PROGRESS (product collection) lasts this long before UPDATED. */
export const COLLECT_DURATION_MS = 1_000;
/** UPDATING/LOGIN_MFA_IN_PROGRESS lasts this long after an MFA answer before it is judged. */
export const MFA_CHECK_DURATION_MS = 500;
/** `parameter.expiresAt` of `user-mfa`: the MFA answer is due within this time. */
export const MFA_INPUT_TTL_MS = 60_000;
/** `parameter.expiresAt` of `user-mfa-timeout`: short, so the timeout is the scenario. */
export const MFA_TIMEOUT_INPUT_TTL_MS = 5_000;
/** `user-unavailable`: OUTDATED/SITE_NOT_AVAILABLE until Pluggy's auto-sync runs this long later. */
export const AUTO_SYNC_HEAL_DELAY_MS = 20_000;
/** `user-open-finance`: the (simulated) user authorizes at the bank this long after WAITING_USER_ACTION. */
export const OPEN_FINANCE_AUTHORIZE_DELAY_MS = 3_000;
/** `user-open-finance`: `userAction.expiresAt` (never reached: the simulated user authorizes first). */
export const OPEN_FINANCE_USER_ACTION_TTL_MS = 600_000;
/** `user-open-finance`: accounts show up in `GET /accounts` this long after PARTIAL_SUCCESS, with no new execution. */
export const OPEN_FINANCE_ACCOUNTS_DELAY_MS = 15_000;

/**
 * Webhook attempts, as the wait before each attempt after the previous one failed: 3 immediate
 * attempts, 3 more after 1 h, 3 more after 2 h more (third-party summaries of Pluggy's docs).
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [0, 0, 0, 3_600_000, 0, 0, 7_200_000, 0, 0];
/** Statuses Pluggy never retries (its webhook-security page: "Reject ... with 401. It is not retried"). */
export const WEBHOOK_NON_RETRIED_STATUSES: readonly number[] = [401];
/** A duplicate is re-sent about this long after the original was acknowledged (±50 %). */
export const WEBHOOK_DUPLICATE_DELAY_MS = 500;
/** With `reorder`, a delivery is held back with this probability... */
export const WEBHOOK_REORDER_PROBABILITY = 0.5;
/** ...for about this long (±50 %): longer than the gap between two steps, so later events overtake it. */
export const WEBHOOK_REORDER_HOLD_MS = 4_000;
/** A webhook attempt that has not answered within this many real (unscaled) ms fails (Pluggy: 10 s). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** API keys expire after 2 h, like Pluggy's (real seconds, not scaled). */
export const API_KEY_TTL_SECONDS = 7_200;
/** `Retry-After` on every 429: Pluggy always sends 60. */
export const RETRY_AFTER_SECONDS = 60;
/** `RateLimit-Limit` sent with a forced 429 storm (Pluggy's per-minute limit of most GET endpoints). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 360;

/** Connector ids: a direct (screen-scraping) connector and an Open Finance one. */
export const DIRECT_CONNECTOR_ID = 201;
export const OPEN_FINANCE_CONNECTOR_ID = 601;

/** The MFA code `user-mfa` and `user-mfa-timeout` accept. */
export const SANDBOX_MFA_CODE = '123456';
/** The password that lets `user-bad-password` log in (send it with PATCH). */
export const SANDBOX_GOOD_PASSWORD = 'password-ok';

/** Bodies the sandbox answers with, shaped like Pluggy's. */
export const RATE_LIMITED_MESSAGE = 'Too many requests. Please try again later (see Retry-After header in seconds)';
