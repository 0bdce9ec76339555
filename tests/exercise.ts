/**
 * Shared helpers for the model-based and property tests: which declared transitions a live
 * connection takes (through XState's inspection events), the timers a snapshot has armed, a
 * time-faithful model step, and the transition-coverage report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { transition, type AnyStateNode, type InspectionEvent, type SnapshotFrom, type StateValue } from 'xstate';
import { connectionMachine, type ConnectionEvent, type TimerName } from '../src';
import { describeMachine, transitionKey, type TransitionInfo } from '../src/spec/walk';

export type ModelSnapshot = SnapshotFrom<typeof connectionMachine>;
/** The `xstate.after.<delay>.<stateId>` event XState delivers when a timer falls due. */
export type AfterEvent = { readonly type: `xstate.after.${string}` };
export type ModelEvent = ConnectionEvent | AfterEvent;

export const DECLARED: readonly TransitionInfo[] = describeMachine(connectionMachine).transitions;
export const DECLARED_BY_KEY: ReadonlyMap<string, TransitionInfo> = new Map(DECLARED.map((t) => [t.key, t]));

export const isAfterEvent = (event: { type: string }): event is AfterEvent => event.type.startsWith('xstate.after.');

/** `xstate.after.nextCheck.connection.pending.waiting` → `nextCheck`. */
export function timerOf(eventType: string): TimerName {
  const match = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (!match) throw new Error(`not a timer event: ${eventType}`);
  return match[1] as TimerName;
}

/** The active state nodes of a state value, outermost first. */
export function activeNodes(value: StateValue, node: AnyStateNode = connectionMachine.root): AnyStateNode[] {
  if (typeof value === 'string') {
    const child = node.states[value];
    return child ? [child] : [];
  }
  return Object.entries(value).flatMap(([key, childValue]) => {
    const child = node.states[key];
    return child ? [child, ...activeNodes(childValue as StateValue, child)] : [];
  });
}

const isDescendant = (node: AnyStateNode, ancestor: AnyStateNode) =>
  node.path.length > ancestor.path.length && ancestor.path.every((key, i) => node.path[i] === key);

export interface ArmedTimer {
  readonly eventType: string;
  readonly timer: TimerName;
  readonly due: number;
  /** Depth of the state that owns the timer: on equal due times, the outer state's timer was armed first. */
  readonly depth: number;
}

/**
 * The timers of the active states, in the order a clock fires them. A timer fires once per entry
 * of its state: one whose transition leads into a descendant of that state (the stall budget of
 * `pending` → `pending.stalled`) is spent while that descendant is active, even though its due
 * time stays in the context.
 */
export function armedTimers(snapshot: ModelSnapshot): ArmedTimer[] {
  if (snapshot.status !== 'active') return [];
  const active = activeNodes(snapshot.value);
  return active
    .flatMap((node) =>
      node.after.flatMap((delayed) => {
        const timer = delayed.delay as TimerName;
        const due = snapshot.context.due[timer];
        const spent = (delayed.target ?? []).some((target) => target !== node && isDescendant(target, node) && active.includes(target));
        return due === undefined || spent ? [] : [{ eventType: delayed.eventType, timer, due, depth: node.path.length }];
      }),
    )
    .sort((a, b) => a.due - b.due || a.depth - b.depth);
}

/** The declared transitions a pure step takes (the chart has no eventless transitions, so one per event). */
export function takenKeys(snapshot: ModelSnapshot, event: ModelEvent): string[] {
  return connectionMachine.getTransitionData(snapshot, event as ConnectionEvent).map((t) => transitionKey(t as never));
}

export interface TimedStep {
  readonly snapshot: ModelSnapshot;
  /** Declared transitions taken, in order (earlier timers that fell due first included). */
  readonly keys: readonly string[];
}

/**
 * One step of the model, faithful to time: an `after` event first fires every timer due before it,
 * in due order, as a clock would (e.g. the polls of `pending.waiting` before its stall budget).
 * Returns undefined when an earlier timer leaves the states that own the requested one.
 */
export function timedStep(snapshot: ModelSnapshot, event: ModelEvent): TimedStep | undefined {
  if (!isAfterEvent(event)) {
    const keys = takenKeys(snapshot, event);
    return { snapshot: transition(connectionMachine, snapshot, event as ConnectionEvent)[0], keys };
  }
  const wanted = armedTimers(snapshot).find((armed) => armed.eventType === event.type);
  if (!wanted) return undefined;
  const keys: string[] = [];
  let current = snapshot;
  for (let guard = 0; guard < 10_000; guard++) {
    const next = armedTimers(current)[0];
    if (!next || next.due > wanted.due) return undefined;
    keys.push(...takenKeys(current, { type: next.eventType } as AfterEvent));
    current = transition(connectionMachine, current, { type: next.eventType } as never)[0];
    if (next.eventType === wanted.eventType && next.due === wanted.due) return { snapshot: current, keys };
  }
  throw new Error(`timer ${event.type} never fell due`);
}

/** Counts the declared transitions a live connection takes, from `@xstate.microstep` inspection events. */
export class TransitionRecorder {
  readonly counts = new Map<string, number>();
  /** Keys taken since the last `take()`. */
  private step: string[] = [];

  readonly inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.microstep') return;
    for (const transition of event._transitions) {
      const key = transitionKey(transition as never);
      this.step.push(key);
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  };

  /** The keys taken since the previous call. */
  take(): string[] {
    const taken = this.step;
    this.step = [];
    return taken;
  }

  missing(): string[] {
    return DECLARED.filter((t) => !this.counts.has(t.key)).map((t) => t.key);
  }
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Writes `coverage/<file>`: one row per declared transition, exercised or not, and how often. */
export function writeCoverageReport(file: string, title: string, counts: ReadonlyMap<string, number>, notes: readonly string[] = []): string {
  const exercised = DECLARED.filter((t) => counts.has(t.key)).length;
  const lines = [
    `# ${title}`,
    '',
    `${exercised} of ${DECLARED.length} declared transitions exercised.`,
    ...notes.map((note) => `\n${note}`),
    '',
    '| transition | description | exercised | times |',
    '|---|---|---|---|',
    ...DECLARED.map((t) => {
      const times = counts.get(t.key) ?? 0;
      return `| \`${cell(t.key)}\` | ${cell(t.description)} | ${times > 0 ? 'yes' : '**no**'} | ${times} |`;
    }),
    '',
  ];
  const target = path.join(__dirname, '..', 'coverage', file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, lines.join('\n'));
  return target;
}
