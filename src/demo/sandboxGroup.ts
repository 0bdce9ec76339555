/**
 * The demo's sandbox group: connections that live against the local Pluggy sandbox over HTTP,
 * next to the simulated fleet. Where the fleet scripts Pluggy's side per connection, here nothing
 * is scripted but the sandbox users: the host's part is the one a real service plays
 * (examples/service.ts) — pluggy-sdk's `PluggyClient` creates the items, reads them for the
 * poller and the accounts on `sync`, and posts the MFA answer; the webhook receiver takes the
 * sandbox's deliveries (some delivered twice on purpose) in push mode.
 *
 * Time: everything here (the sandbox's scripts and webhook backoffs, the connections' timers, the
 * poller, the receiver's dedupe window, the host's own delays) runs on the one clock it is given.
 * The demo passes the fleet's accelerated clock, so both groups share one timeline at `--speed`;
 * tests pass a `SimulatedClock`. Only pluggy-sdk's HTTP timeouts and 429 retries run on the process
 * clock, and the sandbox is never told to rate-limit here.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PluggyClient } from 'pluggy-sdk';
import type { InspectionEvent } from 'xstate';
import { createPoller } from '../drivers/poller';
import { createWebhookHandler, routeToConnections } from '../drivers/webhook';
import type { DriveMode } from '../machine/context';
import type { Effect } from '../machine/effects';
import { systemClock, type Clock } from '../runtime/clock';
import type { ConnectionCommand } from '../runtime/commands';
import { createConnection, type Connection } from '../runtime/connection';
import {
  DIRECT_CONNECTOR_ID,
  OPEN_FINANCE_CONNECTOR_ID,
  SANDBOX_MFA_CODE,
  SANDBOX_USERS,
  USER_SCRIPTS,
  startSandbox,
  type Sandbox,
  type SandboxUser,
} from '../sandbox';
import { loadPeer } from '../peer';
import type { WebhookPayload } from '../vocabulary/webhook';

/** What each sandbox user lives through with a host that answers as below, and where its connection ends. */
export const SANDBOX_GROUP_USERS: Readonly<Record<SandboxUser, { readonly description: string; readonly state: string }>> = {
  'user-ok': { description: 'guide scenario 1: UPDATING, then UPDATED + SUCCESS: sync', state: 'syncable.synced' },
  'user-open-finance': {
    description: 'guide scenario 2: consent, PARTIAL_SUCCESS with 0 accounts: sync, re-read later, the accounts are there',
    state: 'syncable.synced',
  },
  'user-mfa-timeout': { description: 'guide scenario 3: nobody answers the MFA; USER_INPUT_TIMEOUT: reconnection', state: 'blocked.reconnect' },
  'user-bad-password': { description: 'guide scenario 5: LOGIN_ERROR + INVALID_CREDENTIALS: credential update', state: 'blocked.updateCredentials' },
  'user-mfa': { description: 'MFA asked; the user types the code and the host posts it to /items/{id}/mfa: sync', state: 'syncable.synced' },
  'user-unavailable': { description: "SITE_NOT_AVAILABLE (retry later), then Pluggy's auto-sync heals it: recovered, sync", state: 'syncable.synced' },
  'user-locked': { description: 'LOGIN_ERROR + ACCOUNT_LOCKED: the user must act at the institution', state: 'blocked.actAtInstitution' },
};

/** The user whose MFA challenge the simulated person answers (the other MFA user's scenario is the timeout). */
const ANSWERS_MFA: ReadonlySet<SandboxUser> = new Set(['user-mfa']);

export interface SandboxGroupOptions {
  /** The clock of the sandbox, the connections, the drivers and the host (default: the process clock). */
  readonly clock?: Clock;
  /** Sandbox users to connect (default: every one), each once per mode. */
  readonly users?: readonly SandboxUser[];
  /** Default both: poll (the poller follows the connection's backoff) and push (webhooks to the receiver). */
  readonly modes?: readonly DriveMode[];
  /** How long the simulated person takes to type the MFA code (default 10 s; the sandbox allows 60). */
  readonly mfaAnswerAfterMs?: number;
  /** Share of acknowledged webhooks the sandbox delivers a second time (default 0.3). */
  readonly duplicateRate?: number;
  /**
   * Whether the sandbox holds some webhooks back so later ones overtake them (default false: a
   * webhook held past a short step, such as the Open Finance consent, makes that connection skip
   * the step's prompt, as it would with Pluggy, so what each connection shows would vary).
   */
  readonly reorder?: boolean;
  readonly seed?: number;
  readonly inspect?: (event: InspectionEvent) => void;
  /** Errors of the drivers and of the host's requests (none expected); ignored once stopping. */
  readonly onError?: (error: unknown) => void;
}

export interface SandboxMember {
  readonly itemId: string;
  readonly user: SandboxUser;
  readonly mode: DriveMode;
  /** Where the connection should end (`SANDBOX_GROUP_USERS`). */
  readonly expected: string;
  readonly connection: Connection;
  /** Every effect the connection emitted, in order. */
  readonly effects: readonly Effect[];
  /** Accounts the host found on each read of the data (`GET /accounts` after a `sync`). */
  readonly reads: readonly number[];
}

export interface SandboxGroup {
  readonly sandbox: Sandbox;
  /** Where the sandbox posts push-mode items' webhooks. */
  readonly receiverUrl: string;
  /** By item id, in the order they were created (poll mode first). */
  readonly members: ReadonlyMap<string, SandboxMember>;
  /** Webhook events the receiver handed on, after its deduplication, in arrival order. */
  readonly delivered: readonly WebhookPayload[];
  /** True once every connection is in its expected state. */
  reached(): boolean;
  /** Resolves once no request of the host is in flight and the sandbox's traffic is quiet (advance a simulated clock after it). */
  settled(): Promise<void>;
  /** Stops the host's timers, the poller and the connections, lets the requests in flight land, then closes the receiver and the sandbox. */
  stop(): Promise<void>;
}

/** Past `nextAutoSyncAt` the auto-sync has begun: a re-read a little after it finds the new execution. */
const REREAD_AFTER_AUTO_SYNC_MS = 500;
/** Re-read of a retry-later connection whose item names no auto-sync time. */
const REREAD_EVERY_MS = 5 * 60_000;
/** How long `stop()` lets requests in flight land before closing the servers under them (real ms). */
const STOP_GRACE_MS = 2_000;
/**
 * pluggy-sdk reads an API key's `exp` against the process clock, the sandbox against its own,
 * which runs ahead at `--speed`: with Pluggy's 2 h keys the client would keep a key the sandbox has
 * expired. The demo's keys outlive the demo.
 */
const API_KEY_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** Starts the sandbox and the receiver on 127.0.0.1 (random ports), creates one item per user and mode with pluggy-sdk, and follows each. */
export async function startSandboxGroup(options: SandboxGroupOptions = {}): Promise<SandboxGroup> {
  const sdk = loadPeer<typeof import('pluggy-sdk')>('pluggy-sdk', '>=0.80', "the demo's sandbox group");
  const clock = options.clock ?? systemClock;
  const users = options.users ?? SANDBOX_USERS;
  const modes = options.modes ?? (['poll', 'push'] as const);
  const mfaAnswerAfterMs = options.mfaAnswerAfterMs ?? 10_000;
  const members = new Map<string, SandboxMember & { effects: Effect[]; reads: number[] }>();
  const delivered: WebhookPayload[] = [];
  const lastItems = new Map<string, unknown>();
  const timers = new Set<unknown>();
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  const fail = (error: unknown) => {
    if (!stopping) options.onError?.(error);
  };

  const later = (ms: number, callback: () => void) => {
    const handle = clock.setTimeout(() => {
      timers.delete(handle);
      if (!stopping) callback();
    }, ms);
    timers.add(handle);
  };
  /** Every request of the host goes through here, so `settled()` and `stop()` know what is on the wire. */
  const request = <T>(send: () => Promise<T>): Promise<T> => {
    const promise = send();
    inFlight.add(promise);
    const done = () => inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  };

  // Webhooks of an item can arrive before createItem's answer has been tracked: keep them for it.
  const early = new Map<string, WebhookPayload[]>();
  const route = routeToConnections(
    (itemId) => members.get(itemId)?.connection,
    (payload) => {
      if (payload.itemId !== undefined && payload.event.startsWith('item/')) early.set(payload.itemId, [...(early.get(payload.itemId) ?? []), payload]);
    },
  );
  const secret = { header: 'X-Webhook-Secret', value: randomBytes(16).toString('hex') };
  const receiver = http.createServer(
    createWebhookHandler({
      secret,
      clock,
      onEvent: (payload) => {
        delivered.push(payload);
        route(payload);
      },
      onError: fail,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    receiver.once('error', reject);
    receiver.listen(0, '127.0.0.1', () => resolve());
  });
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/pluggy`;
  const closeReceiver = () =>
    new Promise<void>((resolve) => {
      receiver.close(() => resolve());
      receiver.closeAllConnections();
    });

  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      clock,
      webhookHeaders: { [secret.header]: secret.value },
      duplicateRate: options.duplicateRate ?? 0.3,
      reorder: options.reorder ?? false,
      seed: options.seed ?? 1,
      apiKeyTtlSeconds: API_KEY_TTL_SECONDS,
    });
  } catch (error) {
    await closeReceiver();
    throw error;
  }

  // pluggy-sdk 0.90 ignores its `baseUrl` option and reads PLUGGY_API_URL when the client is built.
  const previousUrl = process.env['PLUGGY_API_URL'];
  process.env['PLUGGY_API_URL'] = sandbox.url;
  let client: PluggyClient;
  try {
    client = new sdk.PluggyClient({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret });
  } finally {
    if (previousUrl === undefined) delete process.env['PLUGGY_API_URL'];
    else process.env['PLUGGY_API_URL'] = previousUrl;
  }

  const poller = createPoller({
    clock,
    fetchItem: (itemId) =>
      request(() => client.fetchItem(itemId)).then((item) => {
        lastItems.set(itemId, item);
        return item;
      }),
    onError: fail,
  });

  /**
   * A blocked connection does not poll. For "try later", re-read the item once Pluggy's auto-sync
   * (`nextAutoSyncAt`) has begun, and again while it still says the same.
   */
  const rereadLater = (member: SandboxMember) => {
    const item = lastItems.get(member.itemId) as { nextAutoSyncAt?: Date | string | null } | undefined;
    const autoSyncAt = item?.nextAutoSyncAt ? new Date(item.nextAutoSyncAt).getTime() : NaN;
    const wait = autoSyncAt > clock.now() ? autoSyncAt - clock.now() + REREAD_AFTER_AUTO_SYNC_MS : REREAD_EVERY_MS;
    later(wait, () => {
      void poller.fetch(member.itemId).then(() => {
        if (!stopping && member.connection.getState().value === 'blocked.retryLater') rereadLater(member);
      });
    });
  };

  const track = (created: { readonly id: string }, user: SandboxUser, mode: DriveMode) => {
    const itemId = created.id;
    const connection = createConnection({
      itemId,
      mode,
      clock,
      ...(options.inspect ? { inspect: options.inspect } : {}),
      onError: fail,
    });
    const member = { itemId, user, mode, expected: SANDBOX_GROUP_USERS[user].state, connection, effects: [] as Effect[], reads: [] as number[] };
    members.set(itemId, member);
    const send = (command: ConnectionCommand) => {
      if (!stopping) connection.send(command);
    };
    connection.on('*', (effect) => member.effects.push(effect));
    poller.attach(connection);
    // The host's part: read the data on `sync` (and store it: here, count it).
    connection.on('sync', () => {
      request(() => client.fetchAccounts(itemId)).then(
        (page) => {
          member.reads.push(page.total);
          send({ type: 'SYNC_DONE', accounts: page.total });
        },
        (error: unknown) => send({ type: 'SYNC_FAILED', error }),
      );
    });
    // The app shows the MFA prompt; the person types the code a little later; the host posts it.
    connection.on('userInputRequired', ({ parameter }) => {
      if (!ANSWERS_MFA.has(user) || !parameter) return;
      later(mfaAnswerAfterMs, () => {
        request(() => client.updateItemMFA(itemId, { [parameter.name]: SANDBOX_MFA_CODE })).catch(fail);
      });
    });
    if (mode === 'poll') {
      connection.on('reconnectRequired', ({ remedy }) => {
        if (remedy === 'retryLater') rereadLater(member);
      });
    }
    // The host reads a new item once (Pluggy Connect's onSuccess gives it); push mode then waits for webhooks.
    send({ type: 'SNAPSHOT', item: created });
    for (const payload of early.get(itemId) ?? []) route(payload);
    early.delete(itemId);
  };

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const handle of timers) clock.clearTimeout(handle);
    timers.clear();
    poller.stop();
    for (const member of members.values()) member.connection.stop();
    // Closing the sandbox under a request would make got retry it on the process clock: let them land.
    await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    await Promise.all([sandbox.close(), closeReceiver()]);
  };

  try {
    for (const mode of modes) {
      for (const user of users) {
        const openFinance = USER_SCRIPTS[user].openFinance;
        const created = await request(() =>
          client.createItem(
            openFinance ? OPEN_FINANCE_CONNECTOR_ID : DIRECT_CONNECTOR_ID,
            openFinance ? { user, cpf: '76109277673' } : { user, password: 'sandbox-password' },
            // Poll-mode items get no webhook: their connections learn everything by polling.
            { clientUserId: `demo-${user}-${mode}`, ...(mode === 'push' ? { webhookUrl: receiverUrl } : {}) },
          ),
        );
        track(created, user, mode);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    sandbox,
    receiverUrl,
    members,
    delivered,
    reached: () => [...members.values()].every((member) => member.connection.getState().value === member.expected),
    settled: async () => {
      do await sandbox.settled();
      while (inFlight.size > 0);
    },
    stop,
  };
}
