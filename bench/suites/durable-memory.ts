/**
 * Item 3, on the durable path: the heap of a process tracking many connections in SQLite (none
 * should stay in memory per connection), against the same number of live actors; and the size of
 * the snapshot a store row keeps, in the states a connection spends its life in.
 */
import { randomUUID } from 'node:crypto';
import { createProcessor, type DurableEvent } from '../../src/durable/processor';
import { createConnection, type Connection } from '../../src/runtime/connection';
import { systemClock } from '../../src/runtime/clock';
import { createMemoryStore } from '../../src/stores/memory';
import { drive } from '../durable/drive';
import { NEW_CONNECTIONS } from '../durable/figures';
import { scratchSqlite } from '../durable/sqlite';
import { connectionId, eventAt } from '../durable/stream';
import { itemJson, STATE_RECIPES, T0 } from '../fixtures';
import { settledHeap } from '../lib/clock';
import { atMost, measured, ratioOf, type Figure } from '../lib/report';
import { median } from '../lib/stats';
import { sized, type Suite } from '../lib/suite';

const MiB = 2 ** 20;

/** Steps each tracked connection goes through: a webhook, then the snapshot that starts its wait (two timers armed). */
const STEPS = 2;

export const durableMemorySuite: Suite = {
  name: 'durable-memory',
  item: 3,
  title: 'Memory on the durable path: heap while tracking many connections, bytes per stored snapshot',
  async run({ mode, runs }) {
    const total = sized(mode, 2_000, 100_000);
    // The processor's cache of restored snapshots (10,000 by default; smaller in the quick run so
    // that the run goes past it).
    const cacheSize = sized(mode, 200, 10_000);
    const chunk = total / 10;
    const figures: Figure[] = [];

    // Heap while the processor tracks `total` connections, sampled as they are added.
    const scratch = scratchSqlite();
    const processor = createProcessor({ store: scratch.store, connections: NEW_CONNECTIONS, cacheSize });
    const samples: Array<{ connections: number; heap: number }> = [{ connections: 0, heap: settledHeap() }];
    for (let first = 0; first < total; first += chunk) {
      const events: DurableEvent[] = [];
      for (let step = 0; step < STEPS; step++) for (let index = first; index < first + chunk; index++) events.push(eventAt(index, step));
      await drive(events, 256, (event) => processor.process(event));
      samples.push({ connections: first + chunk, heap: settledHeap() });
    }
    const counts = await scratch.store.counts();
    if (counts.connections !== total) throw new Error(`expected ${total} stored connections, found ${counts.connections}`);
    const rss = process.memoryUsage().rss;
    const dbBytes = scratch.bytes();
    await scratch.close();
    // Past the processor's snapshot cache, nothing per connection should stay. Memory kept per
    // connection would grow the heap in every chunk of new connections; a one-off step (a table
    // resized, code optimised) shows in one chunk only, so the median chunk is the estimate.
    const past = samples.filter((sample) => sample.connections >= 2 * cacheSize);
    const from = past[0]!;
    const to = past[past.length - 1]!;
    const perChunk = past.slice(1).map((sample, i) => (sample.heap - past[i]!.heap) / (sample.connections - past[i]!.connections));
    const growth = median(perChunk);
    const overall = (to.heap - from.heap) / (to.connections - from.connections);
    const heapAtTotal = to.heap;

    // The same number of live actors, each waiting in `pending` like the stored ones.
    const liveHeaps: number[] = [];
    for (let run = 0; run < sized(mode, 1, 3); run++) {
      const live: Connection[] = [];
      for (let index = 0; index < total; index++) {
        const itemId = connectionId(index);
        const connection = createConnection({ itemId, clock: systemClock, mode: 'push', onError: () => {} });
        connection.send({ type: 'SNAPSHOT', item: itemJson(itemId, 'UPDATING', 'LOGIN_IN_PROGRESS', T0) });
        live.push(connection);
      }
      liveHeaps.push(settledHeap());
      for (const connection of live) connection.stop();
      live.length = 0;
      settledHeap();
    }
    const label = total.toLocaleString('en-US');
    figures.push(
      {
        key: 'durable-memory.heap',
        subject: measured(`heap tracking ${label} connections on SQLite (processor)`, 'MiB', [heapAtTotal / MiB]),
        baseline: measured(`heap with ${label} live actors waiting`, 'MiB', liveHeaps.map((heap) => heap / MiB)),
        ratio: ratioOf(liveHeaps.map((heap) => heapAtTotal / heap), 'the heap'),
        note: 'one process, sampled after a full collection',
      },
      {
        key: 'durable-memory.per-connection',
        subject: measured(`heap kept per connection, ${from.connections.toLocaleString('en-US')} → ${label} (median of ${perChunk.length} chunks)`, 'B', perChunk),
        target: atMost(growth, 16, '≈ 0 (≤ 16 B per connection)'),
        signed: true,
      },
      {
        key: 'durable-memory.overall-growth',
        subject: measured(`heap growth ${from.connections.toLocaleString('en-US')} → ${label}, over all of it`, 'B/connection', [overall]),
        signed: true,
        note: 'includes one-off steps',
      },
      {
        key: 'durable-memory.rss',
        subject: measured(`resident set at ${label} connections (heap, SQLite page cache, code)`, 'MiB', [rss / MiB]),
      },
      {
        key: 'durable-memory.database',
        subject: measured(`SQLite file and WAL for ${label} connections (with their outbox rows)`, 'MiB', [dbBytes / MiB]),
      },
    );

    // The snapshot JSON a store row keeps, in each representative state.
    for (const state of Object.keys(STATE_RECIPES)) {
      const sizes: number[] = [];
      // Sizes do not vary from run to run (only the UUIDs do), so the quick run measures once.
      for (let run = 0; run < sized(mode, 1, runs); run++) {
        const store = createMemoryStore();
        const itemId = randomUUID();
        const stateProcessor = createProcessor({ store, connections: NEW_CONNECTIONS });
        const steps = STATE_RECIPES[state]!(itemId);
        // A connection with no event yet has no row: start it with a transaction-only webhook.
        const commands = steps.length > 0 ? steps : [{ at: T0, command: { type: 'WEBHOOK', payload: { event: 'transactions/created', eventId: randomUUID(), itemId } } }];
        for (const { at, command } of commands) {
          const outcome = await stateProcessor.process({ itemId, at, command: command as DurableEvent['command'] });
          if (outcome.kind !== 'applied') throw new Error(`${state}: ${outcome.kind}`);
        }
        const row = await store.get(itemId);
        if (!row || !state.startsWith(row.state)) throw new Error(`expected ${state}, the stored connection is in ${row?.state}`);
        sizes.push(Buffer.byteLength(row.snapshot));
      }
      const size = measured(`stored snapshot JSON in \`${state}\``, 'B', sizes);
      figures.push({ key: `durable-memory.row.${state.replace(/[^a-zA-Z]+/g, '-')}`, subject: size, target: atMost(size.value, 512, '≤ 512 B') });
    }

    return {
      figures,
      notes: [
        `The processor tracks ${label} push-mode connections in a SQLite file (each received a webhook and the snapshot that started its wait, so each has two timers armed, kept as due times in its row); the heap is sampled after a full collection every ${chunk.toLocaleString('en-US')} connections: ${samples.map((s) => `${s.connections.toLocaleString('en-US')}: ${(s.heap / MiB).toFixed(1)} MiB`).join(', ')}. The processor keeps up to ${cacheSize.toLocaleString('en-US')} restored snapshots (its cache${cacheSize === 10_000 ? ', at its default size' : ''}), so growth is taken from twice that on.`,
        'Stored snapshot: the `snapshot` column the store writes (`encodeConnection`: the state value and the context, without what the row or the dedupe table already hold — the item id, the remembered eventIds).',
      ],
      params: { 'tracked connections': total, 'processor cache': cacheSize, runs },
    };
  },
};
