/**
 * Effects a connection emits: what the host must do now. Every effect carries `itemId`;
 * dates are ISO 8601 strings so effects can be logged, queued and replayed as JSON.
 */
import type { ProductReport } from '../decision/decide';
import type { Remedy, Warning } from '../decision/rules';
import type { MfaParameter, Product, UserAction } from '../vocabulary/item';

export type Effect =
  /** Read the item's data now (accounts, transactions...). Never re-runs Pluggy's execution. */
  | {
      readonly type: 'sync';
      readonly itemId: string;
      /** 0 for the first read of this execution's data, then 1, 2... for re-reads. */
      readonly attempt: number;
      readonly warning?: Warning;
      readonly products?: Readonly<Partial<Record<Product, ProductReport>>>;
    }
  /** A re-read is scheduled at `dueAt` (the connection emits `sync` then). */
  | {
      readonly type: 'scheduleRetry';
      readonly itemId: string;
      readonly attempt: number;
      readonly dueAt: string;
      readonly reason: 'zeroAccounts' | 'syncFailed';
    }
  /** Ask the user (or the host's operators) to drive this kind of reconnection. */
  | { readonly type: 'reconnectRequired'; readonly itemId: string; readonly remedy: Remedy; readonly reason: string }
  /** Ask the user for this MFA input before `expiresAt`; send it with `POST /items/{id}/mfa`. */
  | { readonly type: 'userInputRequired'; readonly itemId: string; readonly parameter: MfaParameter | null; readonly expiresAt: string | null }
  /** Ask the user to act outside the app (QR code, authorize in the bank app) before `expiresAt`. */
  | { readonly type: 'userActionRequired'; readonly itemId: string; readonly userAction: UserAction | null; readonly expiresAt: string | null }
  /** Fetch the item (`GET /items/{id}`) and send the answer as a snapshot. */
  | { readonly type: 'fetch'; readonly itemId: string; readonly reason: 'poll' | 'webhook' | 'reconcile' }
  /** The connection has been waiting longer than the budget. */
  | { readonly type: 'stalled'; readonly itemId: string; readonly since: string; readonly waitedMs: number }
  /** A blocked connection healed without a reconnection from the host (e.g. Pluggy's auto-sync succeeded). */
  | { readonly type: 'recovered'; readonly itemId: string; readonly reason: string }
  /** The item is gone; stop tracking it. */
  | { readonly type: 'deleted'; readonly itemId: string; readonly reason: string }
  /** Something no rule expected: an unknown value, a contradiction, a retry budget spent. */
  | { readonly type: 'anomaly'; readonly itemId: string; readonly reason: string };

export type EffectType = Effect['type'];
export type EffectOf<T extends EffectType> = Extract<Effect, { type: T }>;

export const EFFECT_TYPES = [
  'sync',
  'scheduleRetry',
  'reconnectRequired',
  'userInputRequired',
  'userActionRequired',
  'fetch',
  'stalled',
  'recovered',
  'deleted',
  'anomaly',
] as const satisfies readonly EffectType[];
