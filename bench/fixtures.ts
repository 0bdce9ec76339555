/**
 * Inputs the benchmarks feed: every vocabulary pair for `decide()`, and a connection's life as
 * item JSON (what a host receives) or as parsed machine events (what `transition()` consumes).
 */
import { randomUUID } from 'node:crypto';
import type { DecisionInput } from '../src/decision/decide';
import type { ConnectionEvent } from '../src/machine/events';
import { parseItem } from '../src/vocabulary/item';
import { EXECUTION_STATUSES, ITEM_STATUSES } from '../src/vocabulary/statuses';
import { parseWebhook } from '../src/vocabulary/webhook';

export const T0 = Date.parse('2026-11-30T12:00:00.000Z');
const MINUTE = 60_000;

/** An item as `GET /items/{id}` returns it: what it carries depends on its statuses, as at Pluggy. */
export function itemJson(id: string, status: string, executionStatus: string, updatedAtMs: number, isOpenFinance = false) {
  const waitingInput = status === 'WAITING_USER_INPUT' || executionStatus === 'WAITING_USER_INPUT';
  const waitingAction = status === 'WAITING_USER_ACTION' || executionStatus === 'WAITING_USER_ACTION';
  const expiresAt = new Date(updatedAtMs + 3 * MINUTE).toISOString();
  return {
    id,
    connector: { id: 201, name: 'Banco Exemplo', isOpenFinance },
    status,
    executionStatus,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(updatedAtMs).toISOString(),
    lastUpdatedAt: executionStatus.endsWith('SUCCESS') ? new Date(updatedAtMs).toISOString() : null,
    parameter: waitingInput ? { name: 'token', label: 'Token', type: 'number', expiresAt } : null,
    userAction: waitingAction ? { type: 'qr', instructions: 'Scan the QR code', expiresAt } : null,
    error: null,
    statusDetail:
      executionStatus === 'PARTIAL_SUCCESS'
        ? {
            accounts: { isUpdated: true, lastUpdatedAt: new Date(updatedAtMs).toISOString() },
            transactions: { isUpdated: false, lastUpdatedAt: new Date(T0 - 86_400_000).toISOString() },
            creditCards: null,
          }
        : null,
  };
}

/**
 * Every (status, executionStatus) pair of the vocabulary, on Open Finance and not, plus the
 * deletion signal: parsed as a host would before deciding.
 */
export function vocabularyInputs(): DecisionInput[] {
  const inputs: DecisionInput[] = [{ deleted: true }, { deleted: true, isOpenFinance: true }];
  for (const isOpenFinance of [false, true]) {
    for (const status of ITEM_STATUSES) {
      for (const executionStatus of EXECUTION_STATUSES) {
        inputs.push(parseItem(itemJson('item-1', status, executionStatus, T0, isOpenFinance)));
      }
    }
  }
  return inputs;
}

/** One step of a connection's life, as the host receives it. */
export type Step =
  | { readonly kind: 'snapshot'; readonly status: string; readonly executionStatus: string; readonly repeat?: boolean }
  | { readonly kind: 'webhook'; readonly event: string }
  | { readonly kind: 'reconnect' }
  | { readonly kind: 'syncDone'; readonly accounts: number };

/**
 * A lifecycle that visits every top-level state and the cheap paths too (a duplicate snapshot, a
 * repeated failure that prompts nobody): login, MFA, collection, sync, a credential failure, a
 * reconnection. It ends where it starts, so it can be repeated.
 */
export const LIFECYCLE: readonly Step[] = [
  { kind: 'webhook', event: 'item/updated' },
  { kind: 'snapshot', status: 'UPDATING', executionStatus: 'LOGIN_IN_PROGRESS' },
  { kind: 'snapshot', status: 'WAITING_USER_INPUT', executionStatus: 'WAITING_USER_INPUT' },
  { kind: 'snapshot', status: 'UPDATING', executionStatus: 'LOGIN_MFA_IN_PROGRESS' },
  { kind: 'snapshot', status: 'UPDATING', executionStatus: 'ACCOUNTS_IN_PROGRESS' },
  { kind: 'snapshot', status: 'UPDATED', executionStatus: 'SUCCESS' },
  { kind: 'snapshot', status: 'UPDATED', executionStatus: 'SUCCESS', repeat: true },
  { kind: 'syncDone', accounts: 2 },
  { kind: 'webhook', event: 'item/error' },
  { kind: 'snapshot', status: 'LOGIN_ERROR', executionStatus: 'INVALID_CREDENTIALS' },
  { kind: 'snapshot', status: 'LOGIN_ERROR', executionStatus: 'INVALID_CREDENTIALS' },
  { kind: 'reconnect' },
];

/** The host's input for `count` steps of `LIFECYCLE`, 10 s apart, as raw JSON commands. */
export function lifecycleCommands(itemId: string, count: number, start = T0) {
  const commands: Array<{ type: string; [key: string]: unknown }> = [];
  let updatedAt = start;
  for (let i = 0; i < count; i++) {
    const step = LIFECYCLE[i % LIFECYCLE.length]!;
    const at = start + i * 10_000;
    switch (step.kind) {
      case 'snapshot':
        if (!step.repeat) updatedAt = at;
        commands.push({ type: 'SNAPSHOT', item: itemJson(itemId, step.status, step.executionStatus, updatedAt), at });
        break;
      case 'webhook':
        commands.push({ type: 'WEBHOOK', payload: { event: step.event, eventId: randomUUID(), itemId, triggeredBy: 'SYNC' }, at });
        break;
      case 'reconnect':
        commands.push({ type: 'RECONNECT', at });
        break;
      case 'syncDone':
        commands.push({ type: 'SYNC_DONE', accounts: step.accounts, at });
        break;
    }
  }
  return commands;
}

/** The same life as parsed machine events, stamped with their arrival time (what `transition()` reads). */
export function lifecycleEvents(itemId: string, count: number, start = T0): ConnectionEvent[] {
  return lifecycleCommands(itemId, count, start).map((command): ConnectionEvent => {
    const at = command.at as number;
    switch (command.type) {
      case 'SNAPSHOT':
        return { type: 'SNAPSHOT', item: parseItem(command.item), at };
      case 'WEBHOOK':
        return { type: 'WEBHOOK', payload: parseWebhook(command.payload), at };
      case 'RECONNECT':
        return { type: 'RECONNECT', at };
      default:
        return { type: 'SYNC_DONE', accounts: command.accounts as number, at };
    }
  });
}

/** A command a host sends, with when it arrived (epoch ms). */
export interface Timed {
  readonly at: number;
  readonly command: { readonly type: string; readonly [key: string]: unknown };
}

/**
 * What a connection has seen by the time it is in each representative state: the sizes of its
 * persisted snapshot are measured there. Webhook eventIds are UUIDs, as Pluggy's are.
 */
export const STATE_RECIPES: Readonly<Record<string, (itemId: string) => Timed[]>> = (() => {
  const snapshot = (itemId: string, at: number, status: string, executionStatus: string, isOpenFinance = false): Timed => ({
    at,
    command: { type: 'SNAPSHOT', item: itemJson(itemId, status, executionStatus, at, isOpenFinance) },
  });
  const webhooks = (itemId: string, at: number, count: number, event = 'item/updated'): Timed[] =>
    Array.from({ length: count }, (_, i) => ({ at: at + i, command: { type: 'WEBHOOK', payload: { event, eventId: randomUUID(), itemId } } }));
  const t = (seconds: number) => T0 + seconds * 1_000;
  return {
    'unknown.unobserved': () => [],
    'pending.waiting': (id) => [...webhooks(id, t(1), 1), snapshot(id, t(2), 'UPDATING', 'LOGIN_IN_PROGRESS')],
    'awaitingUser.input': (id) => [...webhooks(id, t(1), 1), snapshot(id, t(2), 'WAITING_USER_INPUT', 'WAITING_USER_INPUT')],
    'syncable.synced': (id) => [...webhooks(id, t(1), 2), snapshot(id, t(3), 'UPDATED', 'SUCCESS'), { at: t(4), command: { type: 'SYNC_DONE', accounts: 3 } }],
    'syncable.accountsPending': (id) => [
      ...webhooks(id, t(1), 2),
      snapshot(id, t(3), 'UPDATED', 'PARTIAL_SUCCESS', true),
      { at: t(4), command: { type: 'SYNC_DONE', accounts: 0 } },
    ],
    'blocked.updateCredentials': (id) => [...webhooks(id, t(1), 1), snapshot(id, t(2), 'LOGIN_ERROR', 'INVALID_CREDENTIALS')],
    deleted: (id) => [snapshot(id, t(1), 'UPDATED', 'SUCCESS'), ...webhooks(id, t(2), 1, 'item/deleted')],
    'pending.waiting, 16 webhooks remembered': (id) => [snapshot(id, t(1), 'UPDATING', 'LOGIN_IN_PROGRESS'), ...webhooks(id, t(2), 16)],
  };
})();
