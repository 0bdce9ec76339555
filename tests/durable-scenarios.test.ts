/**
 * The durable path gives the same states and effects as the live actor: the recorded examples, the
 * guide's scenarios, and random interleavings of several connections, replayed line by line
 * through `replay` (one live connection each) and through `ingest` (every connection in one store,
 * timers fired from the store) on every store.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingest, type IngestOutput } from '../src/cli/ingest';
import { replay, type ReplayOutput } from '../src/cli/replay';
import { createProcessor, type ConnectionStore } from '../src/durable';
import { readReplayLine } from '../src/cli/replay';
import { createMemoryStore } from '../src/stores/memory';
import type { DriveMode, Effect } from '../src';
import { InputError } from '../src/errors';
import { itemJson, T0 } from './support';
import { storeKinds, type StoreKind } from './support/stores';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

type Line = Record<string, unknown>;
type Comparable = { readonly state: string; readonly effects: readonly Effect[] } | { readonly error: string };

/** What replay printed for each line, without line numbers (replay follows one item: its lines name none). */
function live(lines: readonly Line[], mode: DriveMode): Comparable[] {
  const unnamed = lines.map(({ itemId: _itemId, ...line }) => JSON.stringify(line));
  return replay(unnamed, { mode }).map((output: ReplayOutput) =>
    'error' in output ? { error: output.error } : { state: output.state, effects: output.effects },
  );
}

/** The same, per item, read from ingest's output of the interleaved file: an advance line shows what fired for that item. */
function durableFor(itemId: string, lines: readonly Line[], outputs: readonly IngestOutput[]): Comparable[] {
  const byLine = new Map(outputs.map((output) => [output.line, output]));
  let state = 'unknown.unobserved';
  const result: Comparable[] = [];
  lines.forEach((line, index) => {
    const output = byLine.get(index + 1)!;
    const isAdvance = 'advance' in line;
    if (!isAdvance && line.itemId !== itemId) return;
    if ('error' in output) {
      result.push({ error: output.error });
      return;
    }
    const fired = ('fired' in output ? (output.fired ?? []) : []).filter((entry) => entry.itemId === itemId);
    for (const entry of fired) state = entry.state;
    const effects = fired.flatMap((entry) => entry.effects);
    if ('state' in output) {
      state = output.state;
      effects.push(...output.effects);
    }
    result.push({ state, effects });
  });
  return result;
}

async function compare(kind: StoreKind, scenarios: ReadonlyArray<{ itemId: string; lines: readonly Line[] }>, interleaved: readonly Line[], mode: DriveMode) {
  const store: ConnectionStore = await kind.open();
  try {
    const outputs = await ingest(interleaved.map((line) => JSON.stringify(line)), store, { mode });
    for (const { itemId, lines } of scenarios) expect(durableFor(itemId, interleaved, outputs)).toEqual(live(lines, mode));
  } finally {
    await store.close();
  }
}

/** A recorded example with every line naming its item (replay needs no name: it follows one item). */
function example(file: string): { itemId: string; lines: Line[] } {
  const lines = readFileSync(join(__dirname, '..', 'examples', 'replay', file), 'utf8')
    .split('\n')
    .filter((text) => text.trim() !== '')
    .map((text) => JSON.parse(text) as Line);
  const itemId = (lines.find((line) => 'snapshot' in line)!.snapshot as { id: string }).id;
  return { itemId, lines: lines.map((line) => ('advance' in line ? line : { itemId, ...line })) };
}

const guide = (itemId: string, openFinance = false): Line[] => {
  const item = (status: string, executionStatus: string, at: number, extra: Record<string, unknown> = {}) => ({
    itemId,
    snapshot: itemJson(status, executionStatus, at, { id: itemId, connector: { id: 601, name: 'Itaú', isOpenFinance: openFinance }, ...extra }),
  });
  return [
    item('UPDATED', 'SUCCESS', T0),
    { itemId, syncDone: { accounts: 2 } },
    item('UPDATED', 'PARTIAL_SUCCESS', T0 + 1000),
    { itemId, syncDone: { accounts: 0 } },
    { advance: 60_000 },
    { itemId, syncDone: { accounts: 0 } },
    { advance: 120_000 },
    { itemId, syncFailed: { error: 'timeout' } },
    { advance: 240_000 },
    item('OUTDATED', 'USER_INPUT_TIMEOUT', T0 + 500_000),
    item('WAITING_USER_INPUT', 'USER_INPUT_TIMEOUT', T0 + 501_000),
    item('OUTDATED', 'SUCCESS', T0 + 502_000),
    item('LOGIN_ERROR', 'INVALID_CREDENTIALS', T0 + 503_000),
    item('LOGIN_ERROR', 'INVALID_CREDENTIALS', T0 + 504_000),
    { itemId, reconnect: true },
    { advance: 11 * MINUTE },
    item('UPDATED', 'SUCCESS', T0 + 1_300_000),
  ];
};

// ---------------------------------------------------------------------------------------------
// Random interleavings: several items, their events mixed, time moving for all of them.

const ITEMS = ['0a1b2c3d-0000-4000-8000-00000000000a', '0a1b2c3d-0000-4000-8000-00000000000b', '0a1b2c3d-0000-4000-8000-00000000000c'];

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['UPDATED', 'SUCCESS'],
  ['UPDATED', 'PARTIAL_SUCCESS'],
  ['UPDATING', 'LOGIN_IN_PROGRESS'],
  ['UPDATING', 'ACCOUNTS_IN_PROGRESS'],
  ['WAITING_USER_INPUT', 'WAITING_USER_INPUT'],
  ['WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING'],
  ['OUTDATED', 'SUCCESS'],
  ['OUTDATED', 'SITE_NOT_AVAILABLE'],
  ['LOGIN_ERROR', 'INVALID_CREDENTIALS'],
  ['OUTDATED', 'USER_INPUT_TIMEOUT'],
  ['UPDATED', 'MERGE_ERROR'],
  ['PARTIAL_SUCCESS', 'SUCCESS'], // rejected: a status that is an executionStatus
];

type Step =
  | { readonly kind: 'snapshot'; readonly item: number; readonly pair: number; readonly ageMs: number; readonly openFinance: boolean; readonly deadlineMs: number }
  | { readonly kind: 'webhook'; readonly item: number; readonly event: string; readonly repeat: number }
  | { readonly kind: 'syncDone'; readonly item: number; readonly accounts: number }
  | { readonly kind: 'syncFailed'; readonly item: number }
  | { readonly kind: 'reconnect'; readonly item: number }
  | { readonly kind: 'fetchFailed'; readonly item: number; readonly status: number }
  | { readonly kind: 'advance'; readonly ms: number };

const item = fc.integer({ min: 0, max: ITEMS.length - 1 });
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), item, pair: fc.integer({ min: 0, max: PAIRS.length - 1 }), ageMs: fc.constantFrom(-3000, 0, 0, 1000, 2000), openFinance: fc.boolean(), deadlineMs: fc.constantFrom(30_000, 3 * MINUTE, 9 * MINUTE) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('webhook' as const), item, event: fc.constantFrom('item/updated', 'item/error', 'item/login_succeeded', 'transactions/created', 'item/deleted'), repeat: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('syncDone' as const), item, accounts: fc.constantFrom(0, 0, 2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('syncFailed' as const), item }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), item }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fetchFailed' as const), item, status: fc.constantFrom(404, 500, 503) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(500, 2000, 7000, 60_000, 5 * MINUTE, 11 * MINUTE) }) },
);

/** Turns steps into lines: each item starts with a snapshot at T0, so every replay starts its clock there too. */
function linesOf(steps: readonly Step[]): { interleaved: Line[]; scenarios: Array<{ itemId: string; lines: Line[] }> } {
  let clock = T0;
  const lastUpdatedAt = ITEMS.map(() => T0);
  const webhookIds: string[][] = ITEMS.map(() => []);
  let counter = 0;
  const interleaved: Line[] = ITEMS.map((itemId) => ({ itemId, snapshot: itemJson('UPDATING', 'CREATED', T0, { id: itemId }) }));
  for (const step of steps) {
    if (step.kind === 'advance') {
      clock += step.ms;
      interleaved.push({ advance: step.ms });
      continue;
    }
    const itemId = ITEMS[step.item]!;
    switch (step.kind) {
      case 'snapshot': {
        const [status, executionStatus] = PAIRS[step.pair]!;
        const updatedAt = Math.max(T0, (step.ageMs < 0 ? lastUpdatedAt[step.item]! : Math.max(clock, lastUpdatedAt[step.item]!)) + step.ageMs);
        if (updatedAt > lastUpdatedAt[step.item]!) lastUpdatedAt[step.item] = updatedAt;
        // Deadlines lie ahead of the clock: a deadline already past fires on the next event durably, on the next advance live.
        const deadline = iso(clock + step.deadlineMs);
        const extra =
          status === 'WAITING_USER_INPUT'
            ? { parameter: { name: 'token', expiresAt: deadline } }
            : status === 'WAITING_USER_ACTION'
              ? { userAction: { type: 'authorize', expiresAt: deadline } }
              : {};
        interleaved.push({ itemId, snapshot: itemJson(status, executionStatus, updatedAt, { id: itemId, connector: { id: 1, name: 'Banco', isOpenFinance: step.openFinance }, ...extra }) });
        break;
      }
      case 'webhook': {
        // A repeat is one of the item's few last eventIds (the live connection remembers its last 16).
        const known = webhookIds[step.item]!;
        const eventId = step.repeat < 0 && known.length > 0 ? known[Math.max(0, known.length + step.repeat)]! : `evt-${++counter}-${step.item}`;
        if (!known.includes(eventId)) known.push(eventId);
        interleaved.push({ itemId, webhook: { event: step.event, eventId, itemId } });
        break;
      }
      case 'syncDone':
        interleaved.push({ itemId, syncDone: { accounts: step.accounts } });
        break;
      case 'syncFailed':
        interleaved.push({ itemId, syncFailed: { error: 'the bank timed out' } });
        break;
      case 'reconnect':
        interleaved.push({ itemId, reconnect: true });
        break;
      case 'fetchFailed':
        interleaved.push({ itemId, fetchFailed: { status: step.status } });
        break;
    }
  }
  const scenarios = ITEMS.map((itemId) => ({ itemId, lines: interleaved.filter((line) => 'advance' in line || line.itemId === itemId) }));
  return { interleaved, scenarios };
}

const RUNS: Record<string, number> = { memory: 60, 'sqlite :memory:': 20, 'sqlite file': 6, postgres: 8 };

describe.each(storeKinds().map((kind) => [kind.name, kind] as const))('on the %s store', (name, kind: StoreKind) => {
  afterAll(() => kind.cleanup());

  test.each([['mfa-timeout.jsonl'], ['open-finance-partial.jsonl']])('the recorded example %s gives the live states and effects', async (file) => {
    const scenario = example(file);
    await compare(kind, [scenario], scenario.lines, 'poll');
  });

  test.each<[DriveMode]>([['poll'], ['push']])("the guide's scenarios, two connections interleaved, in %s mode", async (mode) => {
    const a = guide(ITEMS[0]!, true);
    const b = guide(ITEMS[1]!, false);
    // One line of each in turn; both files advance the same clock.
    const interleaved: Line[] = [];
    for (let index = 0; index < a.length; index++) {
      interleaved.push(a[index]!);
      if (!('advance' in b[index]!)) interleaved.push(b[index]!);
    }
    const onlyB = interleaved.filter((line) => 'advance' in line || line.itemId === ITEMS[1]);
    await compare(kind, [{ itemId: ITEMS[0]!, lines: a }, { itemId: ITEMS[1]!, lines: onlyB }], interleaved, mode);
  });

  test('random interleavings of three connections give the live states and effects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 5, maxLength: 40 }), fc.constantFrom<DriveMode>('poll', 'push'), async (steps, mode) => {
        const { interleaved, scenarios } = linesOf(steps);
        await compare(kind, scenarios, interleaved, mode);
      }),
      { numRuns: RUNS[name] ?? 5 },
    );
  });
});

test('a processor that starts cold for every event (as after a crash) gives what a warm one gives', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArbitrary, { minLength: 5, maxLength: 40 }), async (steps) => {
      const { interleaved } = linesOf(steps);
      const run = async (cold: boolean) => {
        const store = createMemoryStore();
        let clock = T0;
        const warm = createProcessor({ store, clock: { now: () => clock } });
        const outputs: unknown[] = [];
        for (const [index, line] of interleaved.entries()) {
          const processor = cold ? createProcessor({ store, clock: { now: () => clock }, cacheSize: 0 }) : warm;
          const { itemId, ...rest } = line;
          const step = readReplayLine(JSON.stringify(rest));
          if (step instanceof InputError) throw step;
          if ('advance' in step) {
            clock += step.advance;
            outputs.push(await processor.fireDueTimers(clock));
          } else {
            const eventId = step.command.type === 'WEBHOOK' ? {} : { eventId: `line-${index}` };
            outputs.push(await processor.process({ itemId: itemId as string, command: step.command, at: clock, ...eventId }));
          }
        }
        return { outputs, rows: await store.list({ limit: 10 }) };
      };
      const [cold, warm] = [await run(true), await run(false)];
      expect(cold.outputs).toEqual(warm.outputs);
      expect(cold.rows.map(({ updatedAt: _u, ...row }) => row)).toEqual(warm.rows.map(({ updatedAt: _u, ...row }) => row));
    }),
    { numRuns: 40 },
  );
});
