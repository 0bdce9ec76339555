/**
 * The saved form of a connection, read and written here for `save()`, `createConnection({ restore })`
 * and the durable stores: the active state and the context, and nothing XState derives from them
 * (its `status` follows from the state, since only `deleted` is final; the machine has no history
 * and no children). Every field of a saved context is checked on the way in, so a corrupt or
 * hand-edited save is refused with the field it got wrong rather than restored into a broken actor.
 */
import type { SnapshotFrom, StateValue } from 'xstate';
import { CONNECTION_MACHINE_VERSION, connectionMachine, type ConnectionMachine } from '../../machines/connection.machine';
import { InputError, issue, type InputIssue } from '../errors';
import { REMEMBERED_EVENT_IDS, TIMERS, type ConnectionContext } from '../machine/context';
import { eventDigest } from '../machine/digest';

type Snapshot = SnapshotFrom<ConnectionMachine>;

/** A saved connection, tagged with the machine and the version of the format it was saved in. */
export interface PersistedConnection {
  readonly machine: 'connection';
  readonly version: number;
  /** `{ value, context }` since version 2 (version 1 held XState's whole persisted snapshot). */
  readonly snapshot: unknown;
}

/** What a saved connection holds: the active state and the context. */
export interface SavedConnection {
  readonly value: StateValue;
  readonly context: ConnectionContext;
}

/** Versions `createConnection({ restore })` and the stores read: the current one and version 1. */
export const READABLE_VERSIONS: readonly number[] = [1, CONNECTION_MACHINE_VERSION];

export function saveSnapshot(snapshot: SavedConnection): PersistedConnection {
  return { machine: 'connection', version: CONNECTION_MACHINE_VERSION, snapshot: { value: snapshot.value, context: snapshot.context } };
}

/** XState's persisted snapshot of a saved connection, ready for `createActor({ snapshot })`. */
export function toXStateSnapshot(saved: SavedConnection): Snapshot {
  const persisted = { status: saved.value === 'deleted' ? 'done' : 'active', value: saved.value, historyValue: {}, context: saved.context, children: {} };
  return persisted as unknown as Snapshot;
}

type Check = (value: unknown) => boolean;
const isNumber: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const isString: Check = (value) => typeof value === 'string';
const isBoolean: Check = (value) => typeof value === 'boolean';
export const isRecord: Check = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const orNull = (check: Check): Check => (value) => value === null || check(value);

// Keyed by every field of the context, so a field added to it cannot be forgotten here (the
// type checker says so); in the context's own order, so a decoded context encodes as it was.
const CONTEXT_CHECKS: { readonly [K in keyof ConnectionContext]-?: readonly [expected: string, check: Check] } = {
  itemId: ["the Pluggy item's id (a non-empty string)", (value) => isString(value) && (value as string) !== ''],
  mode: ['"poll" or "push"', (value) => value === 'poll' || value === 'push'],
  isOpenFinance: ['a boolean', isBoolean],
  timing: ['an object of timing overrides', isRecord],
  clock: ['epoch milliseconds', isNumber],
  last: [
    'null or { status, executionStatus, updatedAt }',
    orNull((value) => {
      const last = value as Record<string, unknown>;
      return isRecord(value) && isString(last.status) && isString(last.executionStatus) && isNumber(last.updatedAt);
    }),
  ],
  rule: ['null or a rule id', orNull(isString)],
  request: ['null or a string', orNull(isString)],
  eventDigests: [
    `an array of at most ${REMEMBERED_EVENT_IDS} eventId digests (strings)`,
    (value) => Array.isArray(value) && value.length <= REMEMBERED_EVENT_IDS && value.every(isString),
  ],
  attempt: ['an integer >= 0', (value) => Number.isInteger(value) && (value as number) >= 0],
  due: [
    `an object of due times (epoch ms) named ${TIMERS.join(', ')}`,
    (value) => isRecord(value) && Object.entries(value as object).every(([key, due]) => (TIMERS as readonly string[]).includes(key) && isNumber(due)),
  ],
  healing: ['a boolean', isBoolean],
};
const CONTEXT_FIELDS = Object.entries(CONTEXT_CHECKS) as ReadonlyArray<[keyof ConnectionContext, readonly [string, Check]]>;

const refuse = (persisted: unknown, issues: InputIssue[]) => new InputError('persisted snapshot', issues, persisted);

/**
 * Checks a saved context field by field and answers a context of the known fields only (whatever
 * else a hand-edited save carries is not restored), or what was wrong with it. One pass, no
 * intermediate arrays: the durable processor runs this for every row it reads.
 */
export function checkContext(context: Record<string, unknown>): ConnectionContext | InputIssue[] {
  const known: Record<string, unknown> = {};
  let issues: InputIssue[] | undefined;
  for (const [key, [expected, check]] of CONTEXT_FIELDS) {
    const value = context[key];
    if (!check(value)) (issues ??= []).push(issue(`snapshot.context.${key}`, expected, value));
    known[key] = value;
  }
  return issues ?? (known as unknown as ConnectionContext);
}

/** Version 1 saved XState's whole snapshot, with the webhook eventIds themselves. */
function fromVersion1(snapshot: Record<string, unknown>): Record<string, unknown> {
  const { eventIds, ...context } = (snapshot.context ?? {}) as Record<string, unknown>;
  const eventDigests = Array.isArray(eventIds) ? eventIds.map((id) => (typeof id === 'string' ? eventDigest(id) : id)) : eventIds;
  return { value: snapshot.value, context: { ...context, eventDigests } };
}

/** What is wrong with a save or a row of another machine, or of a version this release cannot read. */
export function foreignIssue(machine: unknown, version: unknown): InputIssue | undefined {
  if (machine !== connectionMachine.id) return issue('machine', '"connection"', machine);
  if (!READABLE_VERSIONS.includes(version as number)) return issue('version', `version ${READABLE_VERSIONS.join(' or ')} of the connection machine`, version);
  return undefined;
}

/**
 * Reads what `save()` (of this or an earlier version) returned, checking the envelope and every
 * field of the context. The state value is checked against the chart when it is restored.
 */
export function readPersisted(persisted: unknown): SavedConnection | InputError {
  if (!isRecord(persisted)) return refuse(persisted, [issue('', 'an object saved by Connection.save()', persisted)]);
  const record = persisted as Partial<PersistedConnection>;
  const foreign = foreignIssue(record.machine, record.version);
  if (foreign) return refuse(persisted, [foreign]);
  const snapshot = record.snapshot as Record<string, unknown> | null | undefined;
  if (!isRecord(snapshot) || snapshot!.value === undefined || !isRecord(snapshot!.context)) {
    return refuse(persisted, [issue('snapshot', 'an object { value, context } saved by Connection.save()', snapshot)]);
  }
  const saved = record.version === 1 ? fromVersion1(snapshot!) : snapshot!;
  const context = checkContext(saved.context as Record<string, unknown>);
  return Array.isArray(context) ? refuse(persisted, context) : { value: saved.value as StateValue, context };
}
