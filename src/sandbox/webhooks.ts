/**
 * Webhook delivery the way Pluggy's is described: a POST of JSON to the item's `webhookUrl`,
 * acknowledged by any 2xx; other answers and network errors are retried (3 immediate attempts,
 * then more with backoff), 401 is never retried. To exercise a receiver it can also re-deliver an
 * acknowledged event with the same `eventId` (`duplicateRate`) and hold some deliveries back so
 * later events overtake them (`reorder`), both drawn from a seeded PRNG.
 */
import http from 'node:http';
import https from 'node:https';
import {
  WEBHOOK_DUPLICATE_DELAY_MS,
  WEBHOOK_NON_RETRIED_STATUSES,
  WEBHOOK_REORDER_HOLD_MS,
  WEBHOOK_REORDER_PROBABILITY,
} from './constants';
import { stream, type Random } from './prng';
import type { TimerGroup, Timers } from './timers';
import type { IsoDate, WebhookPayloadJson } from './types';

export interface WebhookStats {
  /** Item events the sandbox emitted (with or without a URL to send them to). */
  readonly events: number;
  /** HTTP POSTs made: first attempts, retries and duplicates. */
  readonly attempts: number;
  /** Events acknowledged with a 2xx. */
  readonly delivered: number;
  /** Attempts after an event's first one. */
  readonly retries: number;
  /** Attempts answered with a non-2xx status or failing on the network. */
  readonly failedAttempts: number;
  /** Re-deliveries of an acknowledged event, with the same `eventId`. */
  readonly duplicatesSent: number;
  /** Deliveries `reorder` held back. */
  readonly heldBack: number;
  /** Events given up: every attempt failed, or the receiver answered a status Pluggy never retries. */
  readonly failures: number;
  /** Events (and scheduled duplicates) still being delivered. */
  readonly pending: number;
}

/** One HTTP attempt. */
export interface WebhookDeliveryLogEntry {
  /** Order in which attempts finished, from 1. */
  readonly seq: number;
  readonly at: IsoDate;
  readonly url: string;
  readonly eventId: string;
  readonly event: WebhookPayloadJson['event'];
  readonly itemId: string;
  readonly kind: 'original' | 'retry' | 'duplicate';
  /** 1 for an event's first attempt; duplicates count on from the attempt that was acknowledged. */
  readonly attempt: number;
  /** The receiver's status, or null when the attempt failed on the network. */
  readonly status: number | null;
  readonly error: string | null;
  readonly ok: boolean;
  /** How long `reorder` held this delivery back (real ms), 0 when it did not. */
  readonly heldBackMs: number;
}

/** An event as the sandbox emitted it, in emission order. */
export interface EmittedWebhook {
  readonly seq: number;
  readonly at: IsoDate;
  /** Where it goes: the item's `webhookUrl`, else the sandbox's `webhookUrl`, else nowhere (null). */
  readonly url: string | null;
  readonly payload: WebhookPayloadJson;
}

export interface WebhookDispatcherOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly duplicateRate: number;
  readonly reorder: boolean;
  readonly seed: number;
  /** Script ms (scaled) to wait before each attempt after the previous failed; its length is the attempt budget. */
  readonly retryDelaysMs: readonly number[];
  /** Real ms an attempt may take. */
  readonly timeoutMs: number;
}

interface AttemptResult {
  readonly status: number | null;
  readonly error: string | null;
}

const MAX_LOG_ENTRIES = 10_000;

export class WebhookDispatcher {
  readonly log: WebhookDeliveryLogEntry[] = [];
  readonly emitted: EmittedWebhook[] = [];
  private readonly counts = {
    events: 0,
    attempts: 0,
    delivered: 0,
    retries: 0,
    failedAttempts: 0,
    duplicatesSent: 0,
    heldBack: 0,
    failures: 0,
  };
  private pending = 0;
  private seq = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Per URL: resolves when the previous event's first attempt has finished, so order holds unless `reorder` says otherwise. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<http.ClientRequest>();
  private readonly timers: TimerGroup;
  private readonly reorderRandom: Random;
  private readonly duplicateRandom: Random;

  constructor(
    private readonly options: WebhookDispatcherOptions,
    private readonly clock: Timers,
  ) {
    this.timers = clock.group();
    this.reorderRandom = stream(options.seed, 1);
    this.duplicateRandom = stream(options.seed, 2);
  }

  /** HTTP POSTs waiting for the receiver's answer right now. */
  get postsInFlight(): number {
    return this.inFlight.size;
  }

  stats(): WebhookStats {
    return { ...this.counts, pending: this.pending };
  }

  /** Resolves once every emitted event has been acknowledged or given up (or the sandbox closed). */
  whenIdle(): Promise<void> {
    if (this.pending === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  dispatch(url: string | null, payload: WebhookPayloadJson): void {
    this.counts.events += 1;
    this.emitted.push({ seq: this.emitted.length + 1, at: this.clock.iso(), url, payload });
    if (url === null || this.closed) return;
    this.begin();
    if (this.options.reorder && this.reorderRandom() < WEBHOOK_REORDER_PROBABILITY) {
      const holdMs = WEBHOOK_REORDER_HOLD_MS * (0.5 + this.reorderRandom());
      this.counts.heldBack += 1;
      const realHoldMs = this.clock.scale(holdMs);
      this.timers.after(holdMs, () => this.deliver(url, payload, 0, realHoldMs, () => undefined));
      return;
    }
    const previous = this.chains.get(url) ?? Promise.resolve();
    const next = previous.then(
      () => new Promise<void>((firstAttemptDone) => this.deliver(url, payload, 0, 0, firstAttemptDone)),
    );
    this.chains.set(url, next);
    void next.then(() => {
      if (this.chains.get(url) === next) this.chains.delete(url);
    });
  }

  close(): void {
    this.closed = true;
    for (const request of this.inFlight) request.destroy(new Error('sandbox closed'));
    this.inFlight.clear();
    this.timers.dispose();
    this.pending = 0;
    this.settleIdle();
  }

  private deliver(url: string, payload: WebhookPayloadJson, index: number, heldBackMs: number, firstAttemptDone: () => void): void {
    if (this.closed) {
      firstAttemptDone();
      return;
    }
    void this.post(url, payload).then((result) => {
      const ok = isSuccess(result.status);
      this.record(url, payload, index === 0 ? 'original' : 'retry', index + 1, result, heldBackMs);
      if (index === 0) firstAttemptDone();
      if (ok) {
        this.counts.delivered += 1;
        this.maybeDuplicate(url, payload, index + 1);
        this.end();
        return;
      }
      const nextIndex = index + 1;
      const nextDelay = this.options.retryDelaysMs[nextIndex];
      const retried = result.status === null || !WEBHOOK_NON_RETRIED_STATUSES.includes(result.status);
      if (this.closed || !retried || nextDelay === undefined) {
        this.counts.failures += 1;
        this.end();
        return;
      }
      this.counts.retries += 1;
      if (nextDelay <= 0) this.deliver(url, payload, nextIndex, heldBackMs, firstAttemptDone);
      else this.timers.after(nextDelay, () => this.deliver(url, payload, nextIndex, heldBackMs, firstAttemptDone));
    });
  }

  private maybeDuplicate(url: string, payload: WebhookPayloadJson, acknowledgedAttempt: number): void {
    if (this.options.duplicateRate <= 0 || this.duplicateRandom() >= this.options.duplicateRate) return;
    const delayMs = WEBHOOK_DUPLICATE_DELAY_MS * (0.5 + this.duplicateRandom());
    this.begin();
    this.timers.after(delayMs, () => {
      this.counts.duplicatesSent += 1;
      void this.post(url, payload).then((result) => {
        this.record(url, payload, 'duplicate', acknowledgedAttempt, result, 0);
        this.end();
      });
    });
  }

  private record(
    url: string,
    payload: WebhookPayloadJson,
    kind: WebhookDeliveryLogEntry['kind'],
    attempt: number,
    result: AttemptResult,
    heldBackMs: number,
  ): void {
    const ok = isSuccess(result.status);
    if (!ok) this.counts.failedAttempts += 1;
    this.seq += 1;
    this.log.push({
      seq: this.seq,
      at: this.clock.iso(),
      url,
      eventId: payload.eventId,
      event: payload.event,
      itemId: payload.itemId,
      kind,
      attempt,
      status: result.status,
      error: result.error,
      ok,
      heldBackMs,
    });
    if (this.log.length > MAX_LOG_ENTRIES) this.log.shift();
  }

  private post(url: string, payload: WebhookPayloadJson): Promise<AttemptResult> {
    if (this.closed) return Promise.resolve({ status: null, error: 'sandbox closed' });
    this.counts.attempts += 1;
    const body = JSON.stringify(payload);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: AttemptResult): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(request);
        resolve(result);
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ status: null, error: `invalid webhook URL ${url}` });
        return;
      }
      const transport = target.protocol === 'https:' ? https : http;
      const request = transport.request(target, {
        method: 'POST',
        agent: false,
        headers: {
          ...this.options.headers,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': 'pluggy-lifecycle-sandbox',
        },
      });
      this.inFlight.add(request);
      request.setTimeout(this.options.timeoutMs, () => request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      request.on('error', (error) => settle({ status: null, error: error.message }));
      request.on('response', (response) => {
        const status = response.statusCode ?? null;
        response.resume();
        response.on('end', () => settle({ status, error: null }));
        response.on('close', () => settle({ status, error: null }));
        response.on('error', () => settle({ status, error: null }));
      });
      request.end(body);
    });
  }

  private begin(): void {
    this.pending += 1;
  }

  private end(): void {
    if (this.pending > 0) this.pending -= 1;
    if (this.pending === 0) this.settleIdle();
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function isSuccess(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}
