/**
 * A service worker for the crash tests: it applies a stream of events in order, fires due timers
 * and delivers the outbox to a sink file, then fires every timer up to the end time and empties
 * the outbox. Restarted after a crash, it starts the stream again from the top: the dedupe table
 * and the stored state make that safe. Run it as a process:
 *
 *   node -r ts-node/register/transpile-only tests/support/crash-worker.ts
 *
 * with its settings as JSON in the WORKER environment variable. `crash` makes it kill itself with
 * SIGKILL at a chosen point: between two steps of a transaction, or after a delivery reached the
 * sink but before the outbox row was marked delivered.
 */
import { appendFileSync } from 'node:fs';
import { readJsonLines } from './jsonl';
import type { Attempt, ConnectionStore, DurableEvent, StoreTransaction } from '../../src/durable';
import { createDispatcher, createProcessor } from '../../src/durable';
import { openPostgresStore } from '../../src/stores/postgres';
import { openSqliteStore } from '../../src/stores/sqlite';

export interface StreamEvent extends DurableEvent {
  readonly at: number;
}

export interface WorkerSettings {
  readonly store: { readonly sqlite: string } | { readonly postgres: string; readonly schema: string };
  readonly stream: string;
  readonly sink: string;
  /** Timers fire up to here once the stream is done. */
  readonly until: number;
  /** Events per transaction, in turn. */
  readonly batches: readonly number[];
  readonly leaseMs: number;
  readonly crash?:
    | { readonly when: 'in-transaction'; readonly step: keyof StoreTransaction; readonly after: number }
    | { readonly when: 'after-delivery'; readonly after: number };
}

export interface LoopOptions {
  readonly store: ConnectionStore;
  readonly events: readonly StreamEvent[];
  readonly until: number;
  readonly batches: readonly number[];
  readonly deliver: (attempt: Attempt) => void;
  readonly leaseMs: number;
  /** Called after each batch with the number of stream events gone through. */
  readonly onProgress?: (events: number) => void;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The worker's loop, also run in-process for the reference. */
export async function runLoop(options: LoopOptions): Promise<void> {
  const { store, events } = options;
  const processor = createProcessor({ store, connections: { mode: 'poll' } });
  const dispatcher = createDispatcher({ store, leaseMs: options.leaseMs, deliver: options.deliver, onError: () => undefined });
  let round = 0;
  for (let index = 0; index < events.length; round++) {
    const size = options.batches[round % options.batches.length]!;
    const batch = events.slice(index, index + size);
    index += size;
    await processor.fireDueTimers(batch[0]!.at);
    await processor.processBatch(batch);
    if (round % 3 === 0) await dispatcher.drain();
    options.onProgress?.(index);
  }
  await processor.fireDueTimers(options.until);
  // Rows a crashed worker had claimed come back when their lease ends.
  while ((await store.counts()).outbox > 0) {
    await dispatcher.drain();
    await pause(20);
  }
}

async function openStore(settings: WorkerSettings): Promise<ConnectionStore> {
  if ('sqlite' in settings.store) return openSqliteStore(settings.store.sqlite);
  return openPostgresStore({ connectionString: settings.store.postgres, schema: settings.store.schema, poolConfig: { max: 3 } });
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.WORKER!) as WorkerSettings;
  const events = readJsonLines<StreamEvent>(settings.stream);
  const opened = await openStore(settings);
  let steps = 0;
  let deliveries = 0;
  const die = () => process.kill(process.pid, 'SIGKILL');
  const crash = settings.crash;
  // A store whose transactions die between two of their steps (after the dedupe, the load, the
  // save, the outbox...), so their writes so far are left uncommitted.
  const store: ConnectionStore =
    crash?.when === 'in-transaction'
      ? {
          ...opened,
          transaction: <T>(work: (tx: StoreTransaction) => Promise<T>) =>
            opened.transaction((tx) => {
              const dying = Object.fromEntries(
                Object.entries(tx).map(([name, step]) => [
                  name,
                  async (...args: unknown[]) => {
                    const result: unknown = await (step as (...args: unknown[]) => Promise<unknown>)(...args);
                    if (name === crash.step && ++steps === crash.after) die();
                    return result;
                  },
                ]),
              ) as unknown as StoreTransaction;
              return work(dying);
            }),
        }
      : opened;
  await runLoop({
    store,
    events,
    until: settings.until,
    batches: settings.batches,
    leaseMs: settings.leaseMs,
    onProgress: (events) => process.stdout.write(`at ${events}\n`),
    deliver: ({ key, effect }) => {
      appendFileSync(settings.sink, `${JSON.stringify({ key, effect })}\n`);
      if (crash?.when === 'after-delivery' && ++deliveries === crash.after) die();
    },
  });
  const counts = await opened.counts();
  await opened.close();
  process.stdout.write(`${JSON.stringify({ done: true, counts })}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
