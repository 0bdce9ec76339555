/**
 * The lifecycle of one Pluggy connection (an Item), as a statechart.
 *
 * Snapshots decide (through `decide()` and the rules R0–R17); webhooks are hints that lead to a
 * fetch, except `item/deleted`. Effects go out through `emit`. This file is configuration only:
 * the named guards, actions and delays live in `src/machine/setup.ts`, and every description
 * below is printed in the generated spec.
 */
import { and } from 'xstate';
import type { Remedy } from '../src/decision/rules';
import { REMEDIES } from '../src/decision/rules';
import { connectionSetup, initialContext } from '../src/machine/setup';

/** Bumped whenever a change makes persisted snapshots of the previous version unreadable. */
export const CONNECTION_MACHINE_VERSION = 2;

const ignoreOldSnapshot = {
  guard: "snapshot is stale, a duplicate or another item's",
  description: 'A snapshot not newer than the last accepted one (by updatedAt), or about another item, changes nothing.',
} as const;

const accept = ['record snapshot', 'report anomalies'] as const;

const REMEDY_DESCRIPTIONS: Record<Remedy, string> = {
  reconnect: 'The user must be present to run a new update (MFA timed out or failed, unexpected error, outdated item).',
  updateCredentials: 'The institution rejected the credentials; Pluggy will not auto-sync until new ones are sent.',
  retryLater: 'The institution is unavailable or busy; an update later should work.',
  actAtInstitution: 'The account is locked or needs an action at the bank; no automatic retry.',
  reconsent: 'The consent was not granted or was revoked; the user must authorize again.',
  unsupported: 'The connector does not support this account; retrying cannot help.',
};

/** SNAPSHOT routes into `blocked.<remedy>`, one per remedy. */
const toBlocked = (target: (remedy: Remedy) => string) =>
  REMEDIES.map((remedy) => ({
    guard: { type: 'snapshot decides', params: { phase: 'blocked', remedy } },
    target: target(remedy),
    actions: [...accept, { type: 'emit reconnect required', params: { remedy } }],
    description: `The snapshot blocks the connection with remedy ${remedy}: ask for it once.`,
  }) as const);

/** A state that waits, asking for a fetch each time its check falls due (and re-entering itself). */
const checking = (self: string, cadence: 'backoff' | 'reconcile', description: string) =>
  ({
    description,
    entry: [{ type: 'schedule next check', params: { cadence } }],
    after: {
      nextCheck: {
        target: self,
        reenter: true,
        actions: ['count the check that fell due', { type: 'emit fetch', params: { reason: cadence === 'backoff' ? 'poll' : 'reconcile' } }],
        description:
          cadence === 'backoff'
            ? 'Time to check again: ask for a fetch (poll mode backs off from ~2 s to 30 s; push mode reconciles every 5 min).'
            : 'Still nothing: ask for a reconciliation fetch.',
      },
    },
  }) as const;

/** A state that waits for a scheduled re-read of the data, then syncs again. */
const rereading = (reason: 'zeroAccounts' | 'syncFailed', description: string) =>
  ({
    description,
    entry: ['count and schedule a sync retry', { type: 'emit schedule retry', params: { reason } }],
    after: {
      syncRetry: {
        target: 'syncing',
        actions: [{ type: 'reach due time', params: { timer: 'syncRetry' } }],
        description: 'The re-read is due: sync again.',
      },
    },
  }) as const;

export const connectionMachine = connectionSetup.createMachine({
  id: 'connection',
  description:
    'One Pluggy Item: what the host must do now (wait, sync, ask the user, reconnect), decided by item snapshots and hinted by webhooks.',
  context: ({ input }) => initialContext(input),
  initial: 'unknown',
  on: {
    // Every state first ignores stale snapshots itself (its own transitions are tried before these).
    SNAPSHOT: [
      {
        guard: { type: 'snapshot decides', params: { phase: 'unknown' } },
        target: '.unknown.anomaly',
        actions: [...accept],
        description: 'No rule covers the snapshot (R17): report an anomaly and sync nothing.',
      },
      {
        guard: { type: 'snapshot decides', params: { phase: 'pending' } },
        target: '.pending',
        actions: [...accept],
        description: 'An execution is running (R11): wait for it.',
      },
      {
        guard: { type: 'snapshot decides', params: { phase: 'awaitingUser', awaiting: 'input' } },
        target: '.awaitingUser.input',
        actions: [...accept, 'emit user input required'],
        description: 'The institution asks for an MFA input (R9): ask the user, with the deadline.',
      },
      {
        guard: { type: 'snapshot decides', params: { phase: 'awaitingUser', awaiting: 'action' } },
        target: '.awaitingUser.action',
        actions: [...accept, 'emit user action required'],
        description: 'The user must act outside the app (R10): ask them, with the deadline.',
      },
      {
        guard: { type: 'snapshot decides', params: { phase: 'syncable' } },
        target: '.syncable',
        actions: [...accept],
        description: 'The last execution succeeded (R12, R15, R16): sync.',
      },
      ...toBlocked((remedy) => `.blocked.${remedy}`),
    ],
    WEBHOOK: [
      {
        guard: 'webhook was already seen',
        description: 'A webhook whose eventId was already handled (retries, both subscription modes) changes nothing.',
      },
      {
        guard: 'webhook is about another item',
        actions: ['remember webhook'],
        description: 'A webhook about another item is not for this connection.',
      },
      {
        guard: 'webhook reports the deletion',
        target: '.deleted',
        actions: ['remember webhook'],
        description: 'item/deleted is authoritative (R0): the connection ends.',
      },
      {
        guard: "webhook is about the item's lifecycle",
        actions: ['remember webhook', { type: 'emit fetch', params: { reason: 'webhook' } }],
        description: 'Item webhooks are hints: fetch the item and let the snapshot decide.',
      },
      {
        actions: ['remember webhook'],
        description: 'Transactions and connector webhooks do not move the lifecycle.',
      },
    ],
    FETCH_FAILED: {
      guard: 'fetch found no item',
      target: '.deleted',
      actions: ['note the time'],
      description: 'Fetching the item answered 404 ITEM_NOT_FOUND (R0): the connection ends. Other fetch failures change nothing.',
    },
    RECONNECT: {
      target: '.pending',
      actions: ['note the reconnection'],
      description: 'The host started an update (Connect in update mode, PATCH /items): wait for the new execution.',
    },
  },
  states: {
    unknown: {
      description: 'Nothing observed yet, or a snapshot no rule covers. Nothing is synced from here.',
      initial: 'unobserved',
      on: {
        SNAPSHOT: [
          ignoreOldSnapshot,
          {
            guard: 'snapshot repeats the unknown combination',
            actions: ['record snapshot'],
            description: 'The same uncovered combination again: already reported.',
          },
        ],
      },
      states: {
        unobserved: { description: 'No snapshot accepted yet.' },
        anomaly: { description: 'The last snapshot matched no rule (R17); an anomaly was reported.' },
      },
    },

    pending: {
      description: 'An execution is running at Pluggy (R11): wait, checking again with backoff, until it settles or the budget runs out.',
      entry: ['start the stall budget'],
      after: {
        stallBudget: {
          target: '.stalled',
          actions: [{ type: 'reach due time', params: { timer: 'stallBudget' } }, 'emit stalled'],
          description: 'The wait outlasted the budget (10 min by default; logins can take 5): report the connection stalled.',
        },
      },
      on: {
        SNAPSHOT: [
          ignoreOldSnapshot,
          {
            guard: { type: 'snapshot decides', params: { phase: 'pending' } },
            actions: [...accept],
            description: 'The execution is still running (another step): keep waiting, without restarting the budget.',
          },
        ],
      },
      initial: 'waiting',
      states: {
        waiting: checking(
          'waiting',
          'backoff',
          'Checking again: poll mode with backoff from ~2 s to 30 s; push mode waits for webhooks and reconciles every 5 min.',
        ),
        stalled: checking('stalled', 'reconcile', 'Waited longer than the budget; still reconciles every 5 min in case the execution ends.'),
      },
    },

    awaitingUser: {
      description: 'The institution waits for the user (R9, R10) until a deadline: parameter.expiresAt, userAction.expiresAt, or the wait budget.',
      entry: ['start the user deadline'],
      after: {
        userDeadline: {
          target: '#connection.blocked.reconnect',
          actions: [
            { type: 'reach due time', params: { timer: 'userDeadline' } },
            'time out the user',
            { type: 'emit reconnect required', params: { remedy: 'reconnect' } },
          ],
          description: 'The deadline passed: treat it as USER_INPUT_TIMEOUT (R1) without waiting for Pluggy to say so.',
        },
      },
      on: {
        SNAPSHOT: [
          ignoreOldSnapshot,
          {
            guard: 'snapshot asks the same of the user',
            actions: [...accept],
            description: 'The same request with the same deadline: the user was already asked.',
          },
        ],
      },
      initial: 'input',
      states: {
        input: checking('input', 'backoff', 'Waiting for an MFA input (item.parameter), sent with POST /items/{id}/mfa.'),
        action: checking('action', 'backoff', 'Waiting for the user to act outside the app (item.userAction: QR code, authorize in the bank app).'),
      },
    },

    syncable: {
      description: 'The last execution succeeded (R12, R15, R16): the host reads the data, re-reading later when accounts are missing.',
      entry: ['reset attempts', 'emit recovered when healing'],
      on: {
        SNAPSHOT: [
          ignoreOldSnapshot,
          {
            guard: { type: 'snapshot decides', params: { phase: 'syncable' } },
            target: '.syncing',
            actions: [...accept, 'reset attempts'],
            description: 'A newer successful execution (e.g. an auto-sync): read the data again.',
          },
        ],
      },
      initial: 'syncing',
      states: {
        syncing: {
          description: 'The host reads the data (the sync effect) and answers SYNC_DONE or SYNC_FAILED.',
          entry: ['emit sync'],
          on: {
            SYNC_DONE: [
              {
                guard: and(['sync found no accounts on a partial Open Finance item', 'retries remain']),
                target: 'accountsPending',
                actions: ['note the time'],
                description: 'Open Finance, PARTIAL_SUCCESS and zero accounts (guide scenario 2): accounts arrive later; re-read them.',
              },
              {
                guard: 'sync found no accounts on a partial Open Finance item',
                target: 'synced',
                actions: [{ type: 'emit anomaly', params: { reason: 'accounts still missing after every scheduled re-read' } }],
                description: 'The re-reads are spent and still no accounts: stop and report it.',
              },
              { target: 'synced', actions: ['note the time'], description: 'The data was read.' },
            ],
            SYNC_FAILED: [
              {
                guard: 'retries remain',
                target: 'retrying',
                actions: ['note the time'],
                description: 'Reading the data failed: retry later with backoff.',
              },
              {
                target: 'syncFailed',
                actions: [{ type: 'emit anomaly', params: { reason: 'reading the data failed after every scheduled retry' } }],
                description: 'Every retry failed: stop and report it.',
              },
            ],
          },
        },
        accountsPending: rereading(
          'zeroAccounts',
          'Waiting to re-read accounts of an Open Finance item (never re-running the Pluggy execution).',
        ),
        retrying: rereading('syncFailed', 'Waiting to retry a failed read of the data.'),
        synced: { description: 'The data of this execution was read.' },
        syncFailed: { description: 'Reading the data kept failing; a newer snapshot or RECONNECT starts over.' },
      },
    },

    blocked: {
      description:
        'The execution failed in a way only a reconnection (of some kind) fixes. Terminal until a newer snapshot shows a new execution, or RECONNECT.',
      exit: ['note healing when left on evidence'],
      on: {
        SNAPSHOT: [
          ignoreOldSnapshot,
          {
            guard: 'snapshot repeats the last rule',
            actions: ['record snapshot'],
            description: 'The same failed execution again: nobody is prompted twice.',
          },
          ...toBlocked((remedy) => `.${remedy}`),
        ],
      },
      initial: 'reconnect',
      states: Object.fromEntries(REMEDIES.map((remedy) => [remedy, { description: REMEDY_DESCRIPTIONS[remedy] }])) as Record<
        Remedy,
        { description: string }
      >,
    },

    deleted: {
      type: 'final',
      description: 'The item was deleted (R0). Final: no event moves it again.',
      entry: ['clear timers', 'emit deleted'],
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;
