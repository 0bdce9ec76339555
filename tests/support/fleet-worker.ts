/**
 * One of several service instances on one PostgreSQL database, for the several-worker test. It
 * applies its share of the stream (batches of varying sizes, timers and outbox between them),
 * prints `events done` and waits for `timers` on stdin (once every instance is done); fires the
 * timers up to the end time with the others, prints `timers done` and waits for `drain`; then
 * delivers what is left in the outbox to its own sink file.
 * Settings come as JSON in the WORKER environment variable.
 */
import { appendFileSync } from 'node:fs';
import { readJsonLines } from './jsonl';
import { createDispatcher, createProcessor, type ProcessOutcome } from '../../src/durable';
import { openPostgresStore } from '../../src/stores/postgres';
import type { StreamEvent } from './crash-worker';

interface FleetSettings {
  readonly url: string;
  readonly schema: string;
  readonly stream: string;
  readonly sink: string;
  readonly until: number;
  readonly batches: readonly number[];
}

let stdin = '';
const waiting = new Map<string, () => void>();
process.stdin.on('data', (chunk: Buffer) => {
  stdin += chunk.toString('utf8');
  for (const [line, resolve] of waiting) if (stdin.split('\n').includes(line)) resolve();
});
const waitForLine = (line: string) => new Promise<void>((resolve) => waiting.set(line, resolve));

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.WORKER!) as FleetSettings;
  const events = readJsonLines<StreamEvent>(settings.stream);
  const timers = waitForLine('timers');
  const drain = waitForLine('drain');
  const store = await openPostgresStore({ connectionString: settings.url, schema: settings.schema, poolConfig: { max: 3 } });
  const processor = createProcessor({ store, connections: { mode: 'push' } });
  const dispatcher = createDispatcher({ store, leaseMs: 30_000, deliver: ({ key, effect }) => appendFileSync(settings.sink, `${JSON.stringify({ key, effect })}\n`) });
  const outcomes: Record<ProcessOutcome['kind'], number> = { applied: 0, duplicate: 0, rejected: 0, quarantined: 0 };
  const appliedWebhooks: string[] = [];
  let effects = 0;
  let round = 0;
  for (let index = 0; index < events.length; round++) {
    const batch = events.slice(index, index + settings.batches[round % settings.batches.length]!);
    index += batch.length;
    effects += (await processor.fireDueTimers(batch[0]!.at)).reduce((sum, outcome) => sum + outcome.effects.length, 0);
    for (const [position, outcome] of (await processor.processBatch(batch)).entries()) {
      outcomes[outcome.kind]++;
      if (outcome.kind === 'applied') effects += outcome.effects.length;
      if (outcome.kind === 'applied' && batch[position]!.command.type === 'WEBHOOK') appliedWebhooks.push(outcome.eventId!);
    }
    if (round % 2 === 0) await dispatcher.drain();
  }
  process.stdout.write('events done\n');
  await timers;
  effects += (await processor.fireDueTimers(settings.until)).reduce((sum, outcome) => sum + outcome.effects.length, 0);
  process.stdout.write('timers done\n');
  await drain;
  await dispatcher.drain();
  await store.close();
  process.stdout.write(`${JSON.stringify({ outcomes, appliedWebhooks, effects })}\n`);
  // The parent keeps stdin open; stop listening so the process can end.
  process.stdin.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
