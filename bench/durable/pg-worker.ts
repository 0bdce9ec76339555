/**
 * One PostgreSQL worker process of the durable benchmark: a service instance with its own pool.
 * It loads its share of the stream, says it is ready, runs when told, and reports its figures.
 */
import { readFileSync } from 'node:fs';
import { createProcessor, type DurableEvent } from '../../src/durable/processor';
import { openPostgresStore } from '../../src/stores/postgres';
import { bareWriter, type EventWrites } from './bare';
import { drive } from './drive';

export interface WorkerJob {
  readonly url: string;
  readonly schema: string;
  readonly kind: 'processor' | 'bare';
  readonly concurrency: number;
  readonly items: ReadonlyArray<DurableEvent | EventWrites>;
}

export interface WorkerReport {
  readonly events: number;
  /** Epoch ms (sub-millisecond), comparable across processes. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly cpuSeconds: number;
  readonly latenciesMs: number[];
}

const now = () => performance.timeOrigin + performance.now();
const send = (message: unknown, last = false) => process.send?.(message, undefined, {}, () => (last ? process.disconnect() : undefined));

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as WorkerJob;
  const store = await openPostgresStore({ connectionString: job.url, schema: job.schema, poolConfig: { max: 4 } });
  const submit =
    job.kind === 'processor'
      ? (() => {
          const processor = createProcessor({ store, connections: { mode: 'push' } });
          return async (item: DurableEvent | EventWrites) => {
            const outcome = await processor.process(item as DurableEvent);
            if (outcome.kind !== 'applied') throw new Error(`not applied: ${JSON.stringify(outcome)}`);
          };
        })()
      : (bareWriter(store) as (item: DurableEvent | EventWrites) => Promise<void>);
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    send({ type: 'ready' });
  });
  const startedAt = now();
  const result = await drive(job.items, job.concurrency, submit);
  const endedAt = now();
  await store.close();
  const report: WorkerReport = { events: result.events, startedAt, endedAt, cpuSeconds: result.cpuSeconds, latenciesMs: Array.from(result.latenciesMs) };
  send({ type: 'done', report }, true);
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: error instanceof Error ? error.stack ?? error.message : String(error) }, true);
  process.exitCode = 1;
});
