/**
 * `createConnection()`: one live actor per connection, for hosts that track a modest number of
 * items in memory. It validates what the host sends, stamps it with the clock, delivers effects to
 * typed handlers, and saves and restores itself with its timers re-armed.
 */
import { createActor, type ActorOptions, type AnyStateNode, type SnapshotFrom, type StateValue } from 'xstate';
import { connectionMachine, type ConnectionMachine } from '../../machines/connection.machine';
import type { Phase, RuleId } from '../decision/rules';
import { InputError, issue } from '../errors';
import type { ConnectionContext, DriveMode, SnapshotFacts, TimerName } from '../machine/context';
import type { Effect, EffectOf, EffectType } from '../machine/effects';
import type { ConnectionEvent } from '../machine/events';
import type { TimingPolicy } from '../machine/timing';
import type { ParseWarning, ParsingMode } from '../vocabulary/fields';
import { systemClock, type Clock } from './clock';
import { toConnectionEvent, type ConnectionCommand } from './commands';
import { readPersisted, saveSnapshot, toXStateSnapshot, type PersistedConnection } from './persisted';

export type { PersistedConnection } from './persisted';

export interface ConnectionOptions {
  readonly itemId: string;
  /** `poll` (default): the connection asks for fetches with backoff. `push`: webhooks drive it. */
  readonly mode?: DriveMode;
  /** Known up front; otherwise read from each snapshot's `connector.isOpenFinance`. */
  readonly isOpenFinance?: boolean;
  readonly timing?: Partial<TimingPolicy>;
  /** `strict` (default) rejects values outside Pluggy's vocabulary; `lenient` accepts them and reports an anomaly. */
  readonly parsing?: ParsingMode;
  readonly clock?: Clock;
  /** A connection saved with `save()`: restored with its timers re-armed. */
  readonly restore?: PersistedConnection;
  /** XState's inspection observer (e.g. the inspector client). */
  readonly inspect?: ActorOptions<ConnectionMachine>['inspect'];
  /** Errors thrown by effect handlers or raised inside the actor land here, never in the host's event loop. */
  readonly onError?: (error: unknown) => void;
  /** How many rejected inputs `rejected` keeps (default 100). */
  readonly keepRejected?: number;
}

/** A snapshot of where a connection stands. */
export interface ConnectionState {
  readonly itemId: string;
  /** The active state as a dotted path, e.g. `pending.waiting`, `blocked.updateCredentials`. */
  readonly value: string;
  readonly phase: Phase;
  readonly canSync: boolean;
  /** `done` once deleted. */
  readonly status: 'active' | 'done' | 'error' | 'stopped';
  readonly rule: RuleId | null;
  readonly last: SnapshotFacts | null;
  /** Armed timers and when they fire (ISO 8601). */
  readonly timers: Readonly<Partial<Record<TimerName, string>>>;
  readonly context: ConnectionContext;
}

export type SendResult =
  | {
      readonly ok: true;
      /** False when the event changed nothing (a stale snapshot, a duplicate webhook, a deleted connection). */
      readonly changed: boolean;
      readonly state: string;
      /** Effects emitted while handling this event. */
      readonly effects: readonly Effect[];
      readonly warnings: readonly ParseWarning[];
    }
  | { readonly ok: false; readonly state: string; readonly error: InputError };

export interface Rejection {
  readonly at: string;
  readonly error: InputError;
}

export interface Connection {
  readonly itemId: string;
  /** Handles one kind of effect; returns a function that removes the handler. */
  on<T extends EffectType>(type: T, handler: (effect: EffectOf<T>) => void): () => void;
  /** Handles every effect. */
  on(type: '*', handler: (effect: Effect) => void): () => void;
  /** Validates and delivers a command. Bad input is rejected with an `InputError`, kept in `rejected`, and changes nothing. */
  send(command: ConnectionCommand): SendResult;
  getState(): ConnectionState;
  /** A JSON-serialisable snapshot to pass back as `restore`. */
  save(): PersistedConnection;
  /** Inputs rejected so far, newest last (a bounded dead-letter list). */
  readonly rejected: readonly Rejection[];
  /** Stops the actor and its timers. */
  stop(): void;
}

type Snapshot = SnapshotFrom<ConnectionMachine>;

/** `{ pending: 'waiting' }` → `pending.waiting`. */
export function toDottedState(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) => (child === undefined ? key : `${key}.${toDottedState(child as StateValue)}`))
    .join(',');
}

export function activeNodes(node: AnyStateNode, value: StateValue): AnyStateNode[] {
  if (typeof value === 'string') {
    const child = node.states[value];
    return child ? [child] : [];
  }
  return Object.entries(value).flatMap(([key, childValue]) => {
    const child = node.states[key];
    return child ? [child, ...activeNodes(child, childValue as StateValue)] : [];
  });
}

export interface ArmedTimer {
  readonly timer: TimerName;
  readonly due: number;
  /** The `xstate.after.*` event the timer delivers. */
  readonly eventType: string;
  readonly node: AnyStateNode;
}

// The chart is fixed, so the delayed transitions of each active configuration are worked out once:
// the durable path asks for the armed timers of every snapshot it restores or writes.
const delayedOf = new Map<string, ReadonlyArray<Omit<ArmedTimer, 'due'>>>();

/** The timers of the active states, with the absolute due times kept in the context. */
export function armedTimers(snapshot: Snapshot): ArmedTimer[] {
  const key = toDottedState(snapshot.value);
  let delayed = delayedOf.get(key);
  if (!delayed) {
    delayed = activeNodes(connectionMachine.root, snapshot.value).flatMap((node) =>
      node.after.map((transition) => ({ timer: transition.delay as TimerName, eventType: transition.eventType, node })),
    );
    delayedOf.set(key, delayed);
  }
  const armed: ArmedTimer[] = [];
  for (const { timer, eventType, node } of delayed) {
    const due = snapshot.context.due[timer];
    if (due !== undefined) armed.push({ timer, due, eventType, node });
  }
  return armed;
}

export function describeState(snapshot: Snapshot): ConnectionState {
  const context = snapshot.context;
  const value = toDottedState(snapshot.value);
  const phase = value.split('.')[0] as Phase;
  const timers: Partial<Record<TimerName, string>> = {};
  if (snapshot.status === 'active') for (const { timer, due } of armedTimers(snapshot)) timers[timer] = new Date(due).toISOString();
  return {
    itemId: context.itemId,
    value,
    phase,
    canSync: phase === 'syncable',
    status: snapshot.status,
    rule: context.rule,
    last: context.last,
    timers,
    context,
  };
}

/** Creates (or restores) a live connection. Throws an `InputError` only for a missing `itemId` or a bad `restore`. */
export function createConnection(options: ConnectionOptions): Connection {
  if (typeof options?.itemId !== 'string' || options.itemId.trim() === '') {
    throw new InputError('connection options', [issue('itemId', "the Pluggy item's id (a non-empty string)", options?.itemId)], options);
  }
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? ((error: unknown) => console.error('[pluggy-lifecycle]', error));
  const keepRejected = options.keepRejected ?? 100;
  const handlers = new Map<EffectType | '*', Set<(effect: Effect) => void>>();
  const rejected: Rejection[] = [];
  const rearmed = new Set<unknown>();
  let collecting: Effect[] | undefined;

  let restored: Snapshot | undefined;
  if (options.restore !== undefined) {
    const saved = readPersisted(options.restore);
    if (saved instanceof InputError) throw saved;
    if (saved.context.itemId !== options.itemId) {
      throw new InputError('persisted snapshot', [issue('snapshot.context.itemId', JSON.stringify(options.itemId), saved.context.itemId)], options.restore);
    }
    restored = toXStateSnapshot(saved);
  }

  let actor;
  try {
    actor = createActor(connectionMachine, {
      id: `connection:${options.itemId}`,
      clock,
      ...(options.inspect ? { inspect: options.inspect } : {}),
      // XState ignores `input` when it restores a snapshot.
      input: {
        itemId: options.itemId,
        now: clock.now(),
        ...(options.mode ? { mode: options.mode } : {}),
        ...(options.isOpenFinance !== undefined ? { isOpenFinance: options.isOpenFinance } : {}),
        ...(options.timing ? { timing: options.timing } : {}),
      },
      ...(restored ? { snapshot: restored } : {}),
    });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new InputError('persisted snapshot', [issue('snapshot', 'a snapshot this machine can restore', options.restore, `snapshot: ${message}`)], options.restore);
  }
  const live = actor;

  const deliver = (effect: Effect) => {
    collecting?.push(effect);
    for (const key of [effect.type, '*'] as const) {
      for (const handler of handlers.get(key) ?? []) {
        try {
          handler(effect);
        } catch (error) {
          onError(error);
        }
      }
    }
  };
  live.on('*', deliver);
  live.subscribe({ error: onError });
  live.start();

  // XState does not re-arm `after` timers of a restored actor: fire them from their absolute due times.
  if (restored && live.getSnapshot().status === 'active') {
    for (const { timer, due, eventType, node } of armedTimers(live.getSnapshot())) {
      const handle = clock.setTimeout(() => {
        rearmed.delete(handle);
        try {
          const current = live.getSnapshot();
          if (current.status !== 'active' || current.context.due[timer] !== due) return;
          if (!activeNodes(connectionMachine.root, current.value).includes(node)) return;
          live.send({ type: eventType } as unknown as ConnectionEvent);
        } catch (error) {
          onError(error);
        }
      }, Math.max(0, due - clock.now()));
      rearmed.add(handle);
    }
  }

  const reject = (error: InputError): SendResult => {
    rejected.push({ at: new Date(clock.now()).toISOString(), error });
    if (rejected.length > keepRejected) rejected.splice(0, rejected.length - keepRejected);
    return { ok: false, state: toDottedState(live.getSnapshot().value), error };
  };

  return {
    itemId: options.itemId,
    on(type: EffectType | '*', handler: (effect: never) => void) {
      const set = handlers.get(type) ?? new Set();
      handlers.set(type, set);
      const wrapped = handler as (effect: Effect) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    send(command) {
      const before = live.getSnapshot();
      const parsing = options.parsing ?? 'strict';
      const converted = toConnectionEvent(command, { itemId: options.itemId, at: clock.now(), parsing });
      if (!converted.ok) return reject(converted.error);
      if (before.status !== 'active') {
        return { ok: true, changed: false, state: toDottedState(before.value), effects: [], warnings: converted.warnings };
      }
      const effects: Effect[] = [];
      const outer = collecting;
      collecting = effects;
      try {
        live.send(converted.event);
      } finally {
        collecting = outer;
        outer?.push(...effects);
      }
      const after = live.getSnapshot();
      return { ok: true, changed: after !== before, state: toDottedState(after.value), effects, warnings: converted.warnings };
    },
    getState: () => describeState(live.getSnapshot()),
    save: () => saveSnapshot(live.getSnapshot()),
    rejected,
    stop() {
      for (const handle of rearmed) clock.clearTimeout(handle);
      rearmed.clear();
      live.stop();
    },
  };
}
