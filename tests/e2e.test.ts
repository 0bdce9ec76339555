/**
 * End to end: pluggy-sdk's official `PluggyClient`, pointed at the local sandbox, drives one
 * connection per sandbox user, in poll mode (the poll driver carries out the connection's polls)
 * and in push mode (the sandbox delivers webhooks to the webhook receiver on another port, which
 * routes them to the connection, whose fetches the poll driver carries out).
 *
 * One simulated clock moves everything: jest's fake timers, shared by the sandbox's scripts, the
 * connections' timers, the poller's pauses and pluggy-sdk's own 429 retry (got's timers cannot be
 * injected, so the process clock is the one faked). Before each step the HTTP traffic on
 * 127.0.0.1 settles in real time. Nothing else is contacted.
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PluggyClient } from 'pluggy-sdk';
import { createConnection, systemClock, type Connection, type DriveMode, type Effect, type WebhookPayload } from '../src';
import { createPoller, createWebhookHandler, routeToConnections, type Poller, type PollerOptions } from '../src/drivers';
import { startSandbox, USER_SCRIPTS, type Sandbox, type SandboxOptions, type SandboxUser } from '../src/sandbox';
import { describeEffect } from './support/effects';
import { portOf, settleLoopback } from './support/loopback';

const SECRET = { header: 'X-Webhook-Secret', value: 'e2e-shared-secret' };
/** Sandbox time any one scenario may take before the test gives up on it. */
const LIMIT_MS = 15 * 60_000;

interface Tracked {
  readonly itemId: string;
  readonly user: SandboxUser;
  readonly connection: Connection;
  readonly effects: Effect[];
  readonly state: () => string;
}

interface World {
  readonly sandbox: Sandbox;
  readonly client: PluggyClient;
  readonly poller: Poller;
  /** Webhook payloads the receiver handed on (after deduplication), in order. */
  readonly handled: WebhookPayload[];
  /** The receiver's URL (push mode). */
  readonly receiverUrl: string | null;
  /** Errors from connections, handlers and drivers: none expected. */
  readonly errors: unknown[];
  /** Creates the user's item with pluggy-sdk and tracks it as the host would. */
  connect(user: SandboxUser, options?: { readonly mfaAnswer?: string }): Promise<Tracked>;
  /** Moves the clock timer by timer (settling the traffic in between) until `done()` holds. */
  until(done: () => boolean, what: string, limitMs?: number): Promise<void>;
  /** Moves the clock by `ms` exactly, firing the timers that fall due on the way. */
  advance(ms: number): Promise<void>;
  /** Lets the traffic on 127.0.0.1 settle, without moving the clock. */
  settle(): Promise<void>;
}


const worlds: Array<() => Promise<void>> = [];

async function world(mode: DriveMode, options: { sandbox?: SandboxOptions; fetchItem?: (client: PluggyClient, sandbox: Sandbox) => PollerOptions['fetchItem']; poller?: Partial<PollerOptions> } = {}): Promise<World> {
  const errors: unknown[] = [];
  const handled: WebhookPayload[] = [];
  const tracked = new Map<string, Tracked>();

  let receiver: Server | null = null;
  let receiverUrl: string | null = null;
  if (mode === 'push') {
    const handler = createWebhookHandler({
      secret: SECRET,
      onEvent: (payload) => {
        handled.push(payload);
        routeToConnections((itemId) => tracked.get(itemId)?.connection)(payload);
      },
      onError: (error) => errors.push(error),
    });
    receiver = http.createServer((request, response) => handler(request, response));
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/pluggy`;
  }

  const sandbox = await startSandbox({
    webhookHeaders: { [SECRET.header]: SECRET.value },
    ...(receiverUrl ? { webhookUrl: receiverUrl } : {}),
    ...options.sandbox,
  });
  // pluggy-sdk 0.90 ignores its typed `baseUrl` option and reads PLUGGY_API_URL in the constructor.
  process.env.PLUGGY_API_URL = sandbox.url;
  const client = new PluggyClient({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, baseUrl: sandbox.url });
  expect((client as unknown as { baseUrl: string }).baseUrl).toBe(sandbox.url);

  const poller = createPoller({
    clock: systemClock,
    fetchItem: options.fetchItem ? options.fetchItem(client, sandbox) : (itemId) => client.fetchItem(itemId),
    onError: (error) => errors.push(error),
    ...options.poller,
  });

  const settle = () => settleLoopback(() => sandbox.settled(), () => [portOf(sandbox.url), ...(receiverUrl ? [portOf(receiverUrl)] : [])]);

  const until = async (done: () => boolean, what: string, limitMs = LIMIT_MS) => {
    const start = Date.now();
    await settle();
    while (!done()) {
      if (Date.now() - start > limitMs) throw new Error(`expected ${what} within ${limitMs} ms of simulated time; it did not happen`);
      if (jest.getTimerCount() === 0) throw new Error(`expected ${what}, but nothing is left to happen (no timer armed)`);
      jest.advanceTimersToNextTimer();
      await settle();
    }
  };

  const advance = async (ms: number) => {
    const target = Date.now() + ms;
    await settle();
    // In steps well under got's 30 s request timeout, in case a request is on its way unseen.
    while (Date.now() < target) {
      jest.advanceTimersByTime(Math.min(10_000, target - Date.now()));
      await settle();
    }
  };

  const connect = async (user: SandboxUser, connectOptions: { readonly mfaAnswer?: string } = {}) => {
    const openFinance = USER_SCRIPTS[user].openFinance;
    const created = await client.createItem(openFinance ? 601 : 201, openFinance ? { user, cpf: '76109277673' } : { user, password: 'sandbox-password' });
    const connection = createConnection({ itemId: created.id, mode, clock: systemClock, onError: (error) => errors.push(error) });
    const effects: Effect[] = [];
    connection.on('*', (effect) => effects.push(effect));
    poller.attach(connection);
    // What a host does with the effects: read the data on `sync`, answer MFA when the user gives it.
    connection.on('sync', ({ itemId }) => {
      client.fetchAccounts(itemId).then(
        (page) => connection.send({ type: 'SYNC_DONE', accounts: page.total }),
        (error: unknown) => connection.send({ type: 'SYNC_FAILED', error }),
      );
    });
    connection.on('userInputRequired', ({ itemId, parameter }) => {
      if (connectOptions.mfaAnswer === undefined || !parameter) return;
      client.updateItemMFA(itemId, { [parameter.name]: connectOptions.mfaAnswer }).catch((error: unknown) => errors.push(error));
    });
    const result = connection.send({ type: 'SNAPSHOT', item: created });
    expect(result).toMatchObject({ ok: true, state: 'pending.waiting' });
    const entry: Tracked = { itemId: created.id, user, connection, effects, state: () => connection.getState().value };
    tracked.set(created.id, entry);
    return entry;
  };

  worlds.push(async () => {
    poller.stop();
    for (const entry of tracked.values()) entry.connection.stop();
    await sandbox.close();
    if (receiver) await new Promise<void>((resolve) => receiver!.close(() => resolve()));
  });

  return { sandbox, client, poller, handled, receiverUrl, errors, connect, until, advance, settle };
}


const told = (entry: Tracked) => entry.effects.filter((effect) => effect.type !== 'fetch').map(describeEffect);
const fetches = (entry: Tracked) => entry.effects.filter((effect): effect is Extract<Effect, { type: 'fetch' }> => effect.type === 'fetch');
const settledState = (entry: Tracked) => ['syncable.synced', 'deleted'].includes(entry.state()) || entry.state().startsWith('blocked.');

/** GET /items/{id} requests the sandbox answered for an item. */
const itemRequests = (sandbox: Sandbox, itemId: string) => sandbox.requests.filter((entry) => entry.method === 'GET' && entry.path === `/items/${itemId}`);

/** Fails when any request reached the sandbox before the reset time a 429 announced. */
function expectNoRequestBeforeReset(sandbox: Sandbox, pathPrefix: string): void {
  const requests = sandbox.requests.filter((entry) => entry.path.startsWith(pathPrefix));
  const early = requests.flatMap((limited) =>
    limited.resetAtMs === undefined ? [] : requests.filter((later) => later.atMs > limited.atMs && later.atMs < limited.resetAtMs!).map((later) => ({ limited, later })),
  );
  expect(early).toEqual([]);
}

let consoleError: jest.SpyInstance;
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask'] });
  // pluggy-sdk logs every HTTP error it rejects with (404 after a deletion, 429s); errors are asserted instead.
  consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((close) => close()));
  consoleError.mockRestore();
  jest.useRealTimers();
  delete process.env.PLUGGY_API_URL;
});

/** What each sandbox user's connection tells the host, in order (`fetch` aside), and where it ends. */
const SCENARIOS: ReadonlyArray<{ user: SandboxUser; title: string; mfaAnswer?: string; told: string[]; ends: string }> = [
  { user: 'user-ok', title: 'guide scenario 1, UPDATED + SUCCESS: sync', told: ['sync#0'], ends: 'syncable.synced' },
  {
    user: 'user-open-finance',
    title: 'guide scenario 2, Open Finance PARTIAL_SUCCESS with zero accounts: sync with a warning, a scheduled re-read, and a later sync that finds the accounts',
    told: ['userActionRequired:authorize-access', 'sync:partial#0', 'scheduleRetry:zeroAccounts', 'sync:partial#1'],
    ends: 'syncable.synced',
  },
  {
    user: 'user-mfa-timeout',
    title: 'guide scenario 3, USER_INPUT_TIMEOUT: the MFA request, then one reconnection prompt',
    told: ['userInputRequired:token', 'reconnectRequired:reconnect'],
    ends: 'blocked.reconnect',
  },
  {
    user: 'user-bad-password',
    title: 'guide scenario 5, LOGIN_ERROR + INVALID_CREDENTIALS: block, credential update',
    told: ['reconnectRequired:updateCredentials'],
    ends: 'blocked.updateCredentials',
  },
  { user: 'user-mfa', title: 'MFA answered in time: userInputRequired, then sync', mfaAnswer: '123456', told: ['userInputRequired:token', 'sync#0'], ends: 'syncable.synced' },
  { user: 'user-locked', title: 'ACCOUNT_LOCKED: act at the institution', told: ['reconnectRequired:actAtInstitution'], ends: 'blocked.actAtInstitution' },
  { user: 'user-unavailable', title: 'SITE_NOT_AVAILABLE: retry later', told: ['reconnectRequired:retryLater'], ends: 'blocked.retryLater' },
];

describe.each(['poll', 'push'] as const)('%s mode: pluggy-sdk drives a connection for every sandbox user', (mode) => {
  test.each(SCENARIOS)('$user — $title', async (scenario) => {
    const w = await world(mode);
    const entry = await w.connect(scenario.user, scenario.mfaAnswer === undefined ? {} : { mfaAnswer: scenario.mfaAnswer });
    await w.until(() => settledState(entry), `${scenario.user} to settle`);
    expect(told(entry)).toEqual(scenario.told);
    expect(entry.state()).toBe(scenario.ends);

    // Each item's fetches come from the driver's own reason: polls, or one per webhook.
    const reasons = new Set(fetches(entry).map((effect) => effect.reason));
    expect([...reasons]).toEqual([mode === 'poll' ? 'poll' : 'webhook']);
    if (mode === 'push') {
      const events = w.handled.filter((payload) => payload.itemId === entry.itemId && payload.event !== 'item/deleted');
      expect(fetches(entry)).toHaveLength(events.length);
    }
    expect(w.errors).toEqual([]);
  });

  test('the MFA timeout is reported once, with rule R1, whether the deadline or Pluggy says it first', async () => {
    const w = await world(mode);
    const entry = await w.connect('user-mfa-timeout');
    await w.until(() => w.sandbox.items.get(entry.itemId)?.executionStatus === 'USER_INPUT_TIMEOUT', 'the sandbox to time the input out');
    const asked = entry.effects.find((effect): effect is Extract<Effect, { type: 'userInputRequired' }> => effect.type === 'userInputRequired');
    await w.advance(10 * 60_000); // and any fetch or reconciliation after it
    const prompts = entry.effects.filter((effect): effect is Extract<Effect, { type: 'reconnectRequired' }> => effect.type === 'reconnectRequired');
    expect(prompts).toHaveLength(1);
    expect(prompts[0]?.reason).toMatch(/^R1: /);
    expect(asked?.expiresAt).toBe(w.sandbox.items.get(entry.itemId)?.updatedAt);
  });

  test('credentials updated with PATCH, then RECONNECT: the connection waits for the new execution and syncs (no "recovered")', async () => {
    const w = await world(mode);
    const entry = await w.connect('user-bad-password');
    await w.until(() => entry.state() === 'blocked.updateCredentials', 'the credential prompt');
    await w.client.updateItem(entry.itemId, { password: 'password-ok' });
    expect(entry.connection.send({ type: 'RECONNECT' })).toMatchObject({ ok: true, state: 'pending.waiting' });
    await w.until(() => entry.state() === 'syncable.synced', 'the sync after the update');
    expect(told(entry)).toEqual(['reconnectRequired:updateCredentials', 'sync#0']);
  });

  test('an institution that heals by itself (auto-sync): retry later, then "recovered" and a sync', async () => {
    const w = await world(mode);
    const entry = await w.connect('user-unavailable');
    await w.until(() => entry.state() === 'blocked.retryLater', 'the retry-later prompt');
    if (mode === 'poll') {
      // A blocked connection does not poll: the host re-reads it now and then (here once Pluggy's
      // auto-sync has started, at nextAutoSyncAt); the connection polls again from there.
      const nextAutoSyncAt = Date.parse(w.sandbox.items.get(entry.itemId)?.nextAutoSyncAt ?? '');
      await w.until(() => Date.now() >= nextAutoSyncAt, 'the auto-sync time');
      await w.poller.fetch(entry.itemId);
    }
    await w.until(() => entry.state() === 'syncable.synced', 'the sync after healing');
    expect(told(entry)).toEqual(['reconnectRequired:retryLater', 'recovered', 'sync#0']);
  });

  test('deleted after DELETE /items/{id}', async () => {
    const w = await world(mode);
    const entry = await w.connect('user-ok');
    await w.until(() => entry.state() === 'syncable.synced', 'the first sync');
    await w.client.deleteItem(entry.itemId);
    // Poll mode learns it on the next fetch (404 ITEM_NOT_FOUND); push mode from item/deleted.
    if (mode === 'poll') await w.poller.fetch(entry.itemId);
    await w.until(() => entry.state() === 'deleted', 'the deletion');
    expect(told(entry)).toEqual(['sync#0', 'deleted']);
    const deleted = entry.effects.find((effect) => effect.type === 'deleted');
    expect(deleted).toMatchObject({ reason: mode === 'poll' ? 'R0: fetching the item answered 404' : 'R0: Pluggy sent item/deleted' });
    if (mode === 'poll') expect(itemRequests(w.sandbox, entry.itemId).at(-1)?.status).toBe(404);
  });
});

describe('push mode: what Pluggy delivers twice, late or out of order changes nothing', () => {
  test('with every webhook duplicated and some held back so later ones overtake them, every connection tells the host the same, once', async () => {
    const w = await world('push', { sandbox: { duplicateRate: 1, reorder: true, seed: 3 } });
    // Run together long enough, the unavailable institution heals too (its auto-sync runs after 20 s).
    const expected = SCENARIOS.map((scenario) =>
      scenario.user === 'user-unavailable' ? { ...scenario, told: [...scenario.told, 'recovered', 'sync#0'], ends: 'syncable.synced' } : scenario,
    );
    const entries = await Promise.all(expected.map((scenario) => w.connect(scenario.user, scenario.mfaAnswer === undefined ? {} : { mfaAnswer: scenario.mfaAnswer })));
    await w.until(
      () => entries.every((entry, index) => entry.state() === expected[index]!.ends) && w.sandbox.webhooks.stats().pending === 0,
      'every connection to settle and every webhook to be delivered',
    );

    const stats = w.sandbox.webhooks.stats();
    expect(stats.duplicatesSent).toBe(stats.delivered);
    expect(stats.heldBack).toBeGreaterThan(0);
    const emitted = w.sandbox.webhooks.emitted.map((sent) => sent.payload.eventId);
    const arrived = w.sandbox.webhooks.log.filter((attempt) => attempt.kind === 'original').map((attempt) => attempt.eventId);
    expect(arrived).not.toEqual(emitted);
    // The receiver handed each event on once.
    expect(w.handled.map((payload) => payload.eventId).sort()).toEqual([...emitted].sort());

    for (const [index, scenario] of expected.entries()) {
      const entry = entries[index]!;
      expect({ user: scenario.user, told: told(entry), ends: entry.state() }).toEqual({ user: scenario.user, told: scenario.told, ends: scenario.ends });
      const events = w.sandbox.webhooks.emitted.filter((sent) => sent.payload.itemId === entry.itemId);
      expect(fetches(entry)).toHaveLength(events.length);
    }
    expect(w.errors).toEqual([]);
  });

  test('a webhook whose shared secret is wrong gets 401, which the sandbox (like Pluggy) does not retry, and moves nothing', async () => {
    const w = await world('push', { sandbox: { webhookHeaders: { [SECRET.header]: 'not-the-secret' } } });
    const entry = await w.connect('user-locked');
    await w.until(() => w.sandbox.items.get(entry.itemId)?.status === 'LOGIN_ERROR' && w.sandbox.webhooks.stats().pending === 0, 'the failed login and its webhook');
    expect(w.sandbox.webhooks.log.map((attempt) => [attempt.event, attempt.status, attempt.kind])).toEqual([['item/error', 401, 'original']]);
    expect(w.sandbox.webhooks.stats()).toMatchObject({ failures: 1, retries: 0 });
    expect(entry.effects).toEqual([]);
    expect(entry.state()).toBe('pending.waiting');
  });

  test('a bad webhook body gets 400, naming the problem, and changes nothing', async () => {
    const w = await world('push');
    const entry = await w.connect('user-ok');
    await w.until(() => entry.state() === 'syncable.synced', 'the first sync');
    const before = { effects: entry.effects.length, requests: w.sandbox.requests.length, state: entry.connection.getState() };

    const post = (body: string) =>
      fetch(w.receiverUrl!, { method: 'POST', headers: { 'content-type': 'application/json', [SECRET.header]: SECRET.value }, body });
    const bad = [
      JSON.stringify({ event: 'item/updated', itemId: entry.itemId }), // no eventId
      JSON.stringify({ event: 'item/error', eventId: 'e-1' }), // no itemId
      JSON.stringify({ event: 'item/updated', eventId: 'e-2', itemId: 42 }),
      JSON.stringify([{ event: 'item/updated', eventId: 'e-3', itemId: entry.itemId }]),
      '{"event": "item/updated", "eventId": ',
    ];
    for (const body of bad) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/^invalid webhook: .*expected/);
    }
    await w.advance(60_000);
    expect(entry.effects).toHaveLength(before.effects);
    expect(w.sandbox.requests).toHaveLength(before.requests);
    expect(entry.connection.getState()).toEqual(before.state);
    expect(w.handled.filter((payload) => payload.itemId === entry.itemId).map((payload) => payload.event)).toEqual(['item/login_succeeded', 'item/created']);
  });
});

describe('poll mode: pacing', () => {
  test("the connections' backoff never polls an item faster than the sandbox allows (minPollIntervalMs), so no 429 comes back", async () => {
    const w = await world('poll', { sandbox: { minPollIntervalMs: 1_500 } });
    const entries = await Promise.all(SCENARIOS.map((scenario) => w.connect(scenario.user, scenario.mfaAnswer === undefined ? {} : { mfaAnswer: scenario.mfaAnswer })));
    await w.until(() => entries.every(settledState), 'every connection to settle');
    expect(w.sandbox.requests.filter((request) => request.status === 429)).toEqual([]);
    for (const entry of entries) {
      const times = itemRequests(w.sandbox, entry.itemId).map((request) => request.atMs);
      const gaps = times.slice(1).map((at, index) => at - times[index]!);
      expect({ user: entry.user, tooClose: gaps.filter((gap) => gap < 1_500) }).toEqual({ user: entry.user, tooClose: [] });
      expect(told(entry)).toEqual(SCENARIOS.find((scenario) => scenario.user === entry.user)!.told);
    }
  });
});

describe('poll mode: a 429 storm is survived by backing off', () => {
  test("a rate-limit window shorter than Retry-After: pluggy-sdk's own retry waits it out, one request at a time, none before the reset", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const w = await world('poll', {
      fetchItem: (client) => async (itemId) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await client.fetchItem(itemId);
        } finally {
          inFlight--;
        }
      },
    });
    const entry = await w.connect('user-ok');
    const until = w.sandbox.rateLimitFor(45_000, { method: 'GET', pathPrefix: '/items/' });
    await w.until(() => entry.state() === 'syncable.synced', 'the sync after the storm');

    const requests = itemRequests(w.sandbox, entry.itemId);
    const limited = requests.filter((request) => request.status === 429);
    expect(limited).toHaveLength(1);
    expect(limited[0]!.resetAtMs).toBeLessThanOrEqual(until);
    expectNoRequestBeforeReset(w.sandbox, '/items/');
    expect(requests.find((request) => request.status === 200)!.atMs - limited[0]!.atMs).toBe(60_000);
    // Polls due while pluggy-sdk waited were joined, not sent: one fetch at a time.
    expect(maxInFlight).toBe(1);
    expect(fetches(entry).length).toBeGreaterThan(requests.length);
    expect(told(entry)).toEqual(['sync#0']);
    expect(w.poller.stats()).toMatchObject({ rateLimited: 0 });
  });

  test('a storm that outlasts pluggy-sdk\'s two retries: the poller pauses (60 s without headers) and the connection still syncs, with no request before any reset', async () => {
    const w = await world('poll');
    const entry = await w.connect('user-ok');
    w.sandbox.rateLimitNext(3, 60, { method: 'GET', pathPrefix: '/items/' });
    await w.until(() => entry.state() === 'syncable.synced', 'the sync after the storm');

    const requests = itemRequests(w.sandbox, entry.itemId);
    const first = requests[0]!.atMs;
    expect(requests.map((request) => [request.atMs - first, request.status])).toEqual([
      [0, 429],
      [60_000, 429],
      [120_000, 429],
      [180_000, 200],
      ...requests.slice(4).map((request) => [request.atMs - first, 200]),
    ]);
    expectNoRequestBeforeReset(w.sandbox, '/items/');
    expect(w.poller.stats()).toMatchObject({ rateLimited: 1, failures: 0 });
    expect(told(entry)).toEqual(['sync#0']);
    expect(w.errors).toEqual([]);
  });

  test('with a fetchItem that keeps the response headers, one 429 pauses every item until RateLimit-Reset', async () => {
    const w = await world('poll', {
      fetchItem: (_client, sandbox) => {
        let apiKey: Promise<string> | undefined;
        const key = () =>
          (apiKey ??= fetch(`${sandbox.url}/auth`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret }),
          }).then(async (response) => ((await response.json()) as { apiKey: string }).apiKey));
        return async (itemId) => {
          const response = await fetch(`${sandbox.url}/items/${itemId}`, { headers: { 'X-API-KEY': await key() } });
          const body: unknown = await response.json();
          if (!response.ok) throw { status: response.status, headers: response.headers, body };
          return body;
        };
      },
    });
    const a = await w.connect('user-ok');
    await w.advance(500); // b polls half a second after a: by then a's 429 has paused the poller
    const b = await w.connect('user-ok');
    const until = w.sandbox.rateLimitFor(30_000, { method: 'GET', pathPrefix: '/items/' });
    await w.until(() => [a, b].every((entry) => entry.state() === 'syncable.synced'), 'both syncs after the storm');

    const limited = w.sandbox.requests.filter((request) => request.status === 429);
    expect(limited.map((request) => request.path)).toEqual([`/items/${a.itemId}`]);
    expect(limited[0]!.resetAtMs).toBeGreaterThanOrEqual(until);
    expectNoRequestBeforeReset(w.sandbox, '/items/');
    const afterReset = w.sandbox.requests.filter((request) => request.path.startsWith('/items/') && request.atMs >= until);
    expect(new Set(afterReset.map((request) => request.path))).toEqual(new Set([`/items/${a.itemId}`, `/items/${b.itemId}`]));
    expect(w.poller.stats()).toMatchObject({ rateLimited: 1 });
    expect([told(a), told(b)]).toEqual([['sync#0'], ['sync#0']]);
  });
});
