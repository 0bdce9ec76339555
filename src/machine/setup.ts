/**
 * The named guards, actions and delays of the connection statechart. The chart itself is
 * configuration in `machines/connection.machine.ts`; what each name does lives here.
 */
import { assign, emit, enqueueActions, setup } from 'xstate';
import { decide, type Decision } from '../decision/decide';
import type { Awaiting, Phase, Remedy } from '../decision/rules';
import { unknownValues, type ItemSnapshot } from '../vocabulary/item';
import { isItemWebhookEvent } from '../vocabulary/webhook';
import {
  REMEMBERED_EVENT_IDS,
  initialContext,
  type ConnectionContext,
  type ConnectionInput,
  type TimerName,
} from './context';
import { eventDigest } from './digest';
import type { Effect, EffectType } from './effects';
import type { ConnectionEvent } from './events';
import { backoff, timingOf } from './timing';

type Args = { context: ConnectionContext; event: ConnectionEvent };

// Guards on one SNAPSHOT are evaluated in turn; the decision is computed once per event. One
// slot is enough (the guards and actions of an event run back to back), and it is cheaper than a
// WeakMap entry per snapshot, which the collector must also trace.
let cached: { readonly item: ItemSnapshot; readonly isOpenFinance: boolean; readonly decision: Decision } | undefined;
function decisionOf(item: ItemSnapshot, context: ConnectionContext): Decision {
  const isOpenFinance = item.connector?.isOpenFinance ?? context.isOpenFinance;
  if (cached?.item === item && cached.isOpenFinance === isOpenFinance) return cached.decision;
  // Only the fields decide() reads: spreading the whole parsed item cost more than deciding.
  const decision = decide({
    status: item.status,
    executionStatus: item.executionStatus,
    isOpenFinance,
    parameter: item.parameter,
    userAction: item.userAction,
    statusDetail: item.statusDetail,
  });
  cached = { item, isOpenFinance, decision };
  return decision;
}

function snapshotOf(event: ConnectionEvent): ItemSnapshot | undefined {
  return event.type === 'SNAPSHOT' ? event.item : undefined;
}

/**
 * The host's time when the event arrived: its `at` stamp (set by the runtime's clock). A snapshot
 * sent without a stamp proves at least its `updatedAt`. Time never goes backwards.
 */
function timeOf({ context, event }: Args): number {
  const stamp = event.at ?? snapshotOf(event)?.updatedAt.getTime() ?? 0;
  return Math.max(context.clock, stamp);
}

const iso = (ms: number) => new Date(ms).toISOString();

function remaining(context: ConnectionContext, timer: TimerName): number {
  return Math.max(0, (context.due[timer] ?? context.clock) - context.clock);
}

function reconnectReason({ context, event }: Args): string {
  const item = snapshotOf(event);
  if (item) return decisionOf(item, context).reason;
  const deadline = context.due.userDeadline ?? context.clock;
  return `R1: the user did not answer before ${iso(deadline)}; treated as USER_INPUT_TIMEOUT without waiting for Pluggy`;
}

/** The decision of the snapshot being handled: it carries what to ask the user and until when. */
function requestDecision({ context, event }: Args): Decision | undefined {
  const item = snapshotOf(event);
  return item ? decisionOf(item, context) : undefined;
}

/** What was asked of the user, as a short fingerprint: the parameter or action and its deadline. */
function requestOf(item: ItemSnapshot, decision: Decision): string | null {
  if (decision.awaiting === 'input') return `input:${item.parameter?.name ?? ''}@${item.parameter?.expiresAt?.getTime() ?? ''}`;
  if (decision.awaiting === 'action') return `action:${item.userAction?.type ?? ''}@${item.userAction?.expiresAt?.getTime() ?? ''}`;
  return null;
}

export const connectionSetup = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as Effect,
  },
  guards: {
    'snapshot is stale, a duplicate or another item\'s': ({ context, event }) => {
      const item = snapshotOf(event);
      if (!item) return false;
      if (context.itemId !== '' && item.id !== context.itemId) return true;
      return context.last !== null && item.updatedAt.getTime() <= context.last.updatedAt;
    },
    'snapshot decides': ({ context, event }, params: { phase: Phase; remedy?: Remedy; awaiting?: Awaiting }) => {
      const item = snapshotOf(event);
      if (!item) return false;
      const decision = decisionOf(item, context);
      return (
        decision.phase === params.phase &&
        (params.remedy === undefined || decision.remedy === params.remedy) &&
        (params.awaiting === undefined || decision.awaiting === params.awaiting)
      );
    },
    'snapshot repeats the last rule': ({ context, event }) => {
      const item = snapshotOf(event);
      return item !== undefined && decisionOf(item, context).rule === context.rule;
    },
    'snapshot repeats the unknown combination': ({ context, event }) => {
      const item = snapshotOf(event);
      return (
        item !== undefined &&
        decisionOf(item, context).phase === 'unknown' &&
        item.status === context.last?.status &&
        item.executionStatus === context.last?.executionStatus
      );
    },
    'snapshot asks the same of the user': ({ context, event }) => {
      const item = snapshotOf(event);
      return item !== undefined && context.request !== null && requestOf(item, decisionOf(item, context)) === context.request;
    },
    'webhook was already seen': ({ context, event }) =>
      event.type === 'WEBHOOK' && context.eventDigests.includes(eventDigest(event.payload.eventId)),
    'webhook is about another item': ({ context, event }) =>
      event.type === 'WEBHOOK' && event.payload.itemId !== undefined && event.payload.itemId !== context.itemId,
    'webhook reports the deletion': ({ event }) => event.type === 'WEBHOOK' && event.payload.event === 'item/deleted',
    'webhook is about the item\'s lifecycle': ({ event }) =>
      event.type === 'WEBHOOK' && isItemWebhookEvent(event.payload.event),
    'fetch found no item': ({ event }) =>
      event.type === 'FETCH_FAILED' && (event.error.status === 404 || event.error.code === 'ITEM_NOT_FOUND'),
    'sync found no accounts on a partial Open Finance item': ({ context, event }) =>
      event.type === 'SYNC_DONE' && event.accounts === 0 && context.isOpenFinance && context.rule === 'R16',
    'retries remain': ({ context }) => context.attempt < timingOf(context.timing).syncRetryMaxAttempts,
  },
  actions: {
    'record snapshot': assign(({ context, event }) => {
      const item = snapshotOf(event);
      if (!item) return {};
      const decision = decisionOf(item, context);
      return {
        clock: timeOf({ context, event }),
        last: { status: item.status, executionStatus: item.executionStatus, updatedAt: item.updatedAt.getTime() },
        rule: decision.rule,
        request: requestOf(item, decision),
        isOpenFinance: item.connector?.isOpenFinance ?? context.isOpenFinance,
      };
    }),
    'note the time': assign(({ context, event }) => ({ clock: timeOf({ context, event }) })),
    // A fired timer moves the clock to its due time and is forgotten (it is no longer armed).
    'reach due time': assign(({ context }, params: { timer: TimerName }) => {
      const { [params.timer]: due, ...rest } = context.due;
      return { clock: Math.max(context.clock, due ?? context.clock), due: rest };
    }),
    'report anomalies': enqueueActions(({ context, event, enqueue }) => {
      const item = snapshotOf(event);
      if (!item) return;
      const decision = decisionOf(item, context);
      const unknown = unknownValues(item).map((warning) => warning.message);
      if (decision.phase !== 'unknown' && unknown.length === 0) return;
      const reason = [decision.phase === 'unknown' ? decision.reason : undefined, ...unknown].filter(Boolean).join('; ');
      enqueue.emit({ type: 'anomaly', itemId: context.itemId, reason });
    }),
    'emit reconnect required': emit((args: Args, params: { remedy: Remedy }) => ({
      type: 'reconnectRequired' as const,
      itemId: args.context.itemId,
      remedy: params.remedy,
      reason: reconnectReason(args),
    })),
    'emit user input required': emit(({ context, event }: Args) => {
      const decision = requestDecision({ context, event });
      return { type: 'userInputRequired' as const, itemId: context.itemId, parameter: decision?.parameter ?? null, expiresAt: decision?.expiresAt ?? null };
    }),
    'emit user action required': emit(({ context, event }: Args) => {
      const decision = requestDecision({ context, event });
      return { type: 'userActionRequired' as const, itemId: context.itemId, userAction: decision?.userAction ?? null, expiresAt: decision?.expiresAt ?? null };
    }),
    'emit fetch': emit(({ context }: Args, params: { reason: 'poll' | 'webhook' | 'reconcile' }) => ({
      type: 'fetch' as const,
      itemId: context.itemId,
      reason: params.reason === 'poll' && context.mode === 'push' ? 'reconcile' : params.reason,
    })),
    'emit stalled': emit(({ context }: Args) => {
      const waitedMs = timingOf(context.timing).stallAfterMs;
      return { type: 'stalled' as const, itemId: context.itemId, since: iso(context.clock - waitedMs), waitedMs };
    }),
    'emit sync': emit(({ context, event }: Args) => {
      const item = snapshotOf(event);
      const decision = item ? decisionOf(item, context) : context.last ? decide(context.last) : undefined;
      return {
        type: 'sync' as const,
        itemId: context.itemId,
        attempt: context.attempt,
        ...(decision?.warning ? { warning: decision.warning } : {}),
        ...(decision?.products ? { products: decision.products } : {}),
      };
    }),
    'emit schedule retry': emit(({ context }: Args, params: { reason: 'zeroAccounts' | 'syncFailed' }) => ({
      type: 'scheduleRetry' as const,
      itemId: context.itemId,
      attempt: context.attempt,
      dueAt: iso(context.due.syncRetry ?? context.clock),
      reason: params.reason,
    })),
    'emit deleted': emit(({ context, event }: Args) => ({
      type: 'deleted' as const,
      itemId: context.itemId,
      reason: event.type === 'FETCH_FAILED' ? 'R0: fetching the item answered 404' : 'R0: Pluggy sent item/deleted',
    })),
    'emit anomaly': emit(({ context }: Args, params: { reason: string }) => ({
      type: 'anomaly' as const,
      itemId: context.itemId,
      reason: params.reason,
    })),
    'emit recovered when healing': enqueueActions(({ context, enqueue }) => {
      if (!context.healing) return;
      enqueue.emit({ type: 'recovered', itemId: context.itemId, reason: `healed without a reconnection (${context.last?.status ?? '?'} + ${context.last?.executionStatus ?? '?'})` });
      enqueue.assign({ healing: false });
    }),
    'remember webhook': assign(({ context, event }) => {
      if (event.type !== 'WEBHOOK') return {};
      const eventDigests = [...context.eventDigests, eventDigest(event.payload.eventId)].slice(-REMEMBERED_EVENT_IDS);
      return { eventDigests, clock: timeOf({ context, event }) };
    }),
    // A state's entry is one assign where it can be: every assign clones the whole snapshot.
    'reset attempts': assign({ attempt: 0 }),
    'count the check that fell due': assign(({ context }) => {
      const { nextCheck: due, ...rest } = context.due;
      return { clock: Math.max(context.clock, due ?? context.clock), due: rest, attempt: context.attempt + 1 };
    }),
    'schedule next check': assign(({ context, event }, params: { cadence: 'backoff' | 'reconcile' }) => {
      const timing = timingOf(context.timing);
      const now = timeOf({ context, event });
      const delay =
        params.cadence === 'backoff' && context.mode === 'poll'
          ? backoff(context.attempt, timing.pollInitialMs, timing.pollFactor, timing.pollMaxMs)
          : timing.reconcileEveryMs;
      return { clock: now, due: { ...context.due, nextCheck: now + delay } };
    }),
    'start the stall budget': assign(({ context, event }) => {
      const now = timeOf({ context, event });
      return { clock: now, attempt: 0, due: { ...context.due, stallBudget: now + timingOf(context.timing).stallAfterMs } };
    }),
    'start the user deadline': assign(({ context, event }) => {
      const now = timeOf({ context, event });
      const item = snapshotOf(event);
      const expiresAt = item?.parameter?.expiresAt ?? item?.userAction?.expiresAt;
      const deadline = expiresAt ? expiresAt.getTime() : now + timingOf(context.timing).stallAfterMs;
      return { clock: now, attempt: 0, due: { ...context.due, userDeadline: deadline } };
    }),
    'count and schedule a sync retry': assign(({ context, event }) => {
      const timing = timingOf(context.timing);
      const now = timeOf({ context, event });
      const delay = backoff(context.attempt, timing.syncRetryInitialMs, timing.syncRetryFactor, timing.syncRetryMaxMs);
      return { clock: now, attempt: context.attempt + 1, due: { ...context.due, syncRetry: now + delay } };
    }),
    'clear timers': assign({ due: {} }),
    'time out the user': assign({ rule: 'R1' as const }),
    'note healing when left on evidence': assign(({ event }) => ({ healing: event.type === 'SNAPSHOT' })),
    'note the reconnection': assign(({ context, event }) => ({ clock: timeOf({ context, event }), healing: false })),
  },
  delays: {
    nextCheck: ({ context }) => remaining(context, 'nextCheck'),
    stallBudget: ({ context }) => remaining(context, 'stallBudget'),
    userDeadline: ({ context }) => remaining(context, 'userDeadline'),
    syncRetry: ({ context }) => remaining(context, 'syncRetry'),
  },
});

export { initialContext };

/**
 * The effects each named action may emit, and when only some of the time: the generated spec
 * prints them next to each transition, and the property tests check that nothing else is emitted.
 */
export const ACTION_EFFECTS: Readonly<Record<string, { readonly effects: readonly EffectType[]; readonly onlyWhen?: string }>> = {
  'report anomalies': { effects: ['anomaly'], onlyWhen: 'a value is outside the vocabulary or no rule covers the snapshot' },
  'emit reconnect required': { effects: ['reconnectRequired'] },
  'emit user input required': { effects: ['userInputRequired'] },
  'emit user action required': { effects: ['userActionRequired'] },
  'emit fetch': { effects: ['fetch'] },
  'emit stalled': { effects: ['stalled'] },
  'emit sync': { effects: ['sync'] },
  'emit schedule retry': { effects: ['scheduleRetry'] },
  'emit deleted': { effects: ['deleted'] },
  'emit anomaly': { effects: ['anomaly'] },
  'emit recovered when healing': { effects: ['recovered'], onlyWhen: 'the connection left blocked on new evidence, not RECONNECT' },
};
