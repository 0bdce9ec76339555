/**
 * Model-based tests: `xstate/graph` walks the statechart (with real guards and context) over
 * generated events, and every path it finds is replayed on a real `createConnection` on a
 * simulated clock. The runtime must agree with the model at every step, every state of the model
 * must be reachable, and every declared transition must be taken by the runtime at least once.
 */
import { isDeepStrictEqual } from 'node:util';
import { initialTransition, type AnyActorLogic } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths } from 'xstate/graph';
import {
  connectionMachine,
  createConnection,
  decide,
  eventDigest,
  parseItem,
  REMEMBERED_EVENT_IDS,
  RULES,
  SimulatedClock,
  toDottedState,
  type ConnectionCommand,
  type ConnectionInput,
  type Effect,
} from '../src';
import {
  DECLARED,
  DECLARED_BY_KEY,
  armedTimers,
  isAfterEvent,
  timedStep,
  timerOf,
  TransitionRecorder,
  writeCoverageReport,
  type ModelEvent,
  type ModelSnapshot,
} from './exercise';
import { ITEM_ID, T0 } from './support';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// The events the model offers in each state, as a function of the snapshot.

/** One (status, executionStatus) pair per rule a snapshot can reach (every rule but R0). */
const REPRESENTATIVES: ReadonlyArray<readonly [string, string]> = [
  ['WAITING_USER_INPUT', 'USER_INPUT_TIMEOUT'], // R1
  ['LOGIN_ERROR', 'INVALID_CREDENTIALS'], // R2
  ['LOGIN_ERROR', 'INVALID_CREDENTIALS_MFA'], // R3
  ['OUTDATED', 'SITE_NOT_AVAILABLE'], // R4
  ['OUTDATED', 'UNEXPECTED_ERROR'], // R5
  ['LOGIN_ERROR', 'ACCOUNT_LOCKED'], // R6
  ['OUTDATED', 'USER_AUTHORIZATION_NOT_GRANTED'], // R7
  ['LOGIN_ERROR', 'USER_NOT_SUPPORTED'], // R8
  ['WAITING_USER_INPUT', 'WAITING_USER_INPUT'], // R9
  ['WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING'], // R10
  ['UPDATING', 'LOGIN_IN_PROGRESS'], // R11
  ['OUTDATED', 'SUCCESS'], // R12
  ['OUTDATED', 'FINISHED'], // R13
  ['LOGIN_ERROR', 'SUCCESS'], // R14
  ['UPDATED', 'SUCCESS'], // R15
  ['UPDATED', 'PARTIAL_SUCCESS'], // R16
  ['UPDATED', 'FINISHED'], // R17
];

/** An item as `GET /items/{id}` returns it; no connector, so the connection's own isOpenFinance holds. */
function itemBody(status: string, executionStatus: string, updatedAt: number, extra: Record<string, unknown> = {}) {
  return { id: ITEM_ID, status, executionStatus, updatedAt: iso(updatedAt), createdAt: iso(T0), ...extra };
}

/** What the user is asked, with a deadline a few minutes after `now`. */
function requestFor(status: string, executionStatus: string, now: number): Record<string, unknown> {
  const awaiting = decide({ status, executionStatus }).awaiting;
  if (awaiting === 'input') return { parameter: { name: 'token', label: 'SMS code', type: 'number', expiresAt: iso(now + 3 * MINUTE) } };
  if (awaiting === 'action') return { userAction: { type: 'authorize-access', instructions: 'Open the bank app', expiresAt: iso(now + 7 * MINUTE) } };
  return {};
}

/** `input:token@1796040180000` (the context's fingerprint of the request) → the same request again. */
function sameRequest(request: string): readonly [string, string, Record<string, unknown>] | undefined {
  const match = /^(input|action):(.*)@(\d*)$/.exec(request);
  if (!match) return undefined;
  const [, kind, name, due] = match;
  const expiresAt = due ? iso(Number(due)) : undefined;
  return kind === 'input'
    ? ['WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name, ...(expiresAt ? { expiresAt } : {}) } }]
    : ['WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING', { userAction: { type: name, ...(expiresAt ? { expiresAt } : {}) } }];
}

const labels = new WeakMap<object, string>();
const commands = new WeakMap<object, ConnectionCommand>();
const labelOf = (event: object) => labels.get(event) ?? (event as { type: string }).type;

/**
 * Every event the model tries from `snapshot`: a newer snapshot per rule, stale and duplicate
 * snapshots, the same request to the user again, webhook variants, the host's answers, and the
 * timers of the active states. Each event carries the host time (`at`) the runtime will stamp.
 */
function modelEvents(snapshot: ModelSnapshot): ModelEvent[] {
  if (snapshot.status !== 'active') return []; // a deleted connection ignores everything (the runtime checks)
  const { context } = snapshot;
  const at = context.clock;
  const events: ModelEvent[] = [];
  const add = (label: string, event: ModelEvent, command?: ConnectionCommand) => {
    labels.set(event, label);
    if (command) commands.set(event, command);
    events.push(event);
  };
  const snapshotEvent = (label: string, json: ReturnType<typeof itemBody>) =>
    add(label, { type: 'SNAPSHOT', item: parseItem(json), at }, { type: 'SNAPSHOT', item: json });
  const webhook = (label: string, payload: Record<string, unknown>) =>
    add(label, { type: 'WEBHOOK', payload: payload as never, at }, { type: 'WEBHOOK', payload });

  const newer = (context.last?.updatedAt ?? T0) + 1000;
  for (const [status, executionStatus] of REPRESENTATIVES) {
    snapshotEvent(`SNAPSHOT ${status}+${executionStatus}`, itemBody(status, executionStatus, newer, requestFor(status, executionStatus, at)));
  }
  if (context.last) {
    const { status, executionStatus, updatedAt } = context.last;
    snapshotEvent('SNAPSHOT duplicate', itemBody(status, executionStatus, updatedAt));
    const other = status === 'UPDATED' && executionStatus === 'SUCCESS' ? ['LOGIN_ERROR', 'INVALID_CREDENTIALS'] : ['UPDATED', 'SUCCESS'];
    snapshotEvent(`SNAPSHOT older ${other[0]}+${other[1]}`, itemBody(other[0]!, other[1]!, updatedAt - 1000));
  }
  const same = context.request ? sameRequest(context.request) : undefined;
  if (same) snapshotEvent('SNAPSHOT same request', itemBody(same[0], same[1], newer, same[2]));

  // The context keeps digests: the model's eventIds are evt-0, evt-1, … and are found by theirs.
  const modelIds = Array.from({ length: REMEMBERED_EVENT_IDS + 1 }, (_, n) => `evt-${n}`);
  const eventId = modelIds.find((id) => !context.eventDigests.includes(eventDigest(id)))!;
  webhook('WEBHOOK item/updated', { event: 'item/updated', eventId, itemId: ITEM_ID, triggeredBy: 'SYNC' });
  webhook('WEBHOOK item/deleted', { event: 'item/deleted', eventId, itemId: ITEM_ID });
  webhook('WEBHOOK item/updated of another item', { event: 'item/updated', eventId, itemId: 'another-item' });
  webhook('WEBHOOK transactions/created', { event: 'transactions/created', eventId, itemId: ITEM_ID, accountId: 'acc-1' });
  const seen = modelIds.find((id) => eventDigest(id) === context.eventDigests.at(-1));
  if (seen !== undefined) webhook('WEBHOOK item/updated repeated', { event: 'item/updated', eventId: seen, itemId: ITEM_ID });

  add('RECONNECT', { type: 'RECONNECT', at }, { type: 'RECONNECT' });
  add('SYNC_DONE 0 accounts', { type: 'SYNC_DONE', accounts: 0, at }, { type: 'SYNC_DONE', accounts: 0 });
  add('SYNC_DONE 2 accounts', { type: 'SYNC_DONE', accounts: 2, at }, { type: 'SYNC_DONE', accounts: 2 });
  add('SYNC_FAILED', { type: 'SYNC_FAILED', error: 'database unavailable', at }, { type: 'SYNC_FAILED', error: 'database unavailable' });
  add('FETCH_FAILED 404', { type: 'FETCH_FAILED', error: { status: 404 }, at }, { type: 'FETCH_FAILED', error: { status: 404, message: 'Not Found' } });
  add('FETCH_FAILED 500', { type: 'FETCH_FAILED', error: { status: 500 }, at }, { type: 'FETCH_FAILED', error: { status: 500, message: 'Internal Server Error' } });

  // A timer is offered when it can fall due: the timers due before it do not leave its state.
  for (const armed of armedTimers(snapshot)) {
    const event = { type: armed.eventType as `xstate.after.${string}` };
    if (timedStep(snapshot, event)) add(`after ${armed.timer}`, event);
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// The model: the machine, stepped faithfully to time, keyed on a coarse view of its snapshot.

/** Declared transitions each model event took when the traversal applied it (events are generated per state). */
const keysOfStep = new WeakMap<object, readonly string[]>();

/** The machine as `xstate/graph` logic whose `after` events fire the timers due before them first. */
const timedModel = Object.assign(Object.create(connectionMachine) as typeof connectionMachine, {
  transition(snapshot: ModelSnapshot, event: ModelEvent) {
    const step = timedStep(snapshot, event);
    if (!step) throw new Error(`${labelOf(event)} is not reachable from ${toDottedState(snapshot.value)}`);
    keysOfStep.set(event, step.keys);
    return step.snapshot;
  },
}) as unknown as AnyActorLogic;

/** What distinguishes two model states: the state, the rule, and the flags that change what happens next. */
function stateKey(snapshot: ModelSnapshot): string {
  const { context } = snapshot;
  const value = toDottedState(snapshot.value);
  return JSON.stringify({
    value,
    status: snapshot.status,
    rule: context.rule,
    observed: context.last !== null,
    request: context.request !== null,
    attempt: value.startsWith('syncable') ? context.attempt : undefined,
    healing: context.healing,
    seenWebhook: context.eventDigests.length > 0,
  });
}

interface Config {
  readonly name: string;
  readonly input: ConnectionInput & Required<Pick<ConnectionInput, 'mode' | 'isOpenFinance' | 'timing'>>;
}

const CONFIGS: readonly Config[] = [
  { name: 'poll mode', input: { itemId: ITEM_ID, mode: 'poll', isOpenFinance: false, timing: {}, now: T0 } },
  { name: 'push mode', input: { itemId: ITEM_ID, mode: 'push', isOpenFinance: false, timing: {}, now: T0 } },
  {
    name: 'poll mode, Open Finance, 2 re-reads',
    input: { itemId: ITEM_ID, mode: 'poll', isOpenFinance: true, timing: { syncRetryMaxAttempts: 2 }, now: T0 },
  },
];

const traversal = (config: Config, events = modelEvents) => ({
  input: config.input,
  events: events as never,
  serializeState: stateKey as never,
  serializeEvent: labelOf as never,
});

/** The labels of a path's steps; `xstate/graph` starts every path with the `xstate.init` step. */
const labelsOf = (steps: ReadonlyArray<{ event: object }>) =>
  steps.map((step) => labelOf(step.event)).filter((label) => label !== 'xstate.init');

interface ModelPath {
  readonly config: Config;
  readonly labels: readonly string[];
  readonly key: string;
}

const started = Date.now();
const models = CONFIGS.map((config) => {
  const adjacency = getAdjacencyMap(timedModel, traversal(config));
  const shortest = getShortestPaths(timedModel, traversal(config)).map(
    (found): ModelPath => ({ config, labels: labelsOf(found.steps), key: stateKey(found.state as ModelSnapshot) }),
  );
  return { config, adjacency, shortest };
});

/** For each declared transition, the shortest model path whose last step takes it. */
const throughTransition = new Map<string, ModelPath>();
for (const { config, adjacency, shortest } of models) {
  const pathTo = new Map(shortest.map((found) => [found.key, found]));
  for (const [key, { transitions }] of Object.entries(adjacency)) {
    const head = pathTo.get(key);
    if (!head) continue;
    for (const [label, { event, state }] of Object.entries(transitions as Record<string, { event: ModelEvent; state: ModelSnapshot }>)) {
      for (const taken of keysOfStep.get(event) ?? []) {
        const best = throughTransition.get(taken);
        if (!best || best.labels.length > head.labels.length + 1) {
          throughTransition.set(taken, { config, labels: [...head.labels, label], key: stateKey(state as ModelSnapshot) });
        }
      }
    }
  }
}
const traversalMs = Date.now() - started;

// ---------------------------------------------------------------------------------------------
// Replaying a model path on a real connection.

const recorder = new TransitionRecorder();

interface Replay {
  readonly model: ModelSnapshot;
  readonly state: string;
  readonly effects: readonly Effect[];
  /** Declared transitions the runtime took in the last step. */
  readonly lastStep: readonly string[];
}

/**
 * Replays `labels` on the model and on a live connection side by side: events are regenerated from
 * the current model snapshot (so updatedAt, eventIds and deadlines follow the path actually taken),
 * sent to the connection as a host would, and timers are reached by advancing the simulated clock
 * to the due time the connection reports. After every step, state and context must be equal.
 */
function replay({ config, labels: path }: Pick<ModelPath, 'config' | 'labels'>, eventsOf = modelEvents): Replay {
  const clock = new SimulatedClock(T0);
  const errors: unknown[] = [];
  const { itemId, mode, isOpenFinance, timing } = config.input;
  const connection = createConnection({ itemId, mode, isOpenFinance, timing, clock, inspect: recorder.inspect, onError: (error) => errors.push(error) });
  const effects: Effect[] = [];
  connection.on('*', (effect) => effects.push(effect));
  let model = initialTransition(connectionMachine, config.input)[0];
  recorder.take();
  let lastStep: string[] = [];
  path.forEach((label, index) => {
    const event = eventsOf(model).find((candidate) => labelOf(candidate) === label);
    if (!event) throw new Error(`step ${index + 1} "${label}" is not offered in ${stateKey(model)}`);
    const step = timedStep(model, event);
    if (!step) throw new Error(`step ${index + 1} "${label}" cannot happen in ${stateKey(model)}`);
    if (isAfterEvent(event)) {
      const due = connection.getState().timers[timerOf(event.type)];
      if (due === undefined) throw new Error(`step ${index + 1} "${label}": the connection has no ${timerOf(event.type)} timer armed`);
      clock.advanceTo(Math.max(Date.parse(due), clock.now()));
    } else {
      const result = connection.send(commands.get(event)!);
      if (!result.ok) throw result.error;
    }
    model = step.snapshot;
    lastStep = recorder.take();
    const state = connection.getState();
    const runtime = { step: index + 1, label, value: state.value, status: state.status, context: state.context };
    const expected = { step: index + 1, label, value: toDottedState(model.value), status: model.status, context: model.context };
    if (!isDeepStrictEqual(runtime, expected)) expect(runtime).toEqual(expected);
  });
  expect(errors).toEqual([]);
  connection.stop();
  return { model, state: connection.getState().value, effects, lastStep };
}

const describePath = (found: Pick<ModelPath, 'labels'>) => (found.labels.length ? found.labels.join(' → ') : '(start)');

/** `pending.stalled (rule R11, healing): SNAPSHOT … → after stallBudget` */
function nameOf(found: ModelPath): string {
  const key = JSON.parse(found.key) as { value: string; rule: string | null; attempt?: number; healing: boolean; request: boolean; seenWebhook: boolean };
  const traits = [
    `rule ${key.rule ?? 'none'}`,
    ...(key.attempt !== undefined ? [`attempt ${key.attempt}`] : []),
    ...(key.request ? ['user asked'] : []),
    ...(key.healing ? ['healing'] : []),
    ...(key.seenWebhook ? ['webhook seen'] : []),
  ];
  return `${key.value} (${traits.join(', ')}): ${describePath(found)}`;
}

/** Leaf states of the chart (every state a connection can be in). */
const DECLARED_LEAVES = (() => {
  const leaves: string[] = [];
  const walk = (node: typeof connectionMachine.root) => {
    const children = Object.values(node.states);
    if (children.length === 0 && node.path.length > 0) leaves.push(node.path.join('.'));
    children.forEach(walk);
  };
  walk(connectionMachine.root);
  return leaves;
})();

// ---------------------------------------------------------------------------------------------

test('the representative snapshots cover every rule a snapshot can reach (R1–R17)', () => {
  const covered = new Set(REPRESENTATIVES.map(([status, executionStatus]) => decide({ status, executionStatus }).rule));
  expect([...covered].sort()).toEqual(
    RULES.map((rule) => rule.id)
      .filter((id) => id !== 'R0')
      .sort(),
  );
});

describe.each(models)('every state of the model is reachable, and a real connection gets there too ($config.name)', ({ config, shortest }) => {
  test('the model reaches every state of the chart but the ones its configuration excludes', () => {
    const reached = new Set(shortest.map((found) => (JSON.parse(found.key) as { value: string }).value));
    const leaves = DECLARED_LEAVES.filter((leaf) => !(config.input.isOpenFinance === false && leaf === 'syncable.accountsPending'));
    expect(leaves.filter((leaf) => !reached.has(leaf))).toEqual([]);
  });

  test.each(shortest.map((found) => [nameOf(found), found] as const))(
    'reaches %s',
    (_name, found) => {
      const { model, state } = replay(found);
      expect(stateKey(model)).toBe(found.key);
      expect(state).toBe((JSON.parse(found.key) as { value: string }).value);
    },
  );
});

describe('a path through every declared transition, replayed on a real connection', () => {
  const reachable = DECLARED.filter((t) => throughTransition.has(t.key));
  test.each(reachable.map((t) => [t.key, t.description, throughTransition.get(t.key)!] as const))(
    '%s — %s',
    (key, _description, found) => {
      const { lastStep, model } = replay(found);
      expect(stateKey(model)).toBe(found.key);
      // The runtime took the transition on the last step of the path, not only the model.
      expect(lastStep).toContain(key);
    },
  );
});

describe('recovery is reported exactly when a blocked connection heals on its own (every simple path)', () => {
  // A small alphabet, so that every simple path can be listed: a failure, a running
  // execution, a success, the host's reconnection and its sync answer.
  const ALPHABET = new Set([
    'SNAPSHOT LOGIN_ERROR+INVALID_CREDENTIALS',
    'SNAPSHOT UPDATING+LOGIN_IN_PROGRESS',
    'SNAPSHOT UPDATED+SUCCESS',
    'RECONNECT',
    'SYNC_DONE 2 accounts',
  ]);
  const small = (snapshot: ModelSnapshot) => modelEvents(snapshot).filter((event) => ALPHABET.has(labelOf(event)));
  const config = CONFIGS[1]!;
  /** Only what matters here: where the connection is, and whether it left `blocked` on evidence. */
  const healingKey = (snapshot: ModelSnapshot) => `${toDottedState(snapshot.value)}${snapshot.context.healing ? ' (healing)' : ''}`;
  const simple = getSimplePaths(timedModel, { ...traversal(config, small), serializeState: healingKey as never }).map((found) => ({
    config,
    labels: labelsOf(found.steps),
  }));

  /** The contract, read from DESIGN.md: leaving `blocked` on a newer snapshot (not RECONNECT), then syncing, is a recovery. */
  function expectedRecoveries(path: readonly string[]): number {
    let phase = 'unknown';
    let healing = false;
    let recoveries = 0;
    for (const label of path) {
      if (label === 'RECONNECT') {
        phase = 'pending';
        healing = false;
      } else if (label.startsWith('SNAPSHOT ')) {
        const [status, executionStatus] = label.slice('SNAPSHOT '.length).split('+');
        const next = decide({ status, executionStatus }).phase;
        if (phase === 'blocked' && next !== 'blocked') healing = true;
        if (next === 'syncable' && phase !== 'syncable' && healing) {
          recoveries++;
          healing = false;
        }
        phase = next;
      }
    }
    return recoveries;
  }

  test('there are simple paths that heal and paths that do not', () => {
    expect(simple.length).toBeGreaterThan(20);
    expect(simple.some((found) => expectedRecoveries(found.labels) > 0)).toBe(true);
    expect(simple.some((found) => found.labels.includes('RECONNECT') && expectedRecoveries(found.labels) === 0)).toBe(true);
  });

  test.each(simple.map((found) => [describePath(found), found] as const))('%s', (_name, found) => {
    const { effects } = replay(found, small);
    expect(effects.filter((effect) => effect.type === 'recovered')).toHaveLength(expectedRecoveries(found.labels));
  });
});

describe('transition coverage', () => {
  test('every declared transition is reachable in the model', () => {
    expect(DECLARED.filter((t) => !throughTransition.has(t.key)).map((t) => `${t.key} (${t.description})`)).toEqual([]);
  });

  test('every declared transition was exercised by a real connection', () => {
    expect(recorder.missing().map((key) => `${key} (${DECLARED_BY_KEY.get(key)!.description})`)).toEqual([]);
  });
});

afterAll(() => {
  const states = models.map(({ config, shortest }) => `${config.name}: ${shortest.length} model states`).join('; ');
  writeCoverageReport('transitions.md', 'Transition coverage of the model-based tests (tests/model.test.ts)', recorder.counts, [
    `Model: ${states}; traversal took ${traversalMs} ms.`,
    `Declared transitions with a model path: ${throughTransition.size} of ${DECLARED.length}.`,
  ]);
});
