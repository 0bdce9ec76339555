/**
 * Item 2: events per second through the connection machine — the pure `transition()` a durable
 * processor runs, the same step with its JSON restore and save, and a live actor's `send` — each
 * beside bare XState doing the same on a two-state machine.
 */
import { isDeepStrictEqual } from 'node:util';
import { createActor, initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine';
import type { ConnectionEvent } from '../../src/machine/events';
import { SimulatedClock } from '../../src/runtime/clock';
import { createConnection } from '../../src/runtime/connection';
import { initialConnection, transitionConnection } from '../../src/runtime/pure';
import { TOGGLE, twoStateMachine } from '../baselines/two-state';
import { lifecycleCommands, lifecycleEvents, LIFECYCLE, T0 } from '../fixtures';
import { costRatios, measureRates, sink, type RateCase, type RateSamples } from '../lib/measure';
import { atLeast, measured, ratioOf, type Figure } from '../lib/report';
import { sized, type Suite } from '../lib/suite';

const ITEM_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
type Snapshot = ReturnType<typeof connectionMachine.resolveState>;

const initial = (): Snapshot => initialTransition(connectionMachine, { itemId: ITEM_ID, now: T0 })[0];

/** Restores a persisted snapshot without starting anything (no history or children in this machine to revive). */
const resolve = (json: string): Snapshot => connectionMachine.resolveState(JSON.parse(json) as Parameters<typeof connectionMachine.resolveState>[0]);

/** Restores through a throwaway actor: faithful for any machine (it revives history and children). */
const restoreByActor = (json: string): Snapshot =>
  // XState ignores `input` when it restores; the machine's types require one.
  createActor(connectionMachine, { snapshot: JSON.parse(json) as Snapshot, input: { itemId: ITEM_ID } }).getSnapshot();

const save = (snapshot: AnyMachineSnapshot): string => JSON.stringify(connectionMachine.getPersistedSnapshot(snapshot));

type Step = (snapshot: Snapshot, event: ConnectionEvent) => Snapshot;
const xstateStep: Step = (snapshot, event) => transition(connectionMachine, snapshot, event)[0];
const sharedScopeStep: Step = (snapshot, event) => transitionConnection(snapshot, event)[0];

/** Shortcuts are timed only once they are shown to give the same rows as the long way round. */
function checkShortcutsAgree(events: readonly ConnectionEvent[]): void {
  let reference = save(initial());
  let byResolve = reference;
  let shortcut = save(initialConnection({ itemId: ITEM_ID, now: T0 })[0]);
  for (const event of events) {
    reference = save(xstateStep(restoreByActor(reference), event));
    byResolve = save(xstateStep(resolve(byResolve), event));
    shortcut = save(sharedScopeStep(resolve(shortcut), event));
    for (const [name, row] of [['resolveState', byResolve], ['transitionConnection', shortcut]] as const) {
      if (!isDeepStrictEqual(JSON.parse(row), JSON.parse(reference))) {
        throw new Error(`${name} diverges from createActor + transition() after ${event.type}:\n${row}\n${reference}`);
      }
    }
  }
}

export const transitionsSuite: Suite = {
  name: 'transitions',
  item: 2,
  title: 'Transitions: pure `transition()`, a durable step, a live actor — against bare XState',
  run({ mode, runs }) {
    const events = sized(mode, 600, 12_000);
    checkShortcutsAgree(lifecycleEvents(ITEM_ID, LIFECYCLE.length * 3));

    const pureCase = (label: string, step: Step): RateCase => ({
      label,
      ops: events,
      prepare: () => {
        const input = lifecycleEvents(ITEM_ID, events);
        return () => {
          let snapshot = initial();
          for (const event of input) snapshot = step(snapshot, event);
          sink.value = snapshot;
        };
      },
    });
    const barePure: RateCase = {
      label: 'two-state: pure transition()',
      ops: events,
      prepare: () => () => {
        let snapshot = initialTransition(twoStateMachine)[0];
        for (let i = 0; i < events; i++) snapshot = transition(twoStateMachine, snapshot, TOGGLE)[0];
        sink.value = snapshot;
      },
    };
    const durableStep = (label: string, restore: (json: string) => Snapshot, step: Step): RateCase => ({
      label,
      ops: events,
      prepare: () => {
        const input = lifecycleEvents(ITEM_ID, events);
        return () => {
          let row = save(initial());
          for (const event of input) row = save(step(restore(row), event));
          sink.value = row;
        };
      },
    });
    const bareDurable: RateCase = {
      label: 'two-state: the same step',
      ops: events,
      prepare: () => () => {
        let row = JSON.stringify(twoStateMachine.getPersistedSnapshot(initialTransition(twoStateMachine)[0]));
        for (let i = 0; i < events; i++) {
          const snapshot = twoStateMachine.resolveState(JSON.parse(row) as Parameters<typeof twoStateMachine.resolveState>[0]);
          row = JSON.stringify(twoStateMachine.getPersistedSnapshot(transition(twoStateMachine, snapshot, TOGGLE)[0]));
        }
        sink.value = row;
      },
    };
    const liveConnection: RateCase = {
      label: 'createConnection().send (item JSON, validated)',
      ops: events,
      prepare: () => {
        const commands = lifecycleCommands(ITEM_ID, events);
        const errors: unknown[] = [];
        const connection = createConnection({ itemId: ITEM_ID, clock: new SimulatedClock(T0), onError: (error) => errors.push(error) });
        return () => {
          for (const command of commands) {
            const result = connection.send(command as Parameters<typeof connection.send>[0]);
            if (!result.ok) throw result.error;
          }
          connection.stop();
          if (errors.length > 0) throw errors[0];
        };
      },
    };
    const liveActor: RateCase = {
      label: 'connection machine actor.send (parsed events)',
      ops: events,
      prepare: () => {
        const input = lifecycleEvents(ITEM_ID, events);
        const actor = createActor(connectionMachine, { input: { itemId: ITEM_ID, now: T0 }, clock: new SimulatedClock(T0) });
        actor.subscribe({ error: (error) => { throw error; } });
        actor.start();
        return () => {
          for (const event of input) actor.send(event);
          sink.value = actor.getSnapshot();
          actor.stop();
        };
      },
    };
    const bareLive: RateCase = {
      label: 'two-state actor.send',
      ops: events,
      prepare: () => {
        const actor = createActor(twoStateMachine).start();
        return () => {
          for (let i = 0; i < events; i++) actor.send(TOGGLE);
          sink.value = actor.getSnapshot();
          actor.stop();
        };
      },
    };

    const cases = {
      shared: pureCase('connection: transitionConnection()', sharedScopeStep),
      xstate: pureCase('connection: transition()', xstateStep),
      barePure,
      durableShared: durableStep('connection: resolveState → transitionConnection() → persist', resolve, sharedScopeStep),
      durableXstate: durableStep('connection: resolveState → transition() → persist', resolve, xstateStep),
      durableActor: durableStep('connection: createActor restore → transition() → persist', restoreByActor, xstateStep),
      bareDurable,
      liveConnection,
      liveActor,
      bareLive,
    };
    const names = Object.keys(cases) as Array<keyof typeof cases>;
    const samples = measureRates(names.map((name) => cases[name]), runs);
    const r = Object.fromEntries(names.map((name, i) => [name, samples[i]!])) as Record<keyof typeof cases, RateSamples>;

    const rate = (label: string, of: RateSamples) => measured(label, 'events/s', of.rates, of.wallRates);
    const against = (subject: RateSamples, baseline: RateSamples) => ratioOf(costRatios(subject, baseline), 'the cost');
    const pureTarget = (of: RateSamples) => atLeast(measured('', '', of.rates).value, 50_000, '≥ 50,000 events/s');
    const figures: Figure[] = [
      {
        key: 'transitions.pure',
        subject: rate('pure path: `transitionConnection()` (src/runtime/pure.ts)', r.shared),
        baseline: rate('two-state machine, `transition()`', r.barePure),
        ratio: against(r.shared, r.barePure),
        target: pureTarget(r.shared),
      },
      {
        key: 'transitions.pure-xstate',
        subject: rate('XState `transition()` of the connection machine', r.xstate),
        baseline: rate('two-state machine, `transition()`', r.barePure),
        ratio: against(r.xstate, r.barePure),
        target: pureTarget(r.xstate),
      },
      {
        key: 'transitions.shared-scope-gain',
        subject: rate('`transition()` of the connection machine', r.xstate),
        baseline: rate('`transitionConnection()`', r.shared),
        ratio: against(r.xstate, r.shared),
        note: "the cost of XState's throwaway actor per call",
      },
      {
        key: 'transitions.durable-step',
        subject: rate('JSON row → `resolveState` → `transitionConnection()` → JSON row', r.durableShared),
        baseline: rate('the same step, two-state machine and `transition()`', r.bareDurable),
        ratio: against(r.durableShared, r.bareDurable),
      },
      {
        key: 'transitions.durable-step-xstate',
        subject: rate('JSON row → `resolveState` → `transition()` → JSON row', r.durableXstate),
        baseline: rate('the same step, two-state machine', r.bareDurable),
        ratio: against(r.durableXstate, r.bareDurable),
      },
      {
        key: 'transitions.restore-by-actor',
        subject: rate('the same step restoring with `createActor({ snapshot })`', r.durableActor),
        baseline: rate('restoring with `machine.resolveState`', r.durableXstate),
        ratio: against(r.durableActor, r.durableXstate),
      },
      {
        key: 'transitions.live-connection',
        subject: rate('`createConnection().send` (item JSON validated by zod)', r.liveConnection),
        baseline: rate('two-state `actor.send`', r.bareLive),
        ratio: against(r.liveConnection, r.bareLive),
      },
      {
        key: 'transitions.live-actor',
        subject: rate('connection machine `actor.send` (events already parsed)', r.liveActor),
        baseline: rate('two-state `actor.send`', r.bareLive),
        ratio: against(r.liveActor, r.bareLive),
      },
    ];
    return {
      figures,
      notes: [
        `Events: a connection's life repeated (${LIFECYCLE.length} steps: a webhook, login, MFA, collection, sync, a duplicate snapshot, SYNC_DONE, a credential failure and its repeat, RECONNECT), 10 s apart, with fresh objects every run so no per-item cache carries over.`,
        'The pure rows exclude parsing: the events are parsed items; `createConnection().send` includes validating the raw JSON with zod, as a host calls it.',
        'All on one core: Node runs the loop on one thread.',
      ],
      params: { 'events per run': events, runs },
    };
  },
};
