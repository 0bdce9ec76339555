/**
 * When a connection checks again, gives up waiting, and retries a sync.
 * Defaults follow Pluggy's guidance: poll from ~2 s with backoff while an execution runs, and
 * allow at least 10 minutes since some logins take 5; webhooks make polling unnecessary.
 */
export interface TimingPolicy {
  /** Poll mode: delay before the first re-fetch of a waiting connection. */
  readonly pollInitialMs: number;
  /** Poll mode: each further re-fetch waits this factor longer... */
  readonly pollFactor: number;
  /** ...up to this delay. */
  readonly pollMaxMs: number;
  /** Push mode, and any stalled connection: the reconciliation fetch interval. */
  readonly reconcileEveryMs: number;
  /** How long `pending` may last before the connection is reported `stalled`; and the answer deadline in `awaitingUser` when Pluggy gives none. */
  readonly stallAfterMs: number;
  /** Delay before the first re-read after a sync found no accounts or failed. */
  readonly syncRetryInitialMs: number;
  readonly syncRetryFactor: number;
  readonly syncRetryMaxMs: number;
  /** Re-reads after which the connection stops retrying a sync. */
  readonly syncRetryMaxAttempts: number;
}

export const DEFAULT_TIMING: TimingPolicy = {
  pollInitialMs: 2_000,
  pollFactor: 1.5,
  pollMaxMs: 30_000,
  reconcileEveryMs: 5 * 60_000,
  stallAfterMs: 10 * 60_000,
  syncRetryInitialMs: 60_000,
  syncRetryFactor: 2,
  syncRetryMaxMs: 30 * 60_000,
  syncRetryMaxAttempts: 5,
};

/** The policy in force: the defaults with the connection's overrides. */
export function timingOf(overrides: Partial<TimingPolicy>): TimingPolicy {
  return { ...DEFAULT_TIMING, ...overrides };
}

/** `initial * factor^attempt`, capped; attempt 0 is the first wait. */
export function backoff(attempt: number, initial: number, factor: number, max: number): number {
  return Math.round(Math.min(max, initial * factor ** Math.max(0, attempt)));
}
