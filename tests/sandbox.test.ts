/**
 * The local Pluggy sandbox (src/sandbox), driven through pluggy-sdk's own `PluggyClient` and
 * through plain fetch: auth, each sandbox user's timeline, MFA, deletion, accounts arriving later,
 * webhook delivery faults and 429s. The sandbox runs on a simulated clock that the tests move;
 * pluggy-sdk's own 429 retries (real timers inside got) are observed under jest's fake timers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PluggyClient, type Account, type Item, type PageResponse } from 'pluggy-sdk';
import { SimulatedClock } from '../src';
import {
  startSandbox,
  RATE_LIMITED_MESSAGE,
  type AccountJson,
  type ItemJson,
  type PageJson,
  type Sandbox,
  type SandboxOptions,
  type WebhookPayloadJson,
} from '../src/sandbox';

// ---- the sandbox's wire shapes are pluggy-sdk's types with dates as strings (checked by tsc) ----
type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? readonly Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;
const itemShape: (item: ItemJson) => Wire<Item> = (item) => item;
const pageShape: (page: PageJson<AccountJson>) => Wire<PageResponse<Account>> = (page) => page;
void itemShape;
void pageShape;

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SECRET_HEADER = 'x-webhook-secret';
const RATE_LIMITED_BODY = { code: 429, message: RATE_LIMITED_MESSAGE };

const sandboxes: Sandbox[] = [];
const receivers: http.Server[] = [];

interface Simulated {
  readonly sandbox: Sandbox;
  readonly clock: SimulatedClock;
  /** Moves the sandbox clock by `ms` in steps, letting its HTTP traffic settle before each step. */
  advance(ms: number, step?: number): Promise<void>;
  /** Advances in steps until `done()` holds; fails after `limitMs` of sandbox time. */
  until(done: () => boolean, limitMs?: number, step?: number): Promise<void>;
}

/** A sandbox on a simulated clock (script durations unscaled: 1 s logins, 60 s MFA windows...). */
async function sandboxWith(options: SandboxOptions = {}): Promise<Simulated> {
  const clock = new SimulatedClock(Date.now());
  const sandbox = await startSandbox({ clock, ...options });
  sandboxes.push(sandbox);
  const advance = async (ms: number, step = 100): Promise<void> => {
    for (let moved = 0; moved < ms; moved += step) {
      await sandbox.settled();
      clock.advance(Math.min(step, ms - moved));
    }
    await sandbox.settled();
  };
  const until = async (done: () => boolean, limitMs = 60_000, step = 100): Promise<void> => {
    const start = clock.now();
    await sandbox.settled();
    while (!done()) {
      if (clock.now() - start > limitMs) throw new Error(`the condition did not hold within ${limitMs} ms of sandbox time`);
      await advance(step, step);
    }
  };
  return { sandbox, clock, advance, until };
}

/**
 * pluggy-sdk 0.90 types a `baseUrl` option but ignores it: it reads PLUGGY_API_URL when the
 * client is constructed. Both are set, and the test checks where the client points.
 */
function sdkFor(sandbox: Sandbox, secret = sandbox.clientSecret): PluggyClient {
  process.env.PLUGGY_API_URL = sandbox.url;
  const client = new PluggyClient({ clientId: sandbox.clientId, clientSecret: secret, baseUrl: sandbox.url });
  expect((client as unknown as { baseUrl: string }).baseUrl).toBe(sandbox.url);
  return client;
}

async function apiKeyFor(sandbox: Sandbox): Promise<string> {
  const response = await fetch(`${sandbox.url}/auth`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, nonExpiring: false }),
  });
  return ((await response.json()) as { apiKey: string }).apiKey;
}

const stateOf = (item: Pick<Item, 'status' | 'executionStatus'>): string => `${item.status}/${item.executionStatus}`;

/** Fetches with pluggy-sdk, moving the sandbox clock `step` ms between fetches, until `done` holds; returns the distinct states seen. */
async function pollUntil(
  sim: Simulated,
  client: PluggyClient,
  itemId: string,
  done: (item: Item) => boolean,
  { limitMs = 120_000, step = 250 } = {},
): Promise<{ states: string[]; item: Item; items: Item[] }> {
  const states: string[] = [];
  const items: Item[] = [];
  const start = sim.clock.now();
  for (;;) {
    const item = await client.fetchItem(itemId);
    items.push(item);
    if (states[states.length - 1] !== stateOf(item)) states.push(stateOf(item));
    if (done(item)) return { states, item, items };
    if (sim.clock.now() - start > limitMs) throw new Error(`item ${itemId} never settled; states seen: ${states.join(' -> ')}`);
    await sim.advance(step, step);
  }
}

const settled = (item: Pick<Item, 'status'>): boolean => !['UPDATING', 'WAITING_USER_INPUT', 'WAITING_USER_ACTION', 'MERGING'].includes(item.status);
const waitingInput = (item: Item): boolean => item.status === 'WAITING_USER_INPUT';

interface Received {
  readonly payload: WebhookPayloadJson;
  readonly headers: http.IncomingHttpHeaders;
  readonly status: number;
}

/** A webhook receiver; `answer` picks the status for each request (n counts this eventId's requests from 1). */
async function receiver(answer: (payload: WebhookPayloadJson, n: number) => number = () => 200): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayloadJson;
      const n = (seen.get(payload.eventId) ?? 0) + 1;
      seen.set(payload.eventId, n);
      const status = answer(payload, n);
      received.push({ payload, headers: request.headers, status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receivers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

let consoleError: jest.SpyInstance;
beforeAll(() => {
  // pluggy-sdk logs every HTTP error it rejects with; the tests assert on the rejections instead.
  consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  consoleError.mockRestore();
  await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  await Promise.all(receivers.map((server) => new Promise((resolve) => server.close(resolve))));
  delete process.env.PLUGGY_API_URL;
});

describe('auth', () => {
  it('answers 401 without, or with a bad, X-API-KEY, and 404 JSON on unknown routes', async () => {
    const { sandbox } = await sandboxWith();
    const missing = await fetch(`${sandbox.url}/items/anything`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: 401 });

    const forged = await fetch(`${sandbox.url}/items/anything`, { headers: { 'X-API-KEY': 'eyJhbGciOiJIUzI1NiJ9.e30.bad' } });
    expect(forged.status).toBe(401);

    const unknown = await fetch(`${sandbox.url}/nope`, { headers: { 'X-API-KEY': await apiKeyFor(sandbox) } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/json/);
    expect(await unknown.json()).toMatchObject({ code: 404 });
  });

  it('issues a JWT with exp for the right client credentials and 401 for wrong ones', async () => {
    const { sandbox, clock } = await sandboxWith();
    const apiKey = await apiKeyFor(sandbox);
    const [, payload] = apiKey.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { exp: number };
    expect(claims.exp).toBe(Math.floor(clock.now() / 1000) + 7_200);

    const wrong = await fetch(`${sandbox.url}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientId: sandbox.clientId, clientSecret: 'wrong', nonExpiring: false }),
    });
    expect(wrong.status).toBe(401);
    // pluggy-sdk authenticates outside its error mapping, so a bad secret surfaces as got's HTTPError.
    await expect(sdkFor(sandbox, 'wrong').fetchItem('x')).rejects.toMatchObject({ response: { statusCode: 401 } });
  });

  it('refuses an API key once its 2 hours have passed on the sandbox clock', async () => {
    const { sandbox, clock } = await sandboxWith();
    const headers = { 'X-API-KEY': await apiKeyFor(sandbox) };
    const item = await sandbox.createItem('user-ok');
    expect((await fetch(`${sandbox.url}/items/${item.id}`, { headers })).status).toBe(200);
    clock.advance(7_200_000);
    expect((await fetch(`${sandbox.url}/items/${item.id}`, { headers })).status).toBe(401);
  });
});

describe("the sandbox's clock", () => {
  it('moves items only when the clock moves, and stamps everything with its time', async () => {
    const sim = await sandboxWith();
    const item = await sim.sandbox.createItem('user-ok');
    expect(Date.parse(item.createdAt)).toBe(sim.clock.now());
    await sim.sandbox.settled();
    expect(stateOf(sim.sandbox.items.get(item.id)!)).toBe('UPDATING/LOGIN_IN_PROGRESS');

    sim.clock.advance(999);
    expect(stateOf(sim.sandbox.items.get(item.id)!)).toBe('UPDATING/LOGIN_IN_PROGRESS');
    sim.clock.advance(1);
    const collecting = sim.sandbox.items.get(item.id)!;
    expect(stateOf(collecting)).toBe('UPDATING/ACCOUNTS_IN_PROGRESS');
    expect(Date.parse(collecting.updatedAt)).toBe(Date.parse(item.createdAt) + 1_000);
    sim.clock.advance(1_000);
    expect(stateOf(sim.sandbox.items.get(item.id)!)).toBe('UPDATED/SUCCESS');
    expect(sim.sandbox.webhooks.emitted.map((sent) => Date.parse(sent.at) - Date.parse(item.createdAt))).toEqual([1_000, 2_000]);
  });

  it('refuses bad options, naming what was expected and what was received', async () => {
    await expect(startSandbox({ timeScale: 0 })).rejects.toThrow('timeScale: expected a positive number, received 0');
    await expect(startSandbox({ duplicateRate: 2 })).rejects.toThrow('duplicateRate: expected a number within 0..1, received 2');
    const { sandbox } = await sandboxWith();
    expect(() => sandbox.rateLimitFor(0)).toThrow('rateLimitFor: expected a positive duration in ms, received 0');
  });

  it('a timeScale shortens every script duration', async () => {
    const sim = await sandboxWith({ timeScale: 0.5 });
    const item = await sim.sandbox.createItem('user-ok');
    sim.clock.advance(500);
    expect(stateOf(sim.sandbox.items.get(item.id)!)).toBe('UPDATING/ACCOUNTS_IN_PROGRESS');
    sim.clock.advance(500);
    expect(stateOf(sim.sandbox.items.get(item.id)!)).toBe('UPDATED/SUCCESS');
  });
});

describe('sandbox users, observed through pluggy-sdk', () => {
  let sim: Simulated;
  let sandbox: Sandbox;
  let client: PluggyClient;
  beforeAll(async () => {
    sim = await sandboxWith();
    sandbox = sim.sandbox;
    client = sdkFor(sandbox);
  });

  it('user-ok: LOGIN_IN_PROGRESS -> ACCOUNTS_IN_PROGRESS -> UPDATED/SUCCESS with 2 accounts and every item field', async () => {
    const created = await client.createItem(201, { user: 'user-ok', password: 'any' }, { clientUserId: 'u-1' });
    expect(stateOf(created)).toBe('UPDATING/LOGIN_IN_PROGRESS');
    const { states, item, items } = await pollUntil(sim, client, created.id, settled);
    expect(states).toEqual(['UPDATING/LOGIN_IN_PROGRESS', 'UPDATING/ACCOUNTS_IN_PROGRESS', 'UPDATED/SUCCESS']);

    expect(Object.keys(item)).toEqual(
      expect.arrayContaining([
        'id', 'connector', 'status', 'executionStatus', 'createdAt', 'updatedAt', 'lastUpdatedAt', 'parameter', 'userAction',
        'error', 'statusDetail', 'webhookUrl', 'clientUserId', 'consecutiveFailedLoginAttempts', 'nextAutoSyncAt',
      ]),
    );
    expect(item.connector).toMatchObject({ id: 201, isOpenFinance: false });
    expect(item).toMatchObject({ clientUserId: 'u-1', webhookUrl: null, error: null, statusDetail: null, parameter: null, consecutiveFailedLoginAttempts: 0 });
    // ISO dates with milliseconds are revived by pluggy-sdk.
    expect(item.updatedAt).toBeInstanceOf(Date);
    expect(item.lastUpdatedAt).toBeInstanceOf(Date);
    expect(item.updatedAt.getTime()).toBeGreaterThan(item.createdAt.getTime());
    const changes = [...new Set(items.map((seen) => seen.updatedAt.getTime()))];
    expect(changes).toEqual([...changes].sort((a, b) => a - b));
    expect(changes).toHaveLength(3);
    expect(sandbox.items.get(item.id)?.updatedAt).toMatch(ISO_MS);

    const accounts = await client.fetchAccounts(item.id);
    expect(accounts).toMatchObject({ total: 2, totalPages: 1, page: 1 });
    expect(accounts.results.map((account) => account.type).sort()).toEqual(['BANK', 'CREDIT']);
    expect(accounts.results.every((account) => account.itemId === item.id)).toBe(true);
    expect((await client.fetchAccounts(item.id, 'CREDIT')).total).toBe(1);
  });

  it('user-bad-password: LOGIN_ERROR/INVALID_CREDENTIALS with 0 accounts; a PATCH with password-ok then succeeds', async () => {
    const created = await client.createItem(201, { user: 'user-bad-password', password: 'nope' });
    const failed = await pollUntil(sim, client, created.id, settled);
    expect(failed.states).toEqual(['UPDATING/LOGIN_IN_PROGRESS', 'LOGIN_ERROR/INVALID_CREDENTIALS']);
    expect(failed.item.error).toMatchObject({ code: 'INVALID_CREDENTIALS', message: expect.any(String) });
    expect(failed.item.consecutiveFailedLoginAttempts).toBe(1);
    expect(failed.item.nextAutoSyncAt).toBeNull();
    expect((await client.fetchAccounts(created.id)).total).toBe(0);

    const patched = await client.updateItem(created.id, { password: 'password-ok' });
    expect(stateOf(patched)).toBe('UPDATING/LOGIN_IN_PROGRESS');
    expect(patched.error).toBeNull();
    await expect(client.updateItem(created.id)).rejects.toMatchObject({ code: 400, codeDescription: 'ITEM_IS_ALREADY_UPDATING' });
    const healed = await pollUntil(sim, client, created.id, settled);
    expect(healed.states).toEqual(['UPDATING/LOGIN_IN_PROGRESS', 'UPDATING/ACCOUNTS_IN_PROGRESS', 'UPDATED/SUCCESS']);
    expect(healed.item.consecutiveFailedLoginAttempts).toBe(0);
    expect((await client.fetchAccounts(created.id)).total).toBe(2);
    const events = sandbox.webhooks.emitted.filter((sent) => sent.payload.itemId === created.id).map((sent) => sent.payload.event);
    expect(events).toEqual(['item/error', 'item/login_succeeded', 'item/updated']);
  });

  it('user-mfa with the right code: WAITING_USER_INPUT (token parameter) -> LOGIN_MFA_IN_PROGRESS -> UPDATED/SUCCESS', async () => {
    const created = await client.createItem(201, { user: 'user-mfa', password: 'any' });
    const waiting = await pollUntil(sim, client, created.id, waitingInput);
    expect(waiting.item.executionStatus).toBe('WAITING_USER_INPUT');
    expect(waiting.item.parameter).toMatchObject({ name: 'token', label: expect.any(String), type: 'number' });
    expect(waiting.item.parameter?.expiresAt).toBeInstanceOf(Date);
    expect(waiting.item.parameter?.expiresAt?.getTime()).toBe(waiting.item.updatedAt.getTime() + 60_000);

    const answered = await client.updateItemMFA(created.id, { token: '123456' });
    expect(stateOf(answered)).toBe('UPDATING/LOGIN_MFA_IN_PROGRESS');
    const done = await pollUntil(sim, client, created.id, settled);
    expect(done.states).toEqual(['UPDATING/LOGIN_MFA_IN_PROGRESS', 'UPDATING/ACCOUNTS_IN_PROGRESS', 'UPDATED/SUCCESS']);
    expect(done.item.parameter).toBeNull();
  });

  it('user-mfa with a wrong code: LOGIN_ERROR/INVALID_CREDENTIALS_MFA', async () => {
    const created = await client.createItem(201, { user: 'user-mfa', password: 'any' });
    await pollUntil(sim, client, created.id, waitingInput);
    await client.updateItemMFA(created.id, { token: '000000' });
    const { item, states } = await pollUntil(sim, client, created.id, settled);
    expect(states).toEqual(['UPDATING/LOGIN_MFA_IN_PROGRESS', 'LOGIN_ERROR/INVALID_CREDENTIALS_MFA']);
    expect(item.error?.code).toBe('INVALID_CREDENTIALS_MFA');
    await expect(client.updateItemMFA(created.id, { token: '123456' })).rejects.toMatchObject({ code: 400, codeDescription: 'ITEM_MFA_NOT_FOUND' });
  });

  it('user-mfa-timeout: unanswered input becomes OUTDATED/USER_INPUT_TIMEOUT at expiresAt, and a late MFA answers 400 ITEM_MFA_EXPIRED', async () => {
    const created = await client.createItem(201, { user: 'user-mfa-timeout', password: 'any' });
    const { states, item, items } = await pollUntil(sim, client, created.id, settled);
    expect(states).toEqual(['UPDATING/LOGIN_IN_PROGRESS', 'WAITING_USER_INPUT/WAITING_USER_INPUT', 'OUTDATED/USER_INPUT_TIMEOUT']);
    const asked = items.find((seen) => seen.status === 'WAITING_USER_INPUT');
    expect(item.updatedAt.getTime()).toBe(asked?.parameter?.expiresAt?.getTime());
    expect(item.error).toMatchObject({ code: 'USER_INPUT_TIMEOUT' });
    expect(item.parameter).toBeNull();
    const late = client.updateItemMFA(created.id, { token: '123456' });
    await expect(late).rejects.toMatchObject({ code: 400, codeDescription: 'ITEM_MFA_EXPIRED' });
    const error = sandbox.webhooks.emitted.find((sent) => sent.payload.itemId === created.id && sent.payload.event === 'item/error');
    expect(error?.payload).toMatchObject({ error: { code: 'USER_INPUT_TIMEOUT' }, parameter: 'token' });
  });

  it('user-unavailable: OUTDATED/SITE_NOT_AVAILABLE, then an auto-sync at nextAutoSyncAt heals it (item/updated triggeredBy SYNC)', async () => {
    const created = await client.createItem(201, { user: 'user-unavailable', password: 'any' });
    const down = await pollUntil(sim, client, created.id, settled);
    expect(stateOf(down.item)).toBe('OUTDATED/SITE_NOT_AVAILABLE');
    expect(down.item.error?.code).toBe('SITE_NOT_AVAILABLE');
    expect(down.item.nextAutoSyncAt?.getTime()).toBe(down.item.updatedAt.getTime() + 20_000);

    const healed = await pollUntil(sim, client, created.id, (item) => item.status === 'UPDATED');
    expect(healed.states).toEqual(['OUTDATED/SITE_NOT_AVAILABLE', 'UPDATING/LOGIN_IN_PROGRESS', 'UPDATING/ACCOUNTS_IN_PROGRESS', 'UPDATED/SUCCESS']);
    expect(healed.items.find((seen) => seen.status === 'UPDATING')?.updatedAt.getTime()).toBe(down.item.nextAutoSyncAt?.getTime());
    expect(healed.item.error).toBeNull();
    expect(healed.item.nextAutoSyncAt).toBeNull();
    const events = sandbox.webhooks.emitted.filter((sent) => sent.payload.itemId === created.id).map((sent) => sent.payload);
    expect(events.map((payload) => [payload.event, payload.triggeredBy])).toEqual([
      ['item/error', 'CLIENT'],
      ['item/login_succeeded', 'SYNC'],
      ['item/updated', 'SYNC'],
    ]);
  });

  it('user-open-finance: WAITING_USER_ACTION -> UPDATED/PARTIAL_SUCCESS with 0 accounts, then 2 accounts 15 s later without a new execution', async () => {
    const created = await client.createItem(601, { user: 'user-open-finance', cpf: '76109277673' });
    expect(created.connector).toMatchObject({ id: 601, isOpenFinance: true });
    const { states, items, item } = await pollUntil(sim, client, created.id, settled);
    expect(states).toEqual([
      'UPDATING/LOGIN_IN_PROGRESS',
      'WAITING_USER_ACTION/WAITING_USER_ACTION',
      'UPDATING/ACCOUNTS_IN_PROGRESS',
      'UPDATED/PARTIAL_SUCCESS',
    ]);
    const action = items.find((seen) => seen.status === 'WAITING_USER_ACTION')?.userAction;
    expect(action).toMatchObject({ type: 'authorize-access', instructions: expect.any(String), attributes: { url: expect.stringMatching(/^https:\/\//) } });
    expect(action?.expiresAt).toBeInstanceOf(Date);
    expect(item.statusDetail?.accounts).toEqual({
      isUpdated: false,
      lastUpdatedAt: null,
      warnings: [expect.objectContaining({ code: '001', message: expect.any(String) })],
    });
    expect((await client.fetchAccounts(item.id)).total).toBe(0);

    await sim.advance(14_900);
    expect((await client.fetchAccounts(item.id)).total).toBe(0);
    await sim.advance(100);
    expect((await client.fetchAccounts(item.id)).total).toBe(2);
    const after = await client.fetchItem(item.id);
    expect(after.updatedAt.getTime()).toBe(item.updatedAt.getTime());
    expect(stateOf(after)).toBe('UPDATED/PARTIAL_SUCCESS');
  });

  it('user-locked: LOGIN_ERROR/ACCOUNT_LOCKED, on every execution', async () => {
    const created = await client.createItem(201, { user: 'user-locked', password: 'any' });
    const { states, item } = await pollUntil(sim, client, created.id, settled);
    expect(states).toEqual(['UPDATING/LOGIN_IN_PROGRESS', 'LOGIN_ERROR/ACCOUNT_LOCKED']);
    expect(item.error?.code).toBe('ACCOUNT_LOCKED');
    await client.updateItem(created.id);
    const again = await pollUntil(sim, client, created.id, settled);
    expect(again.states).toEqual(['UPDATING/LOGIN_IN_PROGRESS', 'LOGIN_ERROR/ACCOUNT_LOCKED']);
    expect(again.item.consecutiveFailedLoginAttempts).toBe(2);
  });

  it('refuses an unknown sandbox user, and a user on the wrong connector, with a 400 body', async () => {
    await expect(client.createItem(201, { user: 'user-typo', password: 'x' })).rejects.toMatchObject({ code: 400, codeDescription: 'UNKNOWN_SANDBOX_USER' });
    await expect(client.createItem(201, { user: 'user-open-finance' })).rejects.toMatchObject({ code: 400, codeDescription: 'CONNECTOR_USER_MISMATCH' });
  });

  it('DELETE: GET then answers 404 ITEM_NOT_FOUND, which pluggy-sdk rejects with as a plain body, not an Error', async () => {
    const created = await client.createItem(201, { user: 'user-ok', password: 'any' });
    await client.deleteItem(created.id);
    expect(sandbox.items.has(created.id)).toBe(false);

    const rejection: unknown = await client.fetchItem(created.id).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(rejection).not.toBeInstanceOf(Error);
    expect(rejection).toEqual({ code: 404, codeDescription: 'ITEM_NOT_FOUND', message: 'Item not found' });

    const raw = await fetch(`${sandbox.url}/items/${created.id}`, { headers: { 'X-API-KEY': await apiKeyFor(sandbox) } });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ code: 404, codeDescription: 'ITEM_NOT_FOUND', message: 'Item not found' });

    // The deleted item's execution stops: no step of its script runs any more.
    await sim.advance(5_000);
    const events = sandbox.webhooks.emitted.filter((sent) => sent.payload.itemId === created.id).map((sent) => sent.payload.event);
    expect(events).toEqual(['item/deleted']);
  });
});

describe('webhooks', () => {
  it('posts each event with the configured header, a fresh uuid eventId and the item id, and retries after a 500', async () => {
    const hooks = await receiver((_payload, n) => (n <= 2 ? 500 : 200));
    const sim = await sandboxWith({ webhookHeaders: { [SECRET_HEADER]: 's3cret' } });
    const item = await sim.sandbox.createItem('user-ok', { webhookUrl: hooks.url, clientUserId: 'u-9' });
    await sim.until(() => sim.sandbox.items.get(item.id)?.status === 'UPDATED' && sim.sandbox.webhooks.stats().pending === 0);

    const acknowledged = hooks.received.filter((request) => request.status === 200).map((request) => request.payload);
    expect(acknowledged.map((payload) => payload.event)).toEqual(['item/login_succeeded', 'item/created']);
    for (const payload of acknowledged) {
      expect(payload).toMatchObject({ id: item.id, itemId: item.id, triggeredBy: 'CLIENT', clientUserId: 'u-9' });
      expect(payload.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(acknowledged.map((payload) => payload.eventId)).size).toBe(2);
    expect(hooks.received.every((request) => request.headers[SECRET_HEADER] === 's3cret')).toBe(true);

    const first = sim.sandbox.webhooks.log.filter((entry) => entry.eventId === acknowledged[0]?.eventId);
    expect(first.map((entry) => [entry.kind, entry.status])).toEqual([
      ['original', 500],
      ['retry', 500],
      ['retry', 200],
    ]);
    expect(sim.sandbox.webhooks.stats()).toMatchObject({ events: 2, attempts: 6, delivered: 2, retries: 4, failedAttempts: 4, failures: 0, pending: 0 });
  });

  it('after 3 immediate failures waits the backoff, gives up when attempts run out, and never retries a 401', async () => {
    const hooks = await receiver((payload, n) => (payload.event === 'item/error' ? 401 : n <= 4 ? 503 : 200));
    const sim = await sandboxWith({ webhookRetryDelaysMs: [0, 0, 0, 3_600_000, 0] });
    const ok = await sim.sandbox.createItem('user-ok', { webhookUrl: hooks.url });
    const locked = await sim.sandbox.createItem('user-locked', { webhookUrl: hooks.url });
    await sim.advance(2_000);

    const createdLog = () => sim.sandbox.webhooks.log.filter((entry) => entry.itemId === ok.id && entry.event === 'item/created');
    expect(createdLog().map((entry) => entry.status)).toEqual([503, 503, 503]);
    await sim.advance(3_600_000 - 100, 60_000);
    expect(createdLog()).toHaveLength(3);
    await sim.advance(100);
    expect(createdLog().map((entry) => entry.status)).toEqual([503, 503, 503, 503, 200]);
    const created = createdLog();
    expect(Date.parse(created[3]?.at ?? '') - Date.parse(created[2]?.at ?? '')).toBe(3_600_000);

    const refused = sim.sandbox.webhooks.log.filter((entry) => entry.itemId === locked.id);
    expect(refused.map((entry) => entry.status)).toEqual([401]);
    expect(sim.sandbox.webhooks.stats()).toMatchObject({ delivered: 2, failures: 1, pending: 0 });
  });

  it('sends to the application-level webhookUrl the events of items created without one', async () => {
    const app = await receiver();
    const own = await receiver();
    const sim = await sandboxWith({ webhookUrl: app.url });
    const a = await sim.sandbox.createItem('user-locked');
    const b = await sim.sandbox.createItem('user-locked', { webhookUrl: own.url });
    await sim.advance(1_000);
    expect(app.received.map((request) => request.payload.itemId)).toEqual([a.id]);
    expect(own.received.map((request) => request.payload.itemId)).toEqual([b.id]);
  });

  it('duplicateRate re-delivers acknowledged events with the SAME eventId', async () => {
    const hooks = await receiver();
    const sim = await sandboxWith({ webhookUrl: hooks.url, duplicateRate: 1 });
    const item = await sim.sandbox.createItem('user-ok');
    await sim.until(() => sim.sandbox.items.get(item.id)?.status === 'UPDATED' && sim.sandbox.webhooks.stats().pending === 0);

    const byEventId = new Map<string, string[]>();
    for (const { payload } of hooks.received) byEventId.set(payload.eventId, [...(byEventId.get(payload.eventId) ?? []), payload.event]);
    expect([...byEventId.values()]).toEqual([
      ['item/login_succeeded', 'item/login_succeeded'],
      ['item/created', 'item/created'],
    ]);
    expect(sim.sandbox.webhooks.stats()).toMatchObject({ events: 2, delivered: 2, duplicatesSent: 2 });
    expect(sim.sandbox.webhooks.log.filter((entry) => entry.kind === 'duplicate')).toHaveLength(2);
  });

  it('reorder holds some deliveries back so they arrive out of order, the same way for the same seed', async () => {
    const runOnce = async (): Promise<{ emitted: string[]; arrived: string[]; held: number[] }> => {
      const hooks = await receiver();
      const sim = await sandboxWith({ webhookUrl: hooks.url, reorder: true, seed: 7 });
      const items = await Promise.all([sim.sandbox.createItem('user-ok'), sim.sandbox.createItem('user-ok'), sim.sandbox.createItem('user-locked')]);
      await sim.until(() => items.every((item) => settled(sim.sandbox.items.get(item.id)!)) && sim.sandbox.webhooks.stats().pending === 0);
      return {
        emitted: sim.sandbox.webhooks.emitted.map((sent) => sent.payload.eventId),
        arrived: hooks.received.map((request) => request.payload.eventId),
        held: sim.sandbox.webhooks.emitted.map((sent) => sim.sandbox.webhooks.log.find((entry) => entry.eventId === sent.payload.eventId)?.heldBackMs ?? -1),
      };
    };
    const first = await runOnce();
    expect([...first.arrived].sort()).toEqual([...first.emitted].sort());
    expect(first.arrived).not.toEqual(first.emitted);
    const second = await runOnce();
    expect(second.held).toEqual(first.held);
  });
});

describe('rate limits', () => {
  it('answers 429 with the documented body and headers when one item is polled faster than minPollIntervalMs', async () => {
    const { sandbox, clock } = await sandboxWith({ minPollIntervalMs: 1_000 });
    const item = await sandbox.createItem('user-ok');
    const headers = { 'X-API-KEY': await apiKeyFor(sandbox) };
    expect((await fetch(`${sandbox.url}/items/${item.id}`, { headers })).status).toBe(200);
    const limited = await fetch(`${sandbox.url}/items/${item.id}`, { headers });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual(RATE_LIMITED_BODY);
    expect(limited.headers.get('ratelimit-limit')).toBe('60');
    expect(limited.headers.get('ratelimit-reset')).toBe('1');
    expect(limited.headers.get('retry-after')).toBe('60');
    // the limit is per item
    const other = await sandbox.createItem('user-ok');
    expect((await fetch(`${sandbox.url}/items/${other.id}`, { headers })).status).toBe(200);
    clock.advance(1_000);
    expect((await fetch(`${sandbox.url}/items/${item.id}`, { headers })).status).toBe(200);
  });

  it('rateLimitNext(n, reset) answers 429 to the next n requests, then normally again', async () => {
    const { sandbox } = await sandboxWith();
    const item = await sandbox.createItem('user-ok');
    const headers = { 'X-API-KEY': await apiKeyFor(sandbox) };
    sandbox.rateLimitNext(2, 7);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`${sandbox.url}/items/${item.id}`, { headers });
      statuses.push(response.status);
      if (response.status === 429) expect(response.headers.get('ratelimit-reset')).toBe('7');
    }
    expect(statuses).toEqual([429, 429, 200]);
    expect(sandbox.requests.slice(-3).map((entry) => entry.resetAtMs !== undefined)).toEqual([true, true, false]);
  });

  it('rateLimitFor(ms) answers 429 until the window ends, RateLimit-Reset counting down, and logs when each 429 said it resets', async () => {
    const { sandbox, clock } = await sandboxWith();
    const item = await sandbox.createItem('user-ok');
    const headers = { 'X-API-KEY': await apiKeyFor(sandbox) };
    const until = sandbox.rateLimitFor(45_000, { method: 'GET', pathPrefix: '/items' });
    expect(until).toBe(clock.now() + 45_000);
    const resets: Array<string | null> = [];
    for (const step of [0, 10_000, 34_500]) {
      clock.advance(step);
      const response = await fetch(`${sandbox.url}/items/${item.id}`, { headers });
      expect(response.status).toBe(429);
      resets.push(response.headers.get('ratelimit-reset'));
    }
    expect(resets).toEqual(['45', '35', '1']);
    // Other routes are not in the window.
    expect((await fetch(`${sandbox.url}/accounts?itemId=${item.id}`, { headers })).status).toBe(200);
    clock.advance(500);
    expect((await fetch(`${sandbox.url}/items/${item.id}`, { headers })).status).toBe(200);
    const limited = sandbox.requests.filter((entry) => entry.status === 429);
    expect(limited.map((entry) => entry.resetAtMs! - entry.atMs)).toEqual([45_000, 35_000, 1_000]);
  });
});

describe("pluggy-sdk's own 429 retry (got 11, real timers: observed under jest's fake timers)", () => {
  // got caps the Retry-After it will wait with `maxRetryAfter`, which defaults to the request timeout;
  // pluggy-sdk passes `timeout` as a number to `got.extend`, so the cap ends up Infinity and got
  // always waits Retry-After (60 s at Pluggy) and retries, twice, for GET and for mutations.
  let fake: Sandbox;
  let client: PluggyClient;
  let itemId: string;
  const tick = async (ms: number, step = 1_000): Promise<void> => {
    for (let moved = 0; moved < ms; moved += step) {
      await fake.settled();
      jest.advanceTimersByTime(step);
    }
    await fake.settled();
  };

  beforeEach(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask'] });
    fake = await startSandbox(); // the process clock, faked: got's retry timer and the sandbox share it
    sandboxes.push(fake);
    client = sdkFor(fake);
    itemId = (await client.createItem(201, { user: 'user-ok', password: 'any' })).id;
    await client.fetchItem(itemId); // authenticated already, so the storm hits the item requests themselves
  });
  afterEach(async () => {
    await fake.close();
    jest.useRealTimers();
  });

  it('retries a 429 after Retry-After (60 s), twice, then rejects with the bare 429 body: no headers, not an Error', async () => {
    fake.rateLimitNext(3, 60);
    const start = Date.now();
    const before = fake.requests.length;
    let outcome: unknown = 'pending';
    void client.fetchItem(itemId).then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await tick(119_000);
    expect(outcome).toBe('pending');
    await tick(2_000);
    expect(outcome).toEqual(RATE_LIMITED_BODY);
    expect(outcome).not.toBeInstanceOf(Error);
    expect(fake.requests.slice(before).map((entry) => [entry.atMs - start, entry.status])).toEqual([
      [0, 429],
      [60_000, 429],
      [120_000, 429],
    ]);
  });

  it('absorbs a rate-limit window shorter than Retry-After: one 429, then the item 60 s later', async () => {
    fake.rateLimitFor(45_000, { method: 'GET' });
    const start = Date.now();
    const before = fake.requests.length;
    let outcome: unknown = 'pending';
    void client.fetchItem(itemId).then(
      (item) => (outcome = item),
      (error: unknown) => (outcome = error),
    );
    await tick(61_000);
    expect(outcome).toMatchObject({ id: itemId });
    expect(fake.requests.slice(before).map((entry) => [entry.atMs - start, entry.status])).toEqual([
      [0, 429],
      [60_000, 200],
    ]);
  });

  it('retries mutations too (PATCH), with the same wait', async () => {
    await tick(3_000); // user-ok has finished its first execution, so PATCH may start another
    fake.rateLimitNext(1, 60, { method: 'PATCH' });
    const start = Date.now();
    let outcome: unknown = 'pending';
    void client.updateItem(itemId).then(
      (item) => (outcome = item),
      (error: unknown) => (outcome = error),
    );
    await tick(61_000);
    expect(outcome).toMatchObject({ id: itemId, status: 'UPDATING' });
    expect(fake.requests.filter((entry) => entry.method === 'PATCH').map((entry) => [entry.atMs - start, entry.status])).toEqual([
      [0, 429],
      [60_000, 200],
    ]);
  });
});
