/**
 * Item 3: memory. Heap per live connection actor (after a full collection, over many actors), and
 * the size of a persisted snapshot in the states a connection spends its life in.
 */
import { randomUUID } from 'node:crypto';
import { createActor } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine';
import { SimulatedClock, systemClock, type Clock } from '../../src/runtime/clock';
import { createConnection, type Connection } from '../../src/runtime/connection';
import { twoStateMachine } from '../baselines/two-state';
import { itemJson, STATE_RECIPES, T0 } from '../fixtures';
import { settledHeap } from '../lib/clock';
import { atMost, measured, ratioOf, type Figure } from '../lib/report';
import { sized, type Suite } from '../lib/suite';

const itemId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Heap per object: what `count` of them add to a settled heap, divided by `count`. */
function bytesPer(count: number, make: (i: number) => unknown, release: (made: unknown[]) => void = () => {}): number {
  const made: unknown[] = new Array(count);
  const before = settledHeap();
  for (let i = 0; i < count; i++) made[i] = make(i);
  const after = settledHeap();
  release(made);
  made.length = 0;
  return (after - before) / count;
}

const quiet = () => {};

function liveConnection(i: number, clock: Clock, pending: boolean): Connection {
  const id = itemId(i);
  const connection = createConnection({ itemId: id, clock, onError: quiet });
  if (pending) {
    const result = connection.send({ type: 'SNAPSHOT', item: itemJson(id, 'UPDATING', 'LOGIN_IN_PROGRESS', T0) });
    if (!result.ok || connection.getState().phase !== 'pending') throw new Error('the connection did not start waiting');
  }
  return connection;
}

const stopAll = (made: unknown[]) => {
  for (const connection of made as Connection[]) connection.stop();
};

/** A live connection driven into a representative state, its clock following the commands. */
function connectionIn(state: string): Connection {
  const id = randomUUID();
  const clock = new SimulatedClock(T0);
  const connection = createConnection({ itemId: id, clock, onError: quiet });
  for (const { at, command } of STATE_RECIPES[state]!(id)) {
    clock.advanceTo(at);
    const result = connection.send(command as Parameters<Connection['send']>[0]);
    if (!result.ok) throw result.error;
  }
  const value = connection.getState().value;
  if (!state.startsWith(value)) throw new Error(`expected ${state}, the connection is in ${value}`);
  return connection;
}

export const SNAPSHOT_STATES = Object.keys(STATE_RECIPES);

export const memorySuite: Suite = {
  name: 'memory',
  item: 3,
  title: 'Memory: live actors and persisted snapshots',
  run({ mode, runs }) {
    const count = sized(mode, 1_000, 20_000);
    const perActor = {
      idle: [] as number[],
      pending: [] as number[],
      xstate: [] as number[],
      bare: [] as number[],
    };
    for (let run = 0; run < runs; run++) {
      perActor.bare.push(bytesPer(count, () => createActor(twoStateMachine).start(), (made) => made.forEach((a) => (a as ReturnType<typeof createActor>).stop())));
      perActor.xstate.push(
        bytesPer(
          count,
          (i) => createActor(connectionMachine, { input: { itemId: itemId(i), now: T0 } }).start(),
          (made) => made.forEach((a) => (a as ReturnType<typeof createActor>).stop()),
        ),
      );
      perActor.idle.push(bytesPer(count, (i) => liveConnection(i, systemClock, false), stopAll));
      perActor.pending.push(bytesPer(count, (i) => liveConnection(i, systemClock, true), stopAll));
    }
    const bare = measured('two-state actor, started', 'B', perActor.bare);
    const perRunRatio = (values: readonly number[]) => values.map((value, run) => value / perActor.bare[run]!);
    const figures: Figure[] = [
      {
        key: 'memory.live-connection-idle',
        subject: measured('`createConnection()`, nothing observed yet', 'B', perActor.idle),
        baseline: bare,
        ratio: ratioOf(perRunRatio(perActor.idle), 'the bytes'),
      },
      {
        key: 'memory.live-connection-pending',
        subject: measured('`createConnection()` waiting in `pending` (2 timers armed)', 'B', perActor.pending),
        baseline: bare,
        ratio: ratioOf(perRunRatio(perActor.pending), 'the bytes'),
      },
      {
        key: 'memory.xstate-connection-actor',
        subject: measured('bare XState actor of the connection machine', 'B', perActor.xstate),
        baseline: bare,
        ratio: ratioOf(perRunRatio(perActor.xstate), 'the bytes'),
      },
    ];

    const bareSnapshot = JSON.stringify(twoStateMachine.getPersistedSnapshot(createActor(twoStateMachine).getSnapshot())).length;
    for (const state of SNAPSHOT_STATES) {
      const sizes: number[] = [];
      for (let run = 0; run < runs; run++) {
        const connection = connectionIn(state);
        sizes.push(Buffer.byteLength(JSON.stringify(connection.save())));
        connection.stop();
      }
      const size = measured(`\`save()\` JSON in \`${state}\``, 'B', sizes);
      figures.push({
        key: `memory.snapshot.${state.replace(/[^a-zA-Z]+/g, '-')}`,
        subject: size,
        baseline: measured('two-state persisted snapshot', 'B', sizes.map(() => bareSnapshot)),
        ratio: ratioOf(sizes.map((bytes) => bytes / bareSnapshot), 'the bytes'),
        target: atMost(size.value, 512, '≤ 512 B'),
      });
    }
    return {
      figures,
      notes: [
        `Heap per actor: \`heapUsed\` after a full collection (\`global.gc()\`, \`--expose-gc\`) with ${count.toLocaleString('en-US')} actors alive, minus the same before them, divided by their number. Live connections run on the system clock, so the waiting ones hold two real (unref'd) timers each.`,
        'Snapshot sizes: UTF-8 bytes of `JSON.stringify(connection.save())` (`{ machine, version, snapshot: { value, context } }`, the webhook eventIds as 8-character digests), with Pluggy-shaped ids (UUIDs) for items and webhook eventIds.',
      ],
      params: { 'actors per run': count, runs },
    };
  },
};
