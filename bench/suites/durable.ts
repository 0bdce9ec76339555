/**
 * Item 4: the durable processor end to end — webhook-shaped events through validation, dedupe,
 * load, pure transition, save and outbox, in transactions — against the same store writes
 * without the machine. SQLite in this process; PostgreSQL with four worker processes.
 */
import { createProcessor, type DurableEvent, type ProcessOutcome } from '../../src/durable/processor';
import { bareWriter, recordWrites, type EventWrites } from '../durable/bare';
import { drive, type DriveResult } from '../durable/drive';
import { runPostgres } from '../durable/postgres';
import { scratchSqlite } from '../durable/sqlite';
import { fleetEvents } from '../durable/stream';
import { durableFigures, NEW_CONNECTIONS, type Paired } from '../durable/figures';
import type { Mode } from '../lib/report';
import { sized, type Suite, type SuiteOutput } from '../lib/suite';

/** Concurrent callers: what a service's request handlers would have in flight. */
export const CONCURRENCY = 64;

function checkApplied(outcomes: readonly ProcessOutcome[]): void {
  const bad = outcomes.find((outcome) => outcome.kind !== 'applied');
  if (bad) throw new Error(`an event of the bench stream was not applied: ${JSON.stringify(bad)}`);
}

async function processorRun(events: readonly DurableEvent[]): Promise<DriveResult> {
  const scratch = scratchSqlite();
  const processor = createProcessor({ store: scratch.store, connections: NEW_CONNECTIONS });
  const outcomes: ProcessOutcome[] = [];
  try {
    return await drive(events, CONCURRENCY, async (event) => {
      outcomes.push(await processor.process(event));
    });
  } finally {
    await scratch.close();
    checkApplied(outcomes);
  }
}

async function bareRun(writes: readonly EventWrites[]): Promise<DriveResult> {
  const scratch = scratchSqlite();
  try {
    return await drive(writes, CONCURRENCY, bareWriter(scratch.store));
  } finally {
    await scratch.close();
  }
}

function fleetSize(mode: Mode) {
  const connections = sized(mode, 100, 4_000);
  return { connections, events: connections * 10 };
}

async function sqlitePart(mode: Mode, runs: number): Promise<SuiteOutput> {
  const { connections, events: count } = fleetSize(mode);
  const events = fleetEvents(connections, count);
  const writes = await recordWrites(events, { connections: NEW_CONNECTIONS });
  // Warm up both paths once (JIT, page cache), then alternate which goes first.
  await processorRun(events.slice(0, Math.min(events.length, 2_000)));
  await bareRun(writes.slice(0, Math.min(writes.length, 2_000)));
  const paired: Paired = { processor: [], bare: [] };
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      paired.processor.push(await processorRun(events));
      paired.bare.push(await bareRun(writes));
    } else {
      paired.bare.push(await bareRun(writes));
      paired.processor.push(await processorRun(events));
    }
  }
  const effects = writes.reduce((sum, w) => sum + w.outbox.length, 0);
  return {
    figures: durableFigures('durable.sqlite', 'SQLite', paired, 10_000),
    notes: [
      `Stream: ${connections.toLocaleString('en-US')} push-mode connections, ${count.toLocaleString('en-US')} events round robin (each connection ${count / connections} steps of the lifecycle: webhooks with their eventIds and the snapshots fetched in answer), raw JSON as a host receives it; ${effects.toLocaleString('en-US')} effects go to the outbox.`,
      `${CONCURRENCY} callers in a closed loop; the processor (and the bare writer) put calls made during a transaction into the next one (up to 256).`,
      'Bare store writes: what the processor wrote for each event (dedupe row, connection row, outbox rows), recorded in an untimed pass and replayed through the same store in the same batches — the storage limit the processor can approach.',
      'SQLite: a file in the temp directory, WAL, synchronous=NORMAL (the store\'s defaults), a fresh database every run.',
    ],
    params: { connections, 'events per run': count, concurrency: CONCURRENCY, runs },
  };
}

export const durableSuite: Suite = {
  name: 'durable',
  item: 4,
  title: 'Durable processor end to end, against the bare store writes',
  parts: () => ['sqlite', 'postgres'],
  run({ mode, runs, part }) {
    if (part === 'postgres') return runPostgres(mode, mode === 'quick' ? 1 : Math.min(runs, 5));
    return sqlitePart(mode, runs);
  },
};
