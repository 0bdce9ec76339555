/**
 * The poll driver: carries out connections' `fetch` effects with any `fetchItem(id)` (for
 * example pluggy-sdk's `PluggyClient#fetchItem`). The connection decides when to poll (its
 * backoff); the driver fetches, never twice at once for one item, pauses every fetch while
 * Pluggy answers 429, and reports the outcome back as SNAPSHOT or FETCH_FAILED.
 *
 * About pluggy-sdk 0.90 and 429s: its got client retries a 429 itself, twice, each time after
 * `Retry-After` (always 60 s at Pluggy; got's cap on that wait ends up unset, so it never refuses
 * to wait). One `fetchItem` call can therefore take two minutes and send three requests before it
 * rejects, and then with the bare body `{ code: 429, message }`: the headers are gone, so the
 * driver waits `defaultRetryAfterMs`. A `fetchItem` that rejects with the response (its `status`
 * and `headers`) lets the driver pause every fetch exactly until `RateLimit-Reset`.
 */
import { toFetchError } from '../runtime/commands';
import { systemClock, type Clock } from '../runtime/clock';
import type { Connection } from '../runtime/connection';

export interface PollerOptions {
  /** Fetches the item JSON (`GET /items/{id}`); rejects with whatever the HTTP client rejects with. */
  readonly fetchItem: (itemId: string) => Promise<unknown>;
  readonly clock?: Clock;
  /** Wait after a 429 that says nothing usable about when to retry (pluggy-sdk's bare body; Pluggy's Retry-After is 60 s). */
  readonly defaultRetryAfterMs?: number;
  /** Fetches in flight at once, across items (default 4). */
  readonly maxConcurrent?: number;
  /** 429s in a row for one fetch before it gives up until the next `fetch` effect (default 5). */
  readonly maxRateLimitRetries?: number;
  /** Fetch failures other than 404 and 429 (the connection's own timers ask again later). */
  readonly onError?: (error: unknown, itemId: string) => void;
}

export interface Poller {
  /** Carries out this connection's `fetch` effects from now on; returns a function that detaches it. */
  attach(connection: Connection): () => void;
  /** Fetches an item now (joining a fetch already in flight, then fetching once more). */
  fetch(itemId: string): Promise<void>;
  /** Resolves when no fetch is in flight or waiting. */
  idle(): Promise<void>;
  /** Epoch ms until which fetches are paused by a 429, or null. */
  readonly pausedUntil: number | null;
  stats(): { fetches: number; rateLimited: number; failures: number; inFlight: number };
  stop(): void;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value = (headers as { get(name: string): string | null }).get(name);
    return value ?? undefined;
  }
  const found = Object.entries(headers as Record<string, unknown>).find(([key]) => key.toLowerCase() === name);
  const value = found?.[1];
  return Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
}

/**
 * How long a 429 asks to wait, in ms: `RateLimit-Reset` (seconds until the window resets),
 * else `Retry-After` (seconds), else `fallbackMs`. pluggy-sdk rejects with the bare body, so its
 * 429s carry no headers and get the fallback.
 */
export function rateLimitWaitMs(error: unknown, fallbackMs: number): number {
  const record = error as { headers?: unknown; response?: { headers?: unknown } } | null;
  const headers = record?.response?.headers ?? record?.headers;
  for (const name of ['ratelimit-reset', 'retry-after']) {
    const seconds = Number(header(headers, name));
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  }
  return fallbackMs;
}

interface ItemFetch {
  running: Promise<void>;
  again: boolean;
}

export function createPoller(options: PollerOptions): Poller {
  const clock = options.clock ?? systemClock;
  const fallbackMs = options.defaultRetryAfterMs ?? 60_000;
  const maxConcurrent = options.maxConcurrent ?? 4;
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
  const connections = new Map<string, Connection>();
  const flights = new Map<string, ItemFetch>();
  const slotWaiters: Array<() => void> = [];
  let active = 0;
  let pausedUntil: number | null = null;
  let stopped = false;
  const stats = { fetches: 0, rateLimited: 0, failures: 0 };

  const sleepers = new Map<unknown, () => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const handle = clock.setTimeout(() => {
        sleepers.delete(handle);
        resolve();
      }, ms);
      sleepers.set(handle, resolve);
    });

  /** Resolves true with a slot taken, or false when the poller stopped while waiting for one. */
  const acquire = async (): Promise<boolean> => {
    while (!stopped && active >= maxConcurrent) await new Promise<void>((resolve) => slotWaiters.push(resolve));
    if (stopped) return false;
    active++;
    return true;
  };
  const release = () => {
    active--;
    slotWaiters.shift()?.();
  };

  const fetchOnce = async (itemId: string) => {
    for (let attempt = 0; !stopped; attempt++) {
      while (!stopped && pausedUntil !== null && clock.now() < pausedUntil) await sleep(pausedUntil - clock.now());
      if (stopped) return;
      if (!(await acquire())) return;
      let outcome: { item: unknown } | { error: unknown };
      try {
        stats.fetches++;
        outcome = { item: await options.fetchItem(itemId) };
      } catch (error) {
        outcome = { error };
      } finally {
        release();
      }
      const connection = connections.get(itemId);
      if ('item' in outcome) {
        connection?.send({ type: 'SNAPSHOT', item: outcome.item });
        return;
      }
      const failure = toFetchError(outcome.error);
      if (failure.status === 429 && attempt < maxRateLimitRetries) {
        stats.rateLimited++;
        // Pluggy's limits are per IP: one 429 pauses every fetch of this process.
        pausedUntil = Math.max(pausedUntil ?? 0, clock.now() + rateLimitWaitMs(outcome.error, fallbackMs));
        continue;
      }
      if (failure.status !== 404 && failure.code !== 'ITEM_NOT_FOUND') {
        stats.failures++;
        options.onError?.(outcome.error, itemId);
      }
      connection?.send({ type: 'FETCH_FAILED', error: outcome.error });
      return;
    }
  };

  const fetch = (itemId: string): Promise<void> => {
    const current = flights.get(itemId);
    if (current) {
      // A webhook may have arrived after the request left: fetch once more when it lands.
      current.again = true;
      return current.running;
    }
    const flight: ItemFetch = { running: Promise.resolve(), again: false };
    flight.running = (async () => {
      try {
        do {
          flight.again = false;
          await fetchOnce(itemId);
        } while (flight.again && !stopped);
      } finally {
        flights.delete(itemId);
      }
    })();
    flights.set(itemId, flight);
    return flight.running;
  };

  return {
    attach(connection) {
      connections.set(connection.itemId, connection);
      const off = connection.on('fetch', () => void fetch(connection.itemId));
      return () => {
        off();
        if (connections.get(connection.itemId) === connection) connections.delete(connection.itemId);
      };
    },
    fetch,
    async idle() {
      while (flights.size > 0) await Promise.all([...flights.values()].map((flight) => flight.running));
    },
    get pausedUntil() {
      return pausedUntil !== null && clock.now() < pausedUntil ? pausedUntil : null;
    },
    stats: () => ({ ...stats, inFlight: flights.size }),
    stop() {
      stopped = true;
      for (const [handle, wake] of sleepers) {
        clock.clearTimeout(handle);
        wake();
      }
      sleepers.clear();
      for (const waiter of slotWaiters.splice(0)) waiter();
    },
  };
}
