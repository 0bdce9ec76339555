/**
 * `startSandbox()`: a local stand-in for Pluggy's API on 127.0.0.1, enough for pluggy-sdk's
 * `PluggyClient` (auth, items, MFA, accounts) and for a webhook receiver, with scripted users
 * (./users), webhook faults (./webhooks) and 429s (./rateLimit).
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as realDelay } from 'node:timers/promises';
import { systemClock, type Clock } from '../runtime/clock';
import { ApiKeys } from './apiKey';
import { API_KEY_TTL_SECONDS, DIRECT_CONNECTOR_ID, OPEN_FINANCE_CONNECTOR_ID, RETRY_AFTER_SECONDS, WEBHOOK_RETRY_DELAYS_MS, WEBHOOK_TIMEOUT_MS } from './constants';
import { SandboxHttpError, badRequest } from './errors';
import { isRecord, readJson, sendJson } from './http';
import { ItemStore, type ItemChangeKind } from './items';
import { RateLimiter, type RateLimitMatch } from './rateLimit';
import { Timers } from './timers';
import type { AccountJson, ErrorBodyJson, ItemJson, PageJson } from './types';
import { USER_SCRIPTS, type SandboxUser } from './users';
import { WebhookDispatcher, type EmittedWebhook, type WebhookDeliveryLogEntry, type WebhookStats } from './webhooks';

export interface SandboxOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Credentials `POST /auth` accepts; random by default. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /**
   * The sandbox's time (default: the process clock). Pass a `SimulatedClock` (or any `Clock`) to
   * move items through their scripts, webhook backoffs, API-key expiry and rate-limit windows
   * without waiting.
   */
  readonly clock?: Clock;
  /** Multiplies every script duration and webhook backoff (default 1; real-time tests use ~0.01–0.05). */
  readonly timeScale?: number;
  /** Application-level webhook: receives the events of items created without a `webhookUrl`. */
  readonly webhookUrl?: string;
  /** Headers sent with every webhook delivery, e.g. a shared secret. */
  readonly webhookHeaders?: Readonly<Record<string, string>>;
  /** 0..1: chance that an acknowledged event is delivered once more with the same `eventId` (default 0). */
  readonly duplicateRate?: number;
  /** Hold some deliveries back so later events overtake them (default false). */
  readonly reorder?: boolean;
  /** Seed of the PRNG behind `duplicateRate` and `reorder` (default 1). */
  readonly seed?: number;
  /** Waits (script ms, scaled) before each webhook attempt after a failure; default `WEBHOOK_RETRY_DELAYS_MS` (9 attempts). */
  readonly webhookRetryDelaysMs?: readonly number[];
  /** Real ms a webhook attempt may take before it counts as failed (default `WEBHOOK_TIMEOUT_MS`). */
  readonly webhookTimeoutMs?: number;
  /** `GET /items/{id}` again for the same item within this many ms answers 429 (default 0: off). */
  readonly minPollIntervalMs?: number;
  /** Lifetime of issued API keys in (clock) seconds (default 2 h). */
  readonly apiKeyTtlSeconds?: number;
}

export interface SandboxCreateItemOptions {
  readonly webhookUrl?: string;
  readonly clientUserId?: string;
  /** Extra or overriding credentials (e.g. `{ password: 'password-ok' }`); `user` is always the sandbox user. */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface RequestLogEntry {
  /** When the request arrived (sandbox clock). */
  readonly at: string;
  /** `at` in epoch ms. */
  readonly atMs: number;
  readonly method: string;
  /** Path and query, as requested. */
  readonly path: string;
  readonly status: number;
  /** For a 429: when it said the window resets (`at` + `RateLimit-Reset` seconds), epoch ms. */
  readonly resetAtMs?: number;
}

export interface SandboxWebhooks {
  stats(): WebhookStats;
  /** Every HTTP attempt, in the order they finished. */
  readonly log: readonly WebhookDeliveryLogEntry[];
  /** Every event, in the order it was emitted. */
  readonly emitted: readonly EmittedWebhook[];
  /** Resolves when every event has been acknowledged or given up. */
  whenIdle(): Promise<void>;
}

export interface Sandbox {
  /** `http://127.0.0.1:<port>`: set `process.env.PLUGGY_API_URL` to it before constructing a `PluggyClient` (pluggy-sdk 0.90 ignores its `baseUrl` option). */
  readonly url: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Current snapshot of every existing item, by id (frozen; replaced on each change; deleted items are removed). */
  readonly items: ReadonlyMap<string, ItemJson>;
  /** What `GET /accounts?itemId=` lists now; throws `SandboxHttpError` 404 for an unknown item. */
  accounts(itemId: string): readonly AccountJson[];
  /** Creates an item as `POST /items` would (connector picked from the user), triggeredBy CLIENT. */
  createItem(user: SandboxUser, options?: SandboxCreateItemOptions): Promise<ItemJson>;
  /** Resolves with the first snapshot (current or future) that satisfies `predicate`; rejects on timeout (real ms) or deletion. */
  waitForItem(itemId: string, predicate: (item: ItemJson) => boolean, timeoutMs?: number): Promise<ItemJson>;
  /** Called with every new snapshot, and with the last one when the item is deleted; returns an unsubscribe function. */
  onItemChange(listener: (item: ItemJson, kind: ItemChangeKind) => void): () => void;
  /** The next `count` requests (matching `match`, default all) answer 429 with `RateLimit-Reset: resetSeconds` (default 60). */
  rateLimitNext(count: number, resetSeconds?: number, match?: RateLimitMatch): void;
  /**
   * Every request (matching `match`) answers 429 for the next `ms` of the sandbox clock, with
   * `RateLimit-Reset` counting down to the end; returns that end (epoch ms).
   */
  rateLimitFor(ms: number, match?: RateLimitMatch): number;
  readonly webhooks: SandboxWebhooks;
  /** Every HTTP request the sandbox answered, in order. */
  readonly requests: readonly RequestLogEntry[];
  /** Requests being answered and webhook POSTs awaiting an answer, right now. */
  inFlight(): { readonly requests: number; readonly webhookPosts: number };
  /**
   * Resolves once nothing has moved for `quietMs` real milliseconds: no request being answered, no
   * webhook POST in flight, no new request or delivery attempt. With a simulated clock, call it
   * before each `advance()` so every reaction to the last step has reached the sandbox.
   */
  settled(quietMs?: number): Promise<void>;
  /** Stops the server, every timer and every webhook delivery in flight. */
  close(): Promise<void>;
}

const ITEM_PATH = /^\/items\/([^/]+)$/;
const MFA_PATH = /^\/items\/([^/]+)\/mfa$/;
const MAX_REQUEST_LOG = 10_000;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 500;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const timeScale = options.timeScale ?? 1;
  if (!Number.isFinite(timeScale) || timeScale <= 0) throw new RangeError(`timeScale: expected a positive number, received ${timeScale}`);
  const duplicateRate = options.duplicateRate ?? 0;
  if (!(duplicateRate >= 0 && duplicateRate <= 1)) throw new RangeError(`duplicateRate: expected a number within 0..1, received ${duplicateRate}`);
  const minPollIntervalMs = options.minPollIntervalMs ?? 0;
  if (!(minPollIntervalMs >= 0)) throw new RangeError(`minPollIntervalMs: expected a number >= 0, received ${minPollIntervalMs}`);
  const retryDelaysMs = options.webhookRetryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS;
  if (retryDelaysMs.length === 0 || retryDelaysMs.some((ms) => !(ms >= 0))) {
    throw new RangeError(`webhookRetryDelaysMs: expected a non-empty list of numbers >= 0, received ${JSON.stringify(retryDelaysMs)}`);
  }
  const defaultWebhookUrl = options.webhookUrl === undefined ? null : checkWebhookUrl(options.webhookUrl);

  const clientId = options.clientId ?? `sandbox-client-${randomBytes(4).toString('hex')}`;
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex');
  const clock = options.clock ?? systemClock;
  const timers = new Timers(timeScale, clock);
  const webhooks = new WebhookDispatcher(
    {
      headers: options.webhookHeaders ?? {},
      duplicateRate,
      reorder: options.reorder ?? false,
      seed: options.seed ?? 1,
      retryDelaysMs,
      timeoutMs: options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS,
    },
    timers,
  );
  const store = new ItemStore({ timers, webhooks, defaultWebhookUrl });
  const limiter = new RateLimiter(minPollIntervalMs, () => clock.now());
  const apiKeys = new ApiKeys(options.apiKeyTtlSeconds ?? API_KEY_TTL_SECONDS, () => clock.now());
  const requests: RequestLogEntry[] = [];
  let requestsSeen = 0;
  let requestsInFlight = 0;

  async function route(request: IncomingMessage, method: string, path: string, query: URLSearchParams): Promise<Answer> {
    const storm = limiter.checkStorm(method, path);
    if (storm) return storm;

    if (path === '/auth') {
      if (method !== 'POST') return notFound(method, path);
      const body = await readJson(request);
      if (isRecord(body) && body['clientId'] === clientId && body['clientSecret'] === clientSecret) {
        return ok({ apiKey: apiKeys.issue(clientId) });
      }
      return { status: 401, body: { code: 401, message: 'Invalid client credentials' } };
    }

    const itemMatch = ITEM_PATH.exec(path);
    const mfaMatch = MFA_PATH.exec(path);
    const known =
      (path === '/items' && method === 'POST') ||
      (path === '/accounts' && method === 'GET') ||
      (itemMatch !== null && ['GET', 'PATCH', 'DELETE'].includes(method)) ||
      (mfaMatch !== null && method === 'POST');
    if (!known) return notFound(method, path);

    const apiKey = request.headers['x-api-key'];
    if (!apiKeys.verify(typeof apiKey === 'string' ? apiKey : undefined)) {
      return { status: 401, body: { code: 401, message: 'Missing or invalid X-API-KEY header' } };
    }

    if (path === '/items') return ok(store.create(createRequest(await readJson(request))));
    if (path === '/accounts') return ok(accountsPage(query));
    if (mfaMatch) {
      const body = await readJson(request);
      if (!isRecord(body)) throw badRequest('ITEM_MFA_PARAMETER_EXPECTED_MISMATCH', 'The body must be an object {[parameter.name]: value}');
      return ok(store.submitMfa(decodeURIComponent(mfaMatch[1] ?? ''), body));
    }
    const itemId = decodeURIComponent(itemMatch?.[1] ?? '');
    if (method === 'GET') {
      const limited = limiter.checkPoll(itemId);
      return limited ?? ok(store.get(itemId));
    }
    if (method === 'PATCH') return ok(store.update(itemId, updateRequest(await readJson(request))));
    return ok(store.delete(itemId));
  }

  function accountsPage(query: URLSearchParams): PageJson<AccountJson> {
    const itemId = query.get('itemId');
    if (!itemId) throw badRequest('ITEM_ID_REQUIRED', 'The itemId query parameter is required');
    const type = query.get('type');
    const all = store.accounts(itemId).filter((account) => !type || account.type === type);
    const page = positiveInteger(query.get('page'), 1);
    const pageSize = Math.min(positiveInteger(query.get('pageSize'), DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    return {
      total: all.length,
      totalPages: Math.ceil(all.length / pageSize),
      page,
      results: all.slice((page - 1) * pageSize, page * pageSize),
    };
  }

  const server = http.createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    requestsSeen += 1;
    requestsInFlight += 1;
    const atMs = clock.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const target = request.url ?? '/';
    const parsed = new URL(target, 'http://sandbox.invalid');
    const path = parsed.pathname.length > 1 ? parsed.pathname.replace(/\/+$/, '') : parsed.pathname;
    let answer: Answer;
    try {
      answer = await route(request, method, path, parsed.searchParams);
    } catch (error) {
      answer =
        error instanceof SandboxHttpError
          ? { status: error.status, body: error.body }
          : { status: 500, body: { code: 500, message: error instanceof Error ? error.message : String(error) } };
    }
    const reset = answer.status === 429 ? Number(answer.headers?.['RateLimit-Reset']) : NaN;
    requests.push({
      at: new Date(atMs).toISOString(),
      atMs,
      method,
      path: target,
      status: answer.status,
      ...(Number.isFinite(reset) ? { resetAtMs: atMs + reset * 1000 } : {}),
    });
    if (requests.length > MAX_REQUEST_LOG) requests.shift();
    if (!response.destroyed) sendJson(response, answer.status, answer.body, answer.headers);
    requestsInFlight -= 1;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | null = null;
  const waiters = new Set<() => void>();

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    clientId,
    clientSecret,
    items: store.snapshots,
    accounts: (itemId) => store.accounts(itemId),
    createItem: async (user, createOptions = {}) => {
      const openFinance = USER_SCRIPTS[user].openFinance;
      return store.create({
        connectorId: openFinance ? OPEN_FINANCE_CONNECTOR_ID : DIRECT_CONNECTOR_ID,
        parameters: {
          ...(openFinance ? { cpf: '76109277673' } : { password: 'sandbox-password' }),
          ...createOptions.parameters,
          user,
        },
        webhookUrl: createOptions.webhookUrl === undefined ? null : checkWebhookUrl(createOptions.webhookUrl),
        clientUserId: createOptions.clientUserId ?? null,
      });
    },
    waitForItem: (itemId, predicate, timeoutMs = 5_000) =>
      new Promise<ItemJson>((resolve, reject) => {
        let last = store.snapshots.get(itemId);
        if (last && predicate(last)) {
          resolve(last);
          return;
        }
        const stop = (): void => {
          clearTimeout(timer);
          unsubscribe();
          waiters.delete(onClose);
        };
        const onClose = (): void => {
          stop();
          reject(new Error(`sandbox closed while waiting for item ${itemId}`));
        };
        const timer = setTimeout(() => {
          stop();
          const state = last ? `${last.status}/${last.executionStatus}` : 'no such item';
          reject(new Error(`item ${itemId} did not reach the expected state within ${timeoutMs} ms (last: ${state})`));
        }, timeoutMs);
        const unsubscribe = store.onChange((item, kind) => {
          if (item.id !== itemId) return;
          last = item;
          if (kind === 'deleted') {
            stop();
            reject(new Error(`item ${itemId} was deleted while waiting for it`));
          } else if (predicate(item)) {
            stop();
            resolve(item);
          }
        });
        waiters.add(onClose);
      }),
    onItemChange: (listener) => store.onChange(listener),
    rateLimitNext: (count, resetSeconds = RETRY_AFTER_SECONDS, match = {}) => limiter.forceNext(count, resetSeconds, match),
    rateLimitFor: (ms, match = {}) => limiter.forceFor(ms, match),
    webhooks: {
      stats: () => webhooks.stats(),
      log: webhooks.log,
      emitted: webhooks.emitted,
      whenIdle: () => webhooks.whenIdle(),
    },
    requests,
    inFlight: () => ({ requests: requestsInFlight, webhookPosts: webhooks.postsInFlight }),
    settled: async (quietMs = 5) => {
      // Real time on purpose: what is awaited is I/O on 127.0.0.1, not the (maybe simulated) clock.
      // Each turn waits at least 1 real ms, so `quietMs` quiet turns span at least `quietMs` ms.
      const activity = () => `${requestsSeen}/${requestsInFlight}/${webhooks.stats().attempts}/${webhooks.postsInFlight}`;
      let last = activity();
      for (let quiet = 0; quiet < quietMs; ) {
        await realDelay(1);
        const now = activity();
        const busy = requestsInFlight > 0 || webhooks.postsInFlight > 0;
        quiet = now !== last || busy ? 0 : quiet + 1;
        last = now;
      }
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        timers.close();
        webhooks.close();
        store.close();
        for (const onClose of [...waiters]) onClose();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function notFound(method: string, path: string): Answer {
  const body: ErrorBodyJson = { code: 404, codeDescription: 'NOT_FOUND', message: `Cannot ${method} ${path}` };
  return { status: 404, body };
}

function positiveInteger(value: string | null, fallback: number): number {
  const parsed = value === null ? NaN : Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

function checkWebhookUrl(value: unknown): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value;
    } catch {
      // falls through to the error below
    }
  }
  throw badRequest('INVALID_WEBHOOK_URL', `webhookUrl must be an http(s) URL, got ${JSON.stringify(value)}`);
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (!isRecord(value)) throw badRequest('PARAMETERS_NOT_PROVIDED', `${field} must be an object of credential values`);
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') result[key] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') result[key] = String(entry);
    else throw badRequest('INVALID_PARAMETERS', `${field}.${key} must be a string`);
  }
  return result;
}

function optionalString(body: Record<string, unknown>, field: string): string | null | undefined {
  const value = body[field];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw badRequest('INVALID_PARAMETERS', `${field} must be a string`);
  return value;
}

function createRequest(body: unknown): Parameters<ItemStore['create']>[0] {
  if (!isRecord(body)) throw badRequest('INVALID_PARAMETERS', 'The body must be an object {connectorId, parameters, webhookUrl?, clientUserId?}');
  const connectorId = typeof body['connectorId'] === 'string' ? Number(body['connectorId']) : body['connectorId'];
  if (typeof connectorId !== 'number' || !Number.isInteger(connectorId)) {
    throw badRequest('INVALID_PARAMETERS', 'connectorId must be an integer');
  }
  if (body['parameters'] === undefined) throw badRequest('PARAMETERS_NOT_PROVIDED', 'parameters are required');
  const webhookUrl = optionalString(body, 'webhookUrl');
  return {
    connectorId,
    parameters: stringMap(body['parameters'], 'parameters'),
    webhookUrl: webhookUrl === undefined || webhookUrl === null ? null : checkWebhookUrl(webhookUrl),
    clientUserId: optionalString(body, 'clientUserId') ?? null,
  };
}

function updateRequest(body: unknown): Parameters<ItemStore['update']>[1] {
  if (body === undefined) return {};
  if (!isRecord(body)) throw badRequest('INVALID_PARAMETERS', 'The body must be an object {parameters?, webhookUrl?, clientUserId?}');
  const webhookUrl = optionalString(body, 'webhookUrl');
  const clientUserId = optionalString(body, 'clientUserId');
  return {
    ...(body['parameters'] === undefined || body['parameters'] === null ? {} : { parameters: stringMap(body['parameters'], 'parameters') }),
    ...(webhookUrl === undefined ? {} : { webhookUrl: webhookUrl === null ? null : checkWebhookUrl(webhookUrl) }),
    ...(clientUserId === undefined ? {} : { clientUserId }),
  };
}
