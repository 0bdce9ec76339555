/**
 * The one place where the durable path meets the statechart. Everything here is a pure function
 * of its arguments: restore a stored snapshot (starting nothing), apply one event with XState's
 * `transition()`, fire the timers that fell due, and encode the result for a store. The
 * processor does the I/O around these calls.
 */
import { createActor, type AnyStateNode, type SnapshotFrom } from 'xstate';
import { CONNECTION_MACHINE_VERSION, connectionMachine, type ConnectionMachine } from '../../machines/connection.machine';
import { InputError, issue, type InputIssue } from '../errors';
import type { ConnectionInput } from '../machine/context';
import type { Effect } from '../machine/effects';
import type { ConnectionEvent } from '../machine/events';
import { armedTimers, toDottedState, type ArmedTimer } from '../runtime/connection';
import { checkContext, foreignIssue, isRecord, saveSnapshot, toXStateSnapshot, type PersistedConnection, type SavedConnection } from '../runtime/persisted';
// XState's `transition()` and `initialTransition()`, without their per-call throwaway actor.
import { initialConnection, transitionConnection } from '../runtime/pure';

export type ConnectionSnapshot = SnapshotFrom<ConnectionMachine>;

/** The machine id and version stored next to every snapshot. */
export const MACHINE_ID = connectionMachine.id;
export const MACHINE_VERSION = CONNECTION_MACHINE_VERSION;

/** What one event (or one fired timer) did to a connection. */
export interface Stepped {
  readonly snapshot: ConnectionSnapshot;
  readonly effects: readonly Effect[];
  /** False when the event changed nothing (a stale snapshot, a repeated webhook...). */
  readonly changed: boolean;
}

/** A connection as a store keeps it: the machine it belongs to, and what queries need without parsing. */
export interface EncodedConnection {
  readonly machine: string;
  readonly version: number;
  /** The active state as a dotted path, e.g. `pending.waiting`. */
  readonly state: string;
  /** Compact JSON: `{ value, context }` without what the row or the store already hold. */
  readonly snapshot: string;
  /** The earliest armed timer (epoch ms), or null: what the timer worker looks for. */
  readonly nextDue: number | null;
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(allNodes)];
}

// `resolveState` rebuilds a snapshot from its value and context and runs nothing, but it revives
// neither history nor children (xstate-notes §1.3). This machine has neither, so it is faithful
// here and about four times cheaper than `createActor({ snapshot }).getSnapshot()`; if a later
// version adds them, restoring falls back to the actor.
const resolvesFaithfully = allNodes(connectionMachine.root).every((node) => node.type !== 'history' && node.invoke.length === 0);

type Action = { readonly type: string; readonly params?: unknown };

/** Effects are XState `emit`s; timers are derived from the state and `context.due`, not from raise/cancel. */
function effectsOf(actions: readonly Action[]): Effect[] {
  const effects: Effect[] = [];
  for (const action of actions) {
    if (action.type === 'xstate.emit') effects.push((action.params as { event: Effect }).event);
    else if (action.type !== 'xstate.raise' && action.type !== 'xstate.cancel') {
      throw new Error(`the durable path runs only emitted effects and timers, received the action ${JSON.stringify(action.type)}`);
    }
  }
  return effects;
}

/** A new connection, as `createConnection` would start it. */
export function startConnection(input: ConnectionInput): Stepped {
  const [snapshot, actions] = initialConnection(input);
  return { snapshot, effects: effectsOf(actions), changed: true };
}

/**
 * The store's dedupe table remembers eventIds (for 3 h 15 min, longer than the context's last
 * few digests), so the context's copy is dropped after every step: a connection then behaves the same
 * whether it was just read from the store or kept in memory. The clone is XState's own way to
 * change a snapshot (`{ ...snapshot, ...changes }`); the value and the tags are unchanged.
 */
function forgetEventIds(snapshot: ConnectionSnapshot): ConnectionSnapshot {
  if (snapshot.context.eventDigests.length === 0) return snapshot;
  return { ...snapshot, context: { ...snapshot.context, eventDigests: [] } };
}

/** Applies one event. `transition()` ignores `snapshot.status`, so a finished connection is left as is here. */
export function applyEvent(snapshot: ConnectionSnapshot, event: ConnectionEvent): Stepped {
  if (snapshot.status !== 'active') return { snapshot, effects: [], changed: false };
  const [next, actions] = transitionConnection(snapshot, event);
  if (next.status === 'error') throw new Error(`the connection machine failed on ${event.type}: ${String(next.error)}`);
  return { snapshot: forgetEventIds(next), effects: effectsOf(actions), changed: next !== snapshot };
}

// Snapshots are immutable: their timers are worked out once (the processor asks twice per event).
const timersOf = new WeakMap<ConnectionSnapshot, readonly ArmedTimer[]>();

/** The armed timers, earliest first (ties keep the order in which the states arm them). */
export function dueTimers(snapshot: ConnectionSnapshot): readonly ArmedTimer[] {
  let timers = timersOf.get(snapshot);
  if (!timers) {
    timers = snapshot.status === 'active' ? armedTimers(snapshot).sort((a, b) => a.due - b.due) : [];
    timersOf.set(snapshot, timers);
  }
  return timers;
}

export function nextDue(snapshot: ConnectionSnapshot): number | null {
  return dueTimers(snapshot)[0]?.due ?? null;
}

/** A poll chain with no delay would never end: past this many firings in one call, something is wrong. */
export const MAX_FIRINGS_PER_CALL = 10_000;

/**
 * Fires, in due order, every timer due by `until`, as the live actor's clock would: each fired
 * timer may arm the next one, which fires too when it is also due. The delivered event is the
 * bare `xstate.after.*` event, exactly what XState sends itself.
 */
export function fireDue(snapshot: ConnectionSnapshot, until: number): Stepped[] {
  const steps: Stepped[] = [];
  let current = snapshot;
  for (;;) {
    const timer = dueTimers(current)[0];
    if (timer === undefined || timer.due > until) return steps;
    if (steps.length >= MAX_FIRINGS_PER_CALL) {
      throw new Error(`timers kept falling due: ${MAX_FIRINGS_PER_CALL} fired before ${new Date(until).toISOString()} (a zero delay?)`);
    }
    const stepped = applyEvent(current, { type: timer.eventType } as unknown as ConnectionEvent);
    if (!stepped.changed) throw new Error(`the armed timer ${timer.eventType} due ${new Date(timer.due).toISOString()} changed nothing when fired`);
    steps.push(stepped);
    current = stepped.snapshot;
  }
}

/**
 * Encodes a snapshot for a store. Left out because they are derived or kept elsewhere: `status`
 * (from the value: only `deleted` is final), `historyValue` and `children` (the machine has none),
 * `context.itemId` (the row's key) and `context.eventDigests` (the store's dedupe table remembers
 * eventIds for longer than the context's last few).
 */
export function encodeConnection(snapshot: ConnectionSnapshot): EncodedConnection {
  const { itemId: _itemId, eventDigests: _eventDigests, ...context } = snapshot.context;
  return {
    machine: MACHINE_ID,
    version: MACHINE_VERSION,
    state: toDottedState(snapshot.value),
    snapshot: JSON.stringify({ value: snapshot.value, context }),
    nextDue: nextDue(snapshot),
  };
}

/** What a store row holds that decoding needs. */
export interface StoredSnapshot {
  readonly itemId: string;
  readonly machine: string;
  readonly version: number;
  readonly snapshot: string;
}

function corrupt(row: StoredSnapshot, issues: InputIssue[]): InputError {
  return new InputError('persisted snapshot', issues, { itemId: row.itemId, machine: row.machine, version: row.version, snapshot: row.snapshot });
}

/** The saved connection a stored row stands for, checked like `createConnection({ restore })` checks it. */
export function toSavedConnection(row: StoredSnapshot): SavedConnection | InputError {
  // Another machine or version is named as such, whatever its snapshot looks like.
  const foreign = foreignIssue(row.machine, row.version);
  if (foreign) return new InputError('persisted snapshot', [foreign], { machine: row.machine, version: row.version, snapshot: null });
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.snapshot);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return corrupt(row, [issue('snapshot', 'the JSON of a stored connection snapshot', row.snapshot, `snapshot: expected the JSON of a stored connection snapshot, received malformed JSON (${reason})`)]);
  }
  const stored = parsed as { value?: unknown; context?: unknown };
  if (!isRecord(parsed) || !isRecord(stored.context)) {
    return corrupt(row, [issue('snapshot', 'an object { value, context } written by the durable processor', parsed)]);
  }
  // Rows have held `{ value, context }` without the item id and the eventIds since version 1.
  // The parsed object is this call's own, so the two are set on it in place.
  const context = stored.context as Record<string, unknown>;
  context.itemId = row.itemId;
  context.eventDigests = [];
  const checked = checkContext(context);
  if (Array.isArray(checked)) return corrupt(row, checked);
  if (stored.value === undefined) return corrupt(row, [issue('snapshot.value', 'a state of the connection machine', undefined)]);
  return { value: stored.value as SavedConnection['value'], context: checked };
}

/** A stored row as `save()` would have returned it: pass it to `createConnection({ restore })` to watch it live. */
export function toPersistedConnection(row: StoredSnapshot): PersistedConnection | InputError {
  const saved = toSavedConnection(row);
  return saved instanceof InputError ? saved : saveSnapshot(saved);
}

/** Restores a stored row without starting anything, or explains why it cannot. */
export function decodeConnection(row: StoredSnapshot): ConnectionSnapshot | InputError {
  const saved = toSavedConnection(row);
  if (saved instanceof InputError) return saved;
  const { value, context } = saved;
  try {
    if (resolvesFaithfully) return connectionMachine.resolveState({ value, context });
    // `input` is required by the types and ignored on restore.
    const snapshot = createActor(connectionMachine, { input: { itemId: row.itemId }, snapshot: toXStateSnapshot(saved) }).getSnapshot();
    if (snapshot.status === 'error') throw snapshot.error;
    return snapshot;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return corrupt(row, [issue('snapshot.value', 'a state of the connection machine', value, `snapshot.value: expected a state of the connection machine, received ${JSON.stringify(value)} (${reason})`)]);
  }
}
