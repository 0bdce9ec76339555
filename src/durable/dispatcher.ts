/**
 * The effect dispatcher: delivers outbox rows at least once. A row is claimed for a lease, handed
 * to `deliver` with its idempotency key, and removed only after `deliver` resolved; a dispatcher
 * that dies mid-way leaves the row to be claimed again when the lease ends. Hosts make delivering
 * twice harmless with the key (e.g. a unique index on it, or `Idempotency-Key` headers).
 */
import type { Effect } from '../machine/effects';
import { backoff } from '../machine/timing';
import { systemClock, type Clock } from '../runtime/clock';
import type { Delivery } from './processor';
import type { ConnectionStore, OutboxRecord } from './store';

export interface Attempt extends Delivery {
  /** 1 for the first delivery of this key, then 2, 3... */
  readonly attempt: number;
}

export interface DispatcherOptions {
  readonly store: ConnectionStore;
  /** Carries out one effect. Resolve once it is done; throw to have it retried later. */
  readonly deliver: (delivery: Attempt) => void | Promise<void>;
  readonly clock?: Pick<Clock, 'now'>;
  /** Rows claimed at once (default 64). */
  readonly batchSize?: number;
  /** How long a claimed row stays hidden from other dispatchers (default 30 s): longer than `deliver` takes. */
  readonly leaseMs?: number;
  /** Delay before retrying a failed delivery (default: 1 s doubling up to 10 min). */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Failed deliveries after which the effect is quarantined instead (default 20). */
  readonly maxAttempts?: number;
  readonly onError?: (error: unknown, delivery: Attempt) => void;
}

export interface DispatchReport {
  readonly delivered: number;
  readonly failed: number;
  readonly quarantined: number;
}

export interface Dispatcher {
  /** Delivers one batch of available rows. */
  dispatch(): Promise<DispatchReport>;
  /** Delivers until no row is available now. */
  drain(): Promise<DispatchReport>;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, deliver } = options;
  const clock = options.clock ?? systemClock;
  const batchSize = Math.max(1, options.batchSize ?? 64);
  const leaseMs = options.leaseMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? ((attempt: number) => backoff(attempt - 1, 1_000, 2, 10 * 60_000));
  const maxAttempts = options.maxAttempts ?? 20;
  const onError = options.onError ?? ((error: unknown, delivery: Attempt) => console.error(`[pluggy-lifecycle] delivering ${delivery.key} failed:`, error));

  async function one(row: OutboxRecord): Promise<'delivered' | 'failed' | 'quarantined'> {
    let effect: Effect;
    try {
      effect = JSON.parse(row.effect) as Effect;
      if (effect === null || typeof effect !== 'object' || typeof effect.type !== 'string') throw new Error(`expected an effect object with a type, received ${row.effect.slice(0, 80)}`);
    } catch (error) {
      const entry = { kind: 'effect' as const, itemId: row.itemId, eventId: row.key, error: `outbox row ${row.key}: ${message(error)}`, payload: row.effect, createdAt: clock.now() };
      await store.quarantineOutbox(row.id, entry);
      return 'quarantined';
    }
    const attempt: Attempt = { key: row.key, itemId: row.itemId, effect, attempt: row.attempts };
    try {
      await deliver(attempt);
    } catch (error) {
      onError(error, attempt);
      if (row.attempts >= maxAttempts) {
        const reason = `gave up delivering ${row.key} after ${row.attempts} attempts: ${message(error)}`;
        await store.quarantineOutbox(row.id, { kind: 'effect', itemId: row.itemId, eventId: row.key, error: reason, payload: row.effect, createdAt: clock.now() });
        return 'quarantined';
      }
      await store.retryOutbox(row.id, clock.now() + retryDelayMs(row.attempts), message(error));
      return 'failed';
    }
    await store.completeOutbox([row.id]);
    return 'delivered';
  }

  async function dispatch(): Promise<DispatchReport & { claimed: number }> {
    const now = clock.now();
    const rows = await store.claimOutbox(batchSize, now, now + leaseMs);
    const report = { delivered: 0, failed: 0, quarantined: 0, claimed: rows.length };
    // In insertion order, one at a time: a connection's effects arrive in the order it emitted them.
    for (const row of rows) report[await one(row)]++;
    return report;
  }

  return {
    async dispatch() {
      const { claimed: _claimed, ...report } = await dispatch();
      return report;
    },
    async drain() {
      const total = { delivered: 0, failed: 0, quarantined: 0 };
      for (;;) {
        const { claimed, ...report } = await dispatch();
        total.delivered += report.delivered;
        total.failed += report.failed;
        total.quarantined += report.quarantined;
        if (claimed < batchSize) return total;
      }
    },
  };
}
