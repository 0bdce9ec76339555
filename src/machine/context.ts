/** What a connection remembers between events. Kept small and JSON-only: it is persisted as is. */
import type { RuleId } from '../decision/rules';
import type { TimingPolicy } from './timing';

/** Poll: the connection asks for fetches with backoff. Push: webhooks drive it; it only reconciles now and then. */
export type DriveMode = 'poll' | 'push';

/** The connection's timers; each name is also the name of a delay in the machine. */
export const TIMERS = ['nextCheck', 'stallBudget', 'userDeadline', 'syncRetry'] as const;
export type TimerName = (typeof TIMERS)[number];

/** The part of the last accepted snapshot that later decisions need. */
export interface SnapshotFacts {
  readonly status: string;
  readonly executionStatus: string;
  /** `updatedAt` in epoch ms: the ordering token of snapshots. */
  readonly updatedAt: number;
}

export interface ConnectionContext {
  readonly itemId: string;
  readonly mode: DriveMode;
  readonly isOpenFinance: boolean;
  /** Overrides of `DEFAULT_TIMING` (empty for the defaults). */
  readonly timing: Partial<TimingPolicy>;
  /** The latest time the connection has evidence of (epoch ms): event stamps, `updatedAt`s, fired timers. */
  readonly clock: number;
  readonly last: SnapshotFacts | null;
  /** The rule of the last decision taken. */
  readonly rule: RuleId | null;
  /** While awaiting the user: what was asked (parameter or action, and deadline), to tell a repeat from a new request. */
  readonly request: string | null;
  /** Digests of the recent webhook `eventId`s (see `eventDigest`), newest last. */
  readonly eventDigests: readonly string[];
  /** Polls in the current wait, or re-reads of the current sync. */
  readonly attempt: number;
  /**
   * Absolute due time (epoch ms) each timer was last armed for; the timers of the active states are
   * the armed ones. This is what lets a restored connection re-arm them.
   */
  readonly due: Readonly<Partial<Record<TimerName, number>>>;
  /** Left `blocked` on new evidence rather than a `RECONNECT`: a later sync means it healed by itself. */
  readonly healing: boolean;
}

/** Input of the connection machine. */
export interface ConnectionInput {
  readonly itemId: string;
  readonly mode?: DriveMode;
  readonly isOpenFinance?: boolean;
  readonly timing?: Partial<TimingPolicy>;
  /** Start time (epoch ms); defaults to 0, then moves with the events' `at`. */
  readonly now?: number;
}

/** How many webhook `eventId`s a connection remembers (as digests) for deduplication. */
export const REMEMBERED_EVENT_IDS = 16;

export function initialContext(input: ConnectionInput | undefined): ConnectionContext {
  // Tolerates a missing input: XState builds a throwaway initial snapshot on every pure `transition()`.
  return {
    itemId: input?.itemId ?? '',
    mode: input?.mode ?? 'poll',
    isOpenFinance: input?.isOpenFinance ?? false,
    timing: input?.timing ?? {},
    clock: input?.now ?? 0,
    last: null,
    rule: null,
    request: null,
    eventDigests: [],
    attempt: 0,
    due: {},
    healing: false,
  };
}
