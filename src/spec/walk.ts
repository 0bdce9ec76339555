/**
 * Reads the statechart's structure from `machine.root` (not `machine.toJSON()`, which omits
 * `always` transitions): states, transitions, guards, actions and the effects they emit.
 * Every generated spec file and the transition-coverage report are built on this.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { ACTION_EFFECTS } from '../machine/setup';

export interface StateInfo {
  /** Dotted path below the root, e.g. `pending.waiting`; the root is `(machine)`. */
  readonly path: string;
  readonly key: string;
  readonly parent: string | null;
  readonly depth: number;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly initial: string | null;
  readonly description: string;
  readonly entry: readonly string[];
  readonly exit: readonly string[];
  /** Effects emitted when the state is entered. */
  readonly entryEffects: readonly string[];
  readonly conditionalEntryEffects: readonly string[];
}

export interface TransitionInfo {
  /** Stable identity: `<source path> <event type> #<index among that source's transitions for the event>`. */
  readonly key: string;
  readonly source: string;
  /** The event as XState names it (`SNAPSHOT`, `xstate.after.nextCheck.connection.pending.waiting`). */
  readonly eventType: string;
  /** The event as a person reads it (`SNAPSHOT`, `after nextCheck`). */
  readonly event: string;
  readonly guard: string | null;
  /** Target paths; empty for a transition that stays (runs its actions only). */
  readonly targets: readonly string[];
  readonly reenter: boolean;
  readonly actions: readonly string[];
  /** Effects of the actions, then of the entry of the states entered. */
  readonly effects: readonly string[];
  /** Those of `effects` emitted only under a condition (see ACTION_EFFECTS). */
  readonly conditionalEffects: readonly string[];
  readonly description: string;
}

export interface MachineInfo {
  readonly id: string;
  readonly description: string;
  readonly states: readonly StateInfo[];
  readonly transitions: readonly TransitionInfo[];
}

export const ROOT = '(machine)';

function pathOf(node: AnyStateNode): string {
  return node.path.length === 0 ? ROOT : node.path.join('.');
}

type ActionLike = unknown;

function actionName(action: ActionLike): string | undefined {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') {
    const type = (action as { type?: unknown }).type;
    return typeof type === 'string' ? type : action.name || 'inline';
  }
  if (action && typeof action === 'object' && typeof (action as { type?: unknown }).type === 'string') {
    return (action as { type: string }).type;
  }
  return undefined;
}

/** `name` or `name(param: value)`, as printed in the spec. */
function actionLabel(action: ActionLike): string | undefined {
  const name = actionName(action);
  if (name === undefined || name.startsWith('xstate.')) return undefined; // timers are shown as `after` transitions
  const params = action && typeof action === 'object' ? (action as { params?: unknown }).params : undefined;
  if (params && typeof params === 'object') {
    const shown = Object.entries(params as Record<string, unknown>).map(([key, value]) => `${key}: ${String(value)}`);
    return `${name}(${shown.join(', ')})`;
  }
  return name;
}

function effectsOf(actions: readonly ActionLike[], conditionalOnly = false): string[] {
  return actions.flatMap((action) => {
    const known = ACTION_EFFECTS[actionName(action) ?? ''];
    if (!known || (conditionalOnly && known.onlyWhen === undefined)) return [];
    return known.effects;
  });
}

function guardLabel(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown[] }).guards;
    if (Array.isArray(parts)) return `${guard.name}(${parts.map((part) => guardLabel(part)).join(', ')})`;
    return guard.name || 'inline';
  }
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    const { type, params } = guard as { type: string; params?: Record<string, unknown> };
    if (!params) return type;
    const shown = Object.entries(params).filter(([, value]) => value !== undefined).map(([key, value]) => `${key}: ${String(value)}`);
    return `${type}(${shown.join(', ')})`;
  }
  return 'inline';
}

function readableEvent(eventType: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  return after ? `after ${after[1]}` : eventType;
}

/** The state entered and, for compound states, the initial descendants entered with it. */
function enteredNodes(target: AnyStateNode): AnyStateNode[] {
  const nodes = [target];
  let node = target;
  while (node.type === 'compound' && node.initial?.target?.[0]) {
    node = node.initial.target[0];
    nodes.push(node);
  }
  return nodes;
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(allNodes)];
}

/** The machine's structure, in document order. */
export function describeMachine(machine: AnyStateMachine): MachineInfo {
  const nodes = allNodes(machine.root);
  const states: StateInfo[] = nodes.map((node) => ({
    path: pathOf(node),
    key: node.key,
    parent: node.parent ? pathOf(node.parent) : null,
    depth: node.path.length,
    type: node.type,
    initial: node.initial?.target?.[0] ? pathOf(node.initial.target[0]) : null,
    description: node.description ?? '',
    entry: node.entry.map(actionLabel).filter((label): label is string => label !== undefined),
    exit: node.exit.map(actionLabel).filter((label): label is string => label !== undefined),
    entryEffects: effectsOf(node.entry),
    conditionalEntryEffects: effectsOf(node.entry, true),
  }));

  const transitions: TransitionInfo[] = nodes.flatMap((node) =>
    [...node.transitions.entries()].flatMap(([eventType, list]) =>
      list.map((transition, index): TransitionInfo => {
        const targets = transition.target ?? [];
        const entered = targets.flatMap(enteredNodes);
        return {
          key: `${pathOf(node)} ${eventType} #${index}`,
          source: pathOf(node),
          eventType,
          event: readableEvent(eventType),
          guard: guardLabel(transition.guard),
          targets: targets.map(pathOf),
          reenter: transition.reenter,
          actions: transition.actions.map(actionLabel).filter((label): label is string => label !== undefined),
          effects: [...new Set([...effectsOf(transition.actions), ...entered.flatMap((entry) => effectsOf(entry.entry))])],
          conditionalEffects: [
            ...new Set([...effectsOf(transition.actions, true), ...entered.flatMap((entry) => effectsOf(entry.entry, true))]),
          ],
          description: transition.description ?? '',
        };
      }),
    ),
  );

  return { id: machine.id, description: machine.root.description ?? '', states, transitions };
}

/** The key `describeMachine` gives the transition XState reports in an `@xstate.microstep` inspection event. */
export function transitionKey(transition: { source: AnyStateNode; eventType: string }): string {
  const list = transition.source.transitions.get(transition.eventType) ?? [];
  return `${pathOf(transition.source)} ${transition.eventType} #${list.indexOf(transition as never)}`;
}
