/**
 * Property tests: random sequences of what Pluggy and the host send a connection (snapshots in
 * and out of order, webhooks with repeated eventIds, timers, reconnections, sync answers, failed
 * fetches), run on `createConnection` with a simulated clock. After every step the connection
 * must keep the contract of DESIGN.md. fast-check prints the seed and the shrunk sequence of any
 * failure, so a failure can be replayed with `{ seed, path }`.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import {
  createConnection,
  decide,
  eventDigest,
  EXECUTION_STATUSES,
  ITEM_STATUSES,
  SimulatedClock,
  WEBHOOK_EVENTS,
  type ConnectionCommand,
  type ConnectionState,
  type DriveMode,
  type Effect,
  type SendResult,
} from '../src';
import { DECLARED_BY_KEY, TransitionRecorder, writeCoverageReport } from './exercise';
import { ITEM_ID, T0 } from './support';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// What can happen to a connection.

type Action =
  | {
      readonly kind: 'snapshot';
      readonly status: string;
      readonly executionStatus: string;
      /** updatedAt relative to the last accepted snapshot (or to now, before the first). */
      readonly when: 'newer' | 'equal' | 'older';
      readonly deltaMs: number;
      readonly request: 'none' | 'parameter' | 'userAction';
      /** The request's expiresAt relative to now; null: no deadline given. */
      readonly expiresInMs: number | null;
      /** connector.isOpenFinance; undefined: no connector in the item. */
      readonly openFinance: boolean | undefined;
    }
  | { readonly kind: 'webhook'; readonly event: string; readonly eventId: string; readonly otherItem: boolean }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'reconnect' }
  | { readonly kind: 'syncDone'; readonly accounts: number }
  | { readonly kind: 'syncFailed' }
  | { readonly kind: 'fetchFailed'; readonly status: 404 | 500 };

/** Pairs that reach the states a uniform draw rarely reaches (syncable, awaiting the user, unknown). */
const FREQUENT_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['UPDATED', 'SUCCESS'],
  ['UPDATED', 'PARTIAL_SUCCESS'],
  ['OUTDATED', 'SUCCESS'],
  ['WAITING_USER_INPUT', 'WAITING_USER_INPUT'],
  ['WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING'],
  ['UPDATING', 'LOGIN_IN_PROGRESS'],
  ['LOGIN_ERROR', 'INVALID_CREDENTIALS'],
  ['UPDATED', 'FINISHED'],
];

const snapshotAction: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('snapshot' as const),
  pair: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ITEM_STATUSES), fc.constantFrom(...EXECUTION_STATUSES)) },
    { weight: 2, arbitrary: fc.constantFrom(...FREQUENT_PAIRS) },
  ),
  when: fc.oneof(
    { weight: 3, arbitrary: fc.constant('newer' as const) },
    { weight: 1, arbitrary: fc.constant('equal' as const) },
    { weight: 1, arbitrary: fc.constant('older' as const) },
  ),
  deltaMs: fc.integer({ min: 1, max: 2 * MINUTE }),
  request: fc.constantFrom('none' as const, 'parameter' as const, 'userAction' as const),
  expiresInMs: fc.option(fc.integer({ min: -2 * MINUTE, max: 15 * MINUTE }), { nil: null }),
  openFinance: fc.constantFrom(undefined, true, false),
}).map(({ pair: [status, executionStatus], ...rest }) => ({ ...rest, status, executionStatus }));

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: snapshotAction },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('webhook' as const),
      event: fc.constantFrom(...WEBHOOK_EVENTS),
      eventId: fc.constantFrom('evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5'),
      otherItem: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 20 * MINUTE }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reconnect' as const }) },
  {
    weight: 3,
    // Zero accounts half of the time: the Open Finance re-reads need several in a row.
    arbitrary: fc.record({ kind: fc.constant('syncDone' as const), accounts: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'syncFailed' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fetchFailed' as const), status: fc.constantFrom(404 as const, 500 as const) }) },
);

interface Setup {
  readonly mode: DriveMode;
  readonly isOpenFinance: boolean | undefined;
  /** Small, so that retries run out within a sequence. */
  readonly syncRetryMaxAttempts: number;
}

const setup: fc.Arbitrary<Setup> = fc.record({
  mode: fc.constantFrom('poll' as const, 'push' as const),
  isOpenFinance: fc.constantFrom(undefined, true, false),
  syncRetryMaxAttempts: fc.oneof({ weight: 2, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }),
});

const scenario = fc.tuple(setup, fc.array(action, { minLength: 1, maxLength: 40, size: 'max' }));

// ---------------------------------------------------------------------------------------------
// Running a sequence, step by step.

/** Every declared transition the property runs took, for the coverage figure. */
const recorder = new TransitionRecorder();

interface Step {
  readonly index: number;
  readonly action: Action;
  readonly before: ConnectionState;
  readonly after: ConnectionState;
  /** What `send` returned; undefined for a clock advance. */
  readonly result: SendResult | undefined;
  /** For a snapshot: the updatedAt it carried (epoch ms) and the decision it holds. */
  readonly updatedAt: number | undefined;
  /** Effects delivered to the host's handlers during the step. */
  readonly effects: readonly Effect[];
  /** Declared transitions taken during the step (from `@xstate.microstep` inspection events). */
  readonly taken: readonly string[];
  readonly errors: readonly unknown[];
}

function itemOf(action: Extract<Action, { kind: 'snapshot' }>, updatedAt: number, now: number) {
  const expiresAt = action.expiresInMs === null ? {} : { expiresAt: iso(now + action.expiresInMs) };
  return {
    id: ITEM_ID,
    status: action.status,
    executionStatus: action.executionStatus,
    updatedAt: iso(updatedAt),
    createdAt: iso(T0),
    ...(action.openFinance === undefined ? {} : { connector: { id: 601, name: 'Banco', isOpenFinance: action.openFinance } }),
    ...(action.request === 'parameter' ? { parameter: { name: 'token', label: 'SMS code', ...expiresAt } } : {}),
    ...(action.request === 'userAction' ? { userAction: { type: 'authorize-access', ...expiresAt } } : {}),
  };
}

function webhookOf(action: Extract<Action, { kind: 'webhook' }>) {
  const itemId = action.otherItem ? 'another-item' : ITEM_ID;
  if (action.event.startsWith('connector/')) return { event: action.event, eventId: action.eventId, data: { status: 'UNSTABLE' } };
  if (action.event.startsWith('transactions/')) return { event: action.event, eventId: action.eventId, itemId, accountId: 'acc-1' };
  if (action.event === 'item/error') return { event: action.event, eventId: action.eventId, itemId, error: { code: 'INVALID_CREDENTIALS' } };
  return { event: action.event, eventId: action.eventId, itemId, triggeredBy: 'SYNC' };
}

/** Runs one sequence and hands every step to `check` (which throws on a broken invariant). */
function run([config, actions]: [Setup, Action[]], check: (step: Step) => void): void {
  const clock = new SimulatedClock(T0);
  const errors: unknown[] = [];
  const connection = createConnection({
    itemId: ITEM_ID,
    clock,
    mode: config.mode,
    ...(config.isOpenFinance === undefined ? {} : { isOpenFinance: config.isOpenFinance }),
    timing: { syncRetryMaxAttempts: config.syncRetryMaxAttempts },
    inspect: recorder.inspect,
    onError: (error) => errors.push(error),
  });
  const delivered: Effect[] = [];
  connection.on('*', (effect) => delivered.push(effect));
  recorder.take();
  try {
    actions.forEach((action, index) => {
      const before = connection.getState();
      delivered.length = 0;
      let result: SendResult | undefined;
      let updatedAt: number | undefined;
      const send = (command: ConnectionCommand) => (result = connection.send(command));
      switch (action.kind) {
        case 'snapshot': {
          const base = before.last?.updatedAt ?? clock.now();
          updatedAt = action.when === 'newer' ? base + action.deltaMs : action.when === 'equal' ? base : base - action.deltaMs;
          send({ type: 'SNAPSHOT', item: itemOf(action, updatedAt, clock.now()) });
          break;
        }
        case 'webhook':
          send({ type: 'WEBHOOK', payload: webhookOf(action) });
          break;
        case 'advance':
          clock.advance(action.ms);
          break;
        case 'reconnect':
          send({ type: 'RECONNECT' });
          break;
        case 'syncDone':
          send({ type: 'SYNC_DONE', accounts: action.accounts });
          break;
        case 'syncFailed':
          send({ type: 'SYNC_FAILED', error: new Error('database unavailable') });
          break;
        case 'fetchFailed':
          send({ type: 'FETCH_FAILED', error: { status: action.status, message: action.status === 404 ? 'Not Found' : 'Internal Server Error' } });
          break;
      }
      check({
        index,
        action,
        before,
        after: connection.getState(),
        result,
        updatedAt,
        effects: [...delivered],
        taken: recorder.take(),
        errors: [...errors],
      });
    });
  } finally {
    connection.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The invariants, each a function of one step.

class Broken extends Error {}
function ensure(condition: boolean, message: () => string): void {
  if (!condition) throw new Broken(message());
}
const show = (step: Step) =>
  `step ${step.index + 1} ${JSON.stringify(step.action)}: ${step.before.value} → ${step.after.value}, effects ${JSON.stringify(step.effects.map((e) => e.type))}, transitions ${JSON.stringify(step.taken)}`;

const isStaleSnapshot = (step: Step) =>
  step.action.kind === 'snapshot' && step.before.last !== null && step.updatedAt! <= step.before.last.updatedAt;
const isNewerSnapshot = (step: Step) => step.action.kind === 'snapshot' && !isStaleSnapshot(step);

const INVARIANTS = {
  /** (a) */
  'a sync is asked only while syncable, and only when the last accepted snapshot allows one': (step: Step) => {
    if (!step.effects.some((effect) => effect.type === 'sync')) return;
    ensure(step.after.value === 'syncable.syncing', () => `sync emitted outside syncable.syncing — ${show(step)}`);
    ensure(step.after.last !== null && decide(step.after.last).canSync, () => `sync emitted although decide(last) forbids it (last ${JSON.stringify(step.after.last)}) — ${show(step)}`);
  },

  /**
   * (b) Leaving `blocked` takes evidence: a newer snapshot, RECONNECT, or the item's deletion (R0:
   * item/deleted or a 404 on fetch end any connection). Timers, other webhooks, stale or duplicate
   * snapshots and sync answers leave it where it is; a newer snapshot of the same failure prompts nobody.
   */
  'blocked is left only on a newer snapshot, a reconnection or the deletion of the item': (step: Step) => {
    if (!step.before.value.startsWith('blocked.')) return;
    const { action } = step;
    if (action.kind === 'reconnect') {
      ensure(step.after.value === 'pending.waiting', () => `RECONNECT did not move blocked to pending — ${show(step)}`);
      return;
    }
    if (isNewerSnapshot(step)) {
      if (action.kind === 'snapshot' && decide(action).rule === step.before.rule) {
        ensure(
          step.after.value === step.before.value && step.effects.length === 0,
          () => `a newer snapshot of the same failure (${step.before.rule}) moved or prompted — ${show(step)}`,
        );
      }
      return;
    }
    const deletion =
      (action.kind === 'fetchFailed' && action.status === 404) ||
      (action.kind === 'webhook' && action.event === 'item/deleted' && !action.otherItem && !step.before.context.eventDigests.includes(eventDigest(action.eventId)));
    if (deletion) {
      ensure(step.after.value === 'deleted', () => `the deletion of the item did not end a blocked connection — ${show(step)}`);
      return;
    }
    ensure(step.after.value === step.before.value, () => `blocked was left without evidence — ${show(step)}`);
    if (action.kind !== 'webhook') ensure(step.effects.length === 0, () => `a blocked connection emitted effects without evidence — ${show(step)}`);
  },

  /** (c) */
  'once deleted, always deleted, and silent': (step: Step) => {
    if (step.before.value !== 'deleted') return;
    ensure(step.after.value === 'deleted' && step.after.status === 'done', () => `left deleted — ${show(step)}`);
    ensure(step.effects.length === 0, () => `a deleted connection emitted effects — ${show(step)}`);
    ensure(step.result === undefined || (step.result.ok && !step.result.changed), () => `send changed a deleted connection — ${show(step)}`);
  },

  /** (d) */
  'a stale snapshot changes nothing, whatever it says': (step: Step) => {
    if (!isStaleSnapshot(step)) return;
    const result = step.result!;
    ensure(result.ok && result.changed === false && result.effects.length === 0, () => `send reported a change: ${JSON.stringify(result)} — ${show(step)}`);
    ensure(step.effects.length === 0, () => `a stale snapshot emitted effects — ${show(step)}`);
    ensure(isDeepStrictEqual(step.after, step.before), () => `a stale snapshot changed the state — ${show(step)}`);
  },

  /** (e) Throwing is caught by fast-check itself; here: no error reached onError and every valid command was accepted. */
  'no input sequence throws or errors, and every valid command is accepted': (step: Step) => {
    ensure(step.errors.length === 0, () => `onError was called: ${String(step.errors[0])} — ${show(step)}`);
    if (step.result) {
      const result = step.result;
      ensure(result.ok, () => `a valid command was rejected: ${result.ok ? '' : result.error.message} — ${show(step)}`);
      ensure(
        result.ok && isDeepStrictEqual(result.effects, step.effects),
        () => `send returned other effects than it delivered — ${show(step)}`,
      );
    }
  },

  /** (f) */
  "every effect carries the connection's itemId": (step: Step) => {
    for (const effect of step.effects) ensure(effect.itemId === ITEM_ID, () => `effect ${JSON.stringify(effect)} has another itemId — ${show(step)}`);
  },

  /** (g) */
  'every effect is one the spec lists for a transition taken in that step': (step: Step) => {
    const undeclared = step.taken.filter((key) => !DECLARED_BY_KEY.has(key));
    ensure(undeclared.length === 0, () => `took transitions the spec does not declare: ${undeclared.join(', ')} — ${show(step)}`);
    const allowed = new Set(step.taken.flatMap((key) => DECLARED_BY_KEY.get(key)?.effects ?? []));
    const unlisted = step.effects.filter((effect) => !allowed.has(effect.type));
    ensure(unlisted.length === 0, () => `emitted ${unlisted.map((e) => e.type).join(', ')}, which no transition taken lists — ${show(step)}`);
  },
} as const;

type InvariantName = keyof typeof INVARIANTS;

// ---------------------------------------------------------------------------------------------

const NUM_RUNS = 1000;
const ran = { sequences: 0, steps: 0, ms: 0 };

describe('whatever Pluggy and the host send, in any order, the connection keeps its contract', () => {
  // One fast-check run per behaviour: a failure names the behaviour and shrinks to its own counterexample.
  test.each(Object.keys(INVARIANTS) as InvariantName[])('%s', (name) => {
    const invariant = INVARIANTS[name];
    const started = Date.now();
    fc.assert(
      fc.property(scenario, (sequence) => {
        ran.sequences++;
        ran.steps += sequence[1].length;
        run(sequence, invariant);
      }),
      { numRuns: NUM_RUNS },
    );
    ran.ms += Date.now() - started;
  });
});

afterAll(() => {
  writeCoverageReport('transitions-properties.md', 'Transition coverage of the property tests (tests/properties.test.ts)', recorder.counts, [
    `${ran.sequences} sequences (${ran.steps} steps) in ${ran.ms} ms, ${NUM_RUNS} runs per behaviour.`,
  ]);
});
