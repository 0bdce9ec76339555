/**
 * The event stream of a webhook-driven fleet: each connection goes through `LIFECYCLE` — webhooks
 * (each with its own eventId) and the item snapshots fetched in answer — one step every 10 s of its
 * own time, and the fleet's steps are interleaved.
 */
import type { DurableEvent } from '../../src/durable/processor';
import { itemJson, LIFECYCLE, T0 } from '../fixtures';
import { mulberry32 } from '../../src/sandbox/prng';

export const STEP_MS = 10_000;

export const connectionId = (index: number) => `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

/** Step `step` of the life of connection `index`, as the host hands it to the processor. */
export function eventAt(index: number, step: number): DurableEvent {
  const itemId = connectionId(index);
  const at = T0 + step * STEP_MS + (index % STEP_MS);
  const kind = LIFECYCLE[step % LIFECYCLE.length]!;
  switch (kind.kind) {
    case 'snapshot': {
      // A repeated snapshot is the previous step's item, fetched again.
      const updatedAt = kind.repeat ? at - STEP_MS : at;
      return { itemId, at, command: { type: 'SNAPSHOT', item: itemJson(itemId, kind.status, kind.executionStatus, updatedAt) } };
    }
    case 'webhook':
      return { itemId, at, command: { type: 'WEBHOOK', payload: { event: kind.event, eventId: `${itemId}:${step}`, itemId, triggeredBy: 'SYNC' } } };
    case 'reconnect':
      return { itemId, at, command: { type: 'RECONNECT' } };
    case 'syncDone':
      return { itemId, at, command: { type: 'SYNC_DONE', accounts: kind.accounts } };
  }
}

/**
 * `count` events over `connections` connections, round robin: event `i` is step `⌊i / connections⌋`
 * of connection `i mod connections`, so every connection moves forward in its own time order.
 */
export function fleetEvents(connections: number, count: number, firstStep = 0): DurableEvent[] {
  const events: DurableEvent[] = new Array(count);
  for (let i = 0; i < count; i++) events[i] = eventAt(i % connections, firstStep + Math.floor(i / connections));
  return events;
}

/** A uniformly random walk: each event moves one random connection of `connections` one step on. */
export function randomFleetEvents(connections: number, count: number, steps: Uint32Array, random: () => number): DurableEvent[] {
  const events: DurableEvent[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const index = Math.floor(random() * connections);
    events[i] = eventAt(index, steps[index]!);
    steps[index] = steps[index]! + 1;
  }
  return events;
}

/** A seeded generator, so runs draw the same connections. */
export const seeded = mulberry32;
