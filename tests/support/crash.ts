/**
 * The crash scenario shared by the SQLite and PostgreSQL crash tests: a reference run without
 * crashes, then a worker process killed again and again at random points of the same stream
 * (and at the two worst moments: between two steps of a transaction, and between a delivery and
 * its acknowledgement), restarted each time, and finally run to the end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionStore, StoredConnection } from '../../src/durable';
import type { Effect } from '../../src';
import { createMemoryStore } from '../../src/stores/memory';
import { runLoop, type WorkerSettings } from './crash-worker';
import { readJsonLines, writeJsonLines } from './jsonl';
import { generateStream, random, runWorker, type Exit } from './streams';

export interface Delivered {
  readonly key: string;
  readonly effect: Effect;
}

export interface CrashReport {
  readonly seed: number;
  readonly events: number;
  /** The time the workers fired timers up to, once the stream was done. */
  readonly until: number;
  readonly runs: ReadonlyArray<{ readonly plan: string; readonly exit: Exit }>;
  readonly final: Exit;
  readonly reference: { readonly rows: readonly StoredConnection[]; readonly delivered: readonly Delivered[]; readonly timerEffects: number };
  readonly delivered: readonly Delivered[];
  /** The store's rows and counts once the last run finished. */
  readonly rows: readonly StoredConnection[];
  readonly counts: Awaited<ReturnType<ConnectionStore['counts']>>;
}

type Plan =
  | { readonly kind: 'at event'; readonly event: number }
  | { readonly kind: 'in-transaction'; readonly step: 'markSeen' | 'load' | 'save' | 'claimDue' | 'enqueue'; readonly after: number }
  | { readonly kind: 'after-delivery'; readonly after: number };

/** The steps of a transaction a crash is placed after: the dedupe, the load, the save, the timer claim, the outbox. */
const STEPS = ['markSeen', 'save', 'claimDue', 'load', 'enqueue'] as const;

export async function crashScenario(options: {
  readonly seed: number;
  readonly items: number;
  readonly events: number;
  readonly crashes: number;
  readonly store: WorkerSettings['store'];
  /** Opens the store the workers used, to read the outcome. */
  readonly open: () => Promise<ConnectionStore>;
}): Promise<CrashReport> {
  const next = random(options.seed);
  const dir = mkdtempSync(join(tmpdir(), 'pluggy-lifecycle-crash-'));
  const { events, until } = generateStream({ seed: options.seed, items: options.items, events: options.events });
  const stream = join(dir, 'stream.jsonl');
  const sink = join(dir, 'delivered.jsonl');
  writeJsonLines(stream, events);
  writeFileSync(sink, '');

  // The reference: the same stream, uninterrupted, one event per transaction, in memory.
  const referenceStore = createMemoryStore();
  const referenceDelivered: Delivered[] = [];
  await runLoop({ store: referenceStore, events, until, batches: [1], leaseMs: 1_000, deliver: ({ key, effect }) => void referenceDelivered.push({ key, effect }) });
  const referenceRows = await referenceStore.list({ limit: 10_000 });
  const timerEffects = referenceDelivered.filter(({ effect }) => effect.type === 'fetch' && effect.reason !== 'webhook').length;

  // The workers take events in batches of varying sizes; the outcome must not depend on them.
  const batches = Array.from({ length: 17 }, () => 1 + Math.floor(next() * 8));
  const settings = (crash?: WorkerSettings['crash']): WorkerSettings => ({ store: options.store, stream, sink, until, batches, leaseMs: 150, ...(crash ? { crash } : {}) });

  // Kills move through the stream, with the two worst moments mixed in.
  const plans: Plan[] = Array.from({ length: options.crashes }, (_, index): Plan => {
    if (index % 4 === 1) return { kind: 'in-transaction', step: STEPS[Math.floor(index / 4) % STEPS.length]!, after: 1 + Math.floor(next() * 30) };
    if (index % 4 === 3) return { kind: 'after-delivery', after: 1 + Math.floor(next() * 20) };
    const slice = options.events / options.crashes;
    return { kind: 'at event', event: Math.floor(index * slice + next() * slice) };
  });
  const runs: Array<{ plan: string; exit: Exit }> = [];
  for (const plan of plans) {
    const exit =
      plan.kind === 'at event'
        ? await runWorker(settings(), { killAtEvent: plan.event })
        : await runWorker(settings(plan.kind === 'in-transaction' ? { when: plan.kind, step: plan.step, after: plan.after } : { when: plan.kind, after: plan.after }));
    const named = plan.kind === 'at event' ? `at event ${plan.event}` : plan.kind === 'in-transaction' ? `after ${plan.step} #${plan.after}` : `after delivery #${plan.after}`;
    runs.push({ plan: `SIGKILL ${named}`, exit });
  }
  const final = await runWorker(settings());

  const delivered = readJsonLines<Delivered>(sink);
  const store = await options.open();
  try {
    return {
      seed: options.seed,
      events: events.length,
      until,
      runs,
      final,
      reference: { rows: referenceRows, delivered: referenceDelivered, timerEffects },
      delivered,
      rows: await store.list({ limit: 10_000 }),
      counts: await store.counts(),
    };
  } finally {
    await store.close();
  }
}

/** A row without its write time, which differs between runs. */
export const comparable = ({ updatedAt: _updatedAt, ...row }: StoredConnection) => row;

/**
 * What every crash test asserts: each planned kill happened and the last run finished; every
 * connection ends where the uninterrupted run left it; every effect of that run was delivered under
 * its key and nothing else was (a key delivered again carries the same effect); no timer is overdue.
 * Answers how many keys were delivered more than once.
 */
export function expectNothingLost(report: CrashReport, crashes: number, label: string): number {
  const context = `${label}; runs: ${report.runs.map((run) => `${run.plan} → ${run.exit.signal ?? run.exit.code}`).join(', ')}`;
  expect({ context, killed: report.runs.filter((run) => run.exit.signal === 'SIGKILL').length }).toEqual({ context, killed: crashes });
  expect({ context, final: report.final.code, stderr: report.final.stderr }).toEqual({ context, final: 0, stderr: '' });

  expect(report.rows.map(comparable)).toEqual(report.reference.rows.map(comparable));
  expect(report.counts).toEqual({ connections: report.reference.rows.length, outbox: 0, dedupe: expect.any(Number), quarantine: 0 });

  const byKey = new Map<string, unknown[]>();
  for (const { key, effect } of report.delivered) byKey.set(key, [...(byKey.get(key) ?? []), effect]);
  const expected = new Map(report.reference.delivered.map(({ key, effect }) => [key, effect]));
  expect([...byKey.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, effects] of byKey) for (const effect of effects) expect({ key, effect }).toEqual({ key, effect: expected.get(key) });

  expect(report.rows.filter((row) => row.nextDue !== null && row.nextDue <= report.until)).toEqual([]);
  const redelivered = [...byKey.values()].filter((effects) => effects.length > 1).length;
  console.info(
    `${label}: ${report.events} events, ${report.runs.length} SIGKILLs, ${expected.size} effects (${report.reference.timerEffects} from timers), ` +
      `${redelivered} delivered again under the same key; ${context}`,
  );
  return redelivered;
}
