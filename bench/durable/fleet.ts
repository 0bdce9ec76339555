/**
 * A fleet spread evenly over the lifecycle, written straight into a store. Connection `i` starts
 * at position `i mod 12` of `LIFECYCLE`: its row is the one the processor wrote for connection 0
 * after the same steps, with every time moved by connection `i`'s offset, and its past webhooks are
 * in the dedupe table. Every fleet size then sees the same mix of events, and a million
 * connections are written in seconds instead of being driven one event at a time.
 */
import { isDeepStrictEqual } from 'node:util';
import { createProcessor } from '../../src/durable/processor';
import type { ConnectionStore, ConnectionWrite, SeenEvent, StoredConnection } from '../../src/durable/store';
import { DEDUPE_TTL_MS } from '../../src/drivers/webhook';
import { createMemoryStore } from '../../src/stores/memory';
import { LIFECYCLE, T0 } from '../fixtures';
import { NEW_CONNECTIONS } from './figures';
import { connectionId, eventAt, STEP_MS } from './stream';

interface Template {
  /** Connection 0's row after steps 0 to `position`. */
  readonly row: StoredConnection;
  /** The steps up to `position` that were webhooks. */
  readonly webhookSteps: readonly number[];
}

/** What the processor wrote for connection 0 after each step of the first lifecycle. */
async function templates(): Promise<Template[]> {
  const store = createMemoryStore();
  const processor = createProcessor({ store, connections: NEW_CONNECTIONS });
  const made: Template[] = [];
  const webhookSteps: number[] = [];
  for (let step = 0; step < LIFECYCLE.length; step++) {
    const outcome = await processor.process(eventAt(0, step));
    if (outcome.kind !== 'applied') throw new Error(`the template lifecycle must apply cleanly: step ${step} was ${outcome.kind}`);
    if (LIFECYCLE[step]!.kind === 'webhook') webhookSteps.push(step);
    made.push({ row: (await store.get(connectionId(0)))!, webhookSteps: [...webhookSteps] });
  }
  return made;
}

/** Connection 0's offset is 0; connection `index`'s events come `offset` ms later (see `eventAt`). */
const offsetOf = (index: number) => index % STEP_MS;

function shifted(template: Template, index: number): ConnectionWrite {
  const offset = offsetOf(index);
  const move = (ms: number) => ms + offset;
  const { value, context } = JSON.parse(template.row.snapshot) as { value: unknown; context: Record<string, unknown> };
  const last = context.last as { updatedAt: number } | null;
  const due = context.due as Record<string, number>;
  const moved = {
    value,
    context: {
      ...context,
      clock: move(context.clock as number),
      last: last ? { ...last, updatedAt: move(last.updatedAt) } : null,
      // What was asked of the user ends with its deadline: `input:token@<ms>`.
      request: typeof context.request === 'string' ? context.request.replace(/@(\d+)$/, (_, ms: string) => `@${move(Number(ms))}`) : context.request,
      due: Object.fromEntries(Object.entries(due).map(([timer, at]) => [timer, move(at)])),
    },
  };
  const { row } = template;
  return {
    itemId: connectionId(index),
    machine: row.machine,
    version: row.version,
    state: row.state,
    snapshot: JSON.stringify(moved),
    seq: row.seq,
    nextDue: row.nextDue === null ? null : move(row.nextDue),
    // The time of the write, as the processor stamps it.
    updatedAt: Date.now(),
    created: true,
  };
}

/** The lifecycle position connection `index` starts at; its next event is step `position + 1`. */
export const startPosition = (index: number) => index % LIFECYCLE.length;

/**
 * Writes `size` connections into `store`, each at its start position, and answers the next
 * step of each. The shortcut is first checked against the processor itself.
 */
export async function writeFleet(store: ConnectionStore, size: number): Promise<Uint32Array> {
  const made = await templates();
  await checkShortcut(made);
  const chunk = 10_000;
  for (let first = 0; first < size; first += chunk) {
    const rows: ConnectionWrite[] = [];
    const seen: SeenEvent[] = [];
    for (let index = first; index < Math.min(size, first + chunk); index++) {
      const template = made[startPosition(index)]!;
      rows.push(shifted(template, index));
      for (const step of template.webhookSteps) seen.push({ eventId: `${connectionId(index)}:${step}`, itemId: connectionId(index) });
    }
    await store.transaction(async (tx) => {
      await tx.save(rows);
      if (seen.length > 0) await tx.markSeen(seen, T0 + DEDUPE_TTL_MS);
    });
  }
  const steps = new Uint32Array(size);
  for (let index = 0; index < size; index++) steps[index] = startPosition(index) + 1;
  return steps;
}

/** A few connections driven through the processor must end with the rows the shortcut writes. */
async function checkShortcut(made: readonly Template[]): Promise<void> {
  for (const index of [1, 4_321, 9_999, 123_457]) {
    const store = createMemoryStore();
    const processor = createProcessor({ store, connections: NEW_CONNECTIONS });
    for (let step = 0; step <= startPosition(index); step++) await processor.process(eventAt(index, step));
    const driven = (await store.get(connectionId(index)))!;
    const { created: _created, ...written } = shifted(made[startPosition(index)]!, index);
    const comparable = ({ updatedAt: _updatedAt, ...row }: Omit<StoredConnection, 'error'>) => ({ ...row, snapshot: JSON.parse(row.snapshot) as unknown });
    const { error: _error, ...drivenRow } = driven;
    if (!isDeepStrictEqual(comparable(written), comparable(drivenRow))) {
      throw new Error(`the fleet shortcut differs from the processor for connection ${index}:\n${written.snapshot}\n${driven.snapshot}`);
    }
  }
}
