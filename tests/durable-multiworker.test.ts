/**
 * Several service instances on one PostgreSQL database: four worker processes take the events of
 * the same items at once (each webhook reaches two of them, as Pluggy's retries and both
 * subscription modes can do), fire timers and deliver the outbox together, and end every item in
 * the state a single serial run gives.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, createProcessor, type ProcessOutcome } from '../src/durable';
import { createMemoryStore } from '../src/stores/memory';
import type { StreamEvent } from './support/crash-worker';
import { readJsonLines, writeJsonLines } from './support/jsonl';
import { generateStream, random } from './support/streams';
import { describePostgres, dropSchema, freshSchema, openTestPostgres, PG_URL } from './support/stores';

jest.setTimeout(120_000);

const WORKERS = 4;

interface Worker {
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Resolves once the worker printed this line (or exited). */
  printed(line: string): Promise<void>;
  tell(line: string): void;
}

function startWorker(settings: object): Worker {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'support', 'fleet-worker.ts')], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, WORKER: JSON.stringify(settings) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const awaited = new Map<string, () => void>();
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const [line, resolve] of awaited) if (stdout.split('\n').includes(line)) resolve();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const guard = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(guard);
      exited = true;
      for (const resolveLine of awaited.values()) resolveLine();
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    done,
    printed: (line) =>
      new Promise<void>((resolve) => {
        if (exited || stdout.split('\n').includes(line)) resolve();
        else awaited.set(line, resolve);
      }),
    tell: (line) => void child.stdin.write(`${line}\n`),
  };
}

describePostgres('four workers on one PostgreSQL database', () => {
  const schema = freshSchema();
  afterAll(() => dropSchema(schema));

  test('interleaving webhooks and snapshots of the same items, they end every item where a serial run does, each webhook applied once and each effect delivered once', async () => {
    const seed = Date.now() % 1_000_000;
    const next = random(seed);
    const { events, until } = generateStream({ seed, items: 16, events: 700, orderFree: true });

    // The serial run: every event once, in order, on one processor; then time passes.
    const serialStore = createMemoryStore();
    const serial = createProcessor({ store: serialStore, connections: { mode: 'push' } });
    for (const event of events) {
      await serial.fireDueTimers(event.at);
      await serial.process(event);
    }
    await serial.fireDueTimers(until);
    const expected = (await serialStore.list({ limit: 1000 })).map((row) => ({ itemId: row.itemId, state: row.state }));
    let serialEffects = 0;
    await createDispatcher({ store: serialStore, deliver: () => void serialEffects++ }).drain();
    expect(serialEffects).toBeGreaterThan(0);

    // Each worker takes every fourth event, and the webhooks of the next worker's share too.
    const dir = mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-fleet-'));
    const shares: StreamEvent[][] = Array.from({ length: WORKERS }, () => []);
    events.forEach((event, index) => {
      shares[index % WORKERS]!.push(event);
      if (event.command.type === 'WEBHOOK') shares[(index + 1) % WORKERS]!.push(event);
    });
    // Touch the schema once, so the workers race on their events rather than on the migration.
    await (await openTestPostgres(schema)).close();
    const workers = shares.map((share, index) => {
      const stream = join(dir, `share-${index}.jsonl`);
      writeJsonLines(stream, share);
      const batches = Array.from({ length: 11 }, () => 1 + Math.floor(next() * 6));
      return startWorker({ url: PG_URL, schema, stream, sink: join(dir, `delivered-${index}.jsonl`), until, batches });
    });
    // Once all are through their events, time passes for all of them; once all fired their timers, they deliver what is left.
    await Promise.all(workers.map((worker) => worker.printed('events done')));
    for (const worker of workers) worker.tell('timers');
    await Promise.all(workers.map((worker) => worker.printed('timers done')));
    for (const worker of workers) worker.tell('drain');
    const exits = await Promise.all(workers.map((worker) => worker.done));
    for (const exit of exits) expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: 0, stderr: '' });
    const reports = exits.map((exit) => JSON.parse(exit.stdout.trim().split('\n').pop()!) as { outcomes: Record<ProcessOutcome['kind'], number>; appliedWebhooks: string[]; effects: number });

    // Where every item ends.
    const store = await openTestPostgres(schema);
    try {
      const rows = await store.list({ limit: 1000 });
      expect(rows.map((row) => ({ itemId: row.itemId, state: row.state }))).toEqual(expected);
      expect(await store.counts()).toEqual(expect.objectContaining({ outbox: 0, quarantine: 0 }));
    } finally {
      await store.close();
    }

    // Each webhook's eventId was applied by exactly one worker; the other copies were duplicates.
    const webhookIds = new Set(events.flatMap((event) => (event.command.type === 'WEBHOOK' ? [(event.command.payload as { eventId: string }).eventId] : [])));
    const applied = reports.flatMap((report) => report.appliedWebhooks);
    expect(applied.sort()).toEqual([...webhookIds].sort());
    const sent = shares.flat().length;
    expect(reports.reduce((sum, report) => sum + report.outcomes.applied + report.outcomes.duplicate, 0)).toBe(sent);

    // Every effect written to the outbox was delivered once, by one of the four dispatchers.
    const delivered = Array.from({ length: WORKERS }, (_, index) => readJsonLines<{ key: string }>(join(dir, `delivered-${index}.jsonl`)))
      .flat()
      .map((line) => line.key);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered.length).toBe(reports.reduce((sum, report) => sum + report.effects, 0));

    console.info(`several workers: ${WORKERS} processes, ${sent} deliveries of ${events.length} events on ${expected.length} items, ${delivered.length} effects delivered once each; seed ${seed}`);
  });
});
