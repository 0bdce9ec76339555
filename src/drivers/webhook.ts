/**
 * The webhook receiver: a node `http` request handler (also usable as Express middleware and
 * from Fastify) for Pluggy's webhooks. It checks a shared-secret header in constant time (401,
 * which Pluggy does not retry), limits the body (413), validates it (400), answers 2xx before
 * doing any work (or, with `waitForEvent`, once the work is done), deduplicates by `eventId`
 * (Pluggy retries, and both subscription modes can deliver one event twice), and hands each new
 * event to `onEvent`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../runtime/clock';
import type { Connection } from '../runtime/connection';
import type { ParsingMode } from '../vocabulary/fields';
import { safeParseWebhook, type WebhookPayload } from '../vocabulary/webhook';

/** Remembers eventIds for a while. Return true when `eventId` was already seen (and remember it otherwise). */
export interface DedupeStore {
  seen(eventId: string, now: number): boolean | Promise<boolean>;
  /**
   * Forgets an eventId whose hand-off failed, so that Pluggy's retry of it is handed on again
   * (used with `waitForEvent`). A store without it treats that retry as a duplicate.
   */
  forget?(eventId: string): void | Promise<void>;
}

/** Pluggy retries for up to ~3 hours (3 immediate tries, then after 1 h and 2 h more): remember ids a bit longer. */
export const DEDUPE_TTL_MS = (3 * 60 + 15) * 60_000;

/** An in-memory dedupe store with a time-to-live and a size bound. */
export function memoryDedupeStore(ttlMs = DEDUPE_TTL_MS, maxEntries = 1_000_000): DedupeStore {
  const expiries = new Map<string, number>();
  return {
    seen(eventId, now) {
      const expiry = expiries.get(eventId);
      if (expiry !== undefined && expiry > now) return true;
      expiries.delete(eventId);
      expiries.set(eventId, now + ttlMs);
      // Maps iterate in insertion order: the oldest entries come first.
      for (const [id, until] of expiries) {
        if (until > now && expiries.size <= maxEntries) break;
        expiries.delete(id);
      }
      return false;
    },
    forget(eventId) {
      expiries.delete(eventId);
    },
  };
}

export interface WebhookReceiverOptions {
  /** Called with each new, valid event: after the 2xx answer went out, or before it with `waitForEvent`. */
  readonly onEvent: (payload: WebhookPayload) => void | Promise<void>;
  /**
   * Answer only once `onEvent` has finished, for hosts whose `onEvent` stores the event (the durable
   * processor): 200 when it resolved; 503 when it threw or took longer than `timeoutMs` (default
   * 4 s, under the 5 s Pluggy waits), so that Pluggy delivers the event again, and the eventId is
   * forgotten by the dedupe store. Off by default: the 200 goes out first and `onEvent` runs after,
   * its errors reaching only `onError`.
   */
  readonly waitForEvent?: boolean | { readonly timeoutMs?: number };
  /** The header Pluggy sends with every delivery (configured with `createWebhook(event, url, headers)`). */
  readonly secret?: { readonly header: string; readonly value: string };
  /** Default 256 KiB. */
  readonly maxBodyBytes?: number;
  /** Default: in memory for 3 h 15 min. `false` turns deduplication off. */
  readonly dedupe?: DedupeStore | false;
  /** Default `lenient`: events this release does not know are acknowledged and passed on with their name. */
  readonly parsing?: ParsingMode;
  readonly clock?: Clock;
  /** Errors of `onEvent` and of the dedupe store; without `waitForEvent` they never change the answer. */
  readonly onError?: (error: unknown, payload?: WebhookPayload) => void;
}

export type WebhookHandler = (request: IncomingMessage & { body?: unknown }, response: ServerResponse, next?: (error?: unknown) => void) => void;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function answer(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

class TooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new TooLarge());
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new TooLarge());
        request.removeAllListeners('data');
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Creates the request handler. */
export function createWebhookHandler(options: WebhookReceiverOptions): WebhookHandler {
  const limit = options.maxBodyBytes ?? 256 * 1024;
  const dedupe = options.dedupe === false ? undefined : (options.dedupe ?? memoryDedupeStore());
  const clock = options.clock ?? systemClock;
  const parsing = options.parsing ?? 'lenient';
  const expected = options.secret ? digest(options.secret.value) : undefined;
  const report = options.onError ?? ((error: unknown) => console.error('[pluggy-lifecycle webhook]', error));
  const waitMs = options.waitForEvent ? Math.max(1, (typeof options.waitForEvent === 'object' ? options.waitForEvent.timeoutMs : undefined) ?? 4_000) : undefined;

  /** Runs `onEvent` before answering: 200 once it resolved, 503 when it failed or ran out of time. */
  const handOff = async (payload: WebhookPayload, response: ServerResponse, timeoutMs: number) => {
    const work = Promise.resolve().then(() => options.onEvent(payload));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Error(`onEvent did not finish within ${timeoutMs} ms`);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late), timeoutMs);
    });
    try {
      await Promise.race([work, deadline]);
      answer(response, 200, { ok: true });
    } catch (error) {
      report(error, payload);
      // A hand-off that outlived its deadline may still fail: that is reported too.
      if (error === late) work.catch((failure: unknown) => report(failure, payload));
      try {
        await dedupe?.forget?.(payload.eventId);
      } catch (forgetting) {
        report(forgetting, payload);
      }
      answer(response, 503, { error: `the event was not handed on (${error instanceof Error ? error.message : String(error)}); deliver it again` });
    } finally {
      clearTimeout(timer);
    }
  };

  const handle = async (request: IncomingMessage & { body?: unknown }, response: ServerResponse) => {
    if (request.method !== 'POST') return answer(response, 405, { error: `expected POST, received ${request.method ?? 'nothing'}` });
    if (options.secret && expected) {
      const given = request.headers[options.secret.header.toLowerCase()];
      const value = Array.isArray(given) ? given[0] : given;
      if (value === undefined || !timingSafeEqual(digest(value), expected)) {
        return answer(response, 401, { error: `missing or wrong ${options.secret.header} header` });
      }
    }
    // Express and Fastify may have parsed the body already; otherwise read it, within the limit.
    let body: unknown = request.body;
    if (body === undefined) {
      try {
        body = await readBody(request, limit);
      } catch (error) {
        if (error instanceof TooLarge) return answer(response, 413, { error: `expected a body of at most ${limit} bytes` });
        throw error;
      }
    } else if (Buffer.isBuffer(body)) {
      if (body.length > limit) return answer(response, 413, { error: `expected a body of at most ${limit} bytes` });
      body = body.toString('utf8');
    }
    const parsed = safeParseWebhook(body, { parsing });
    if (!parsed.success) return answer(response, 400, { error: parsed.error.message, issues: parsed.error.issues });
    const payload = parsed.data;
    let duplicate = false;
    if (dedupe) {
      try {
        duplicate = await dedupe.seen(payload.eventId, clock.now());
      } catch (error) {
        // Without the store, deliver: the connection dedupes recent eventIds itself.
        report(error, payload);
      }
    }
    if (duplicate) return answer(response, 200, { ok: true, duplicate: true });
    if (waitMs !== undefined) return handOff(payload, response, waitMs);
    answer(response, 200, { ok: true });
    setImmediate(() => {
      Promise.resolve()
        .then(() => options.onEvent(payload))
        .catch((error: unknown) => report(error, payload));
    });
  };

  return (request, response, next) => {
    handle(request, response).catch((error: unknown) => {
      report(error);
      if (next) next(error);
      else answer(response, 500, { error: 'the webhook could not be read' });
    });
  };
}

/**
 * An `onEvent` that routes item events to their connection (which fetches the item, or ends on
 * `item/deleted`). Events about items nobody tracks, and non-item events, go to `onOther`.
 */
export function routeToConnections(
  connectionFor: (itemId: string) => Connection | undefined,
  onOther?: (payload: WebhookPayload) => void,
): (payload: WebhookPayload) => void {
  return (payload) => {
    const connection = payload.itemId !== undefined ? connectionFor(payload.itemId) : undefined;
    if (connection && payload.event.startsWith('item/')) connection.send({ type: 'WEBHOOK', payload });
    else onOther?.(payload);
  };
}
