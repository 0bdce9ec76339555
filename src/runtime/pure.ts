/**
 * The pure transition of the connection machine, for hosts that keep no live actor: the same
 * `[nextSnapshot, actions]` as XState's `transition()` / `initialTransition()`, at well under half
 * the cost.
 *
 * XState's `transition()` builds a throwaway actor on every call, and that actor eagerly computes
 * the machine's initial snapshot (context factory, initial entry) and two actor systems; for this
 * machine that is more than half of a transition. Here the scope is built once. That is safe
 * because the connection machine neither invokes nor spawns (nothing registers in the system) and
 * nothing is executed: actions are only collected, as `transition()` collects them.
 */
import {
  createActor,
  type EventFromLogic,
  type ExecutableActionsFrom,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';
import { connectionMachine, type ConnectionMachine } from '../../machines/connection.machine';

type Snapshot = SnapshotFrom<ConnectionMachine>;
type Action = ExecutableActionsFrom<ConnectionMachine>;
type Scope = Parameters<ConnectionMachine['transition']>[2];

function hasChildren(node: ConnectionMachine['root']): boolean {
  return node.invoke.length > 0 || Object.values(node.states).some((child) => hasChildren(child as ConnectionMachine['root']));
}
if (hasChildren(connectionMachine.root)) {
  // A machine that invokes registers children in the scope's system: a shared scope would collide.
  throw new Error('the connection machine invokes actors: the shared pure-transition scope no longer fits it');
}

const self = createActor(connectionMachine, { input: { itemId: '' } });
let collected: Action[] = [];
const scope: Scope = {
  // The actor's full type and the scope's `self` differ only in the machine's generic parameters.
  self: self as unknown as Scope['self'],
  id: '',
  sessionId: '',
  logger: () => {},
  defer: () => {},
  emit: () => {},
  system: self.system,
  stopChild: () => {},
  actionExecutor: (action) => {
    collected.push(action as Action);
  },
};

function collecting<T>(run: () => T): [T, Action[]] {
  const actions: Action[] = [];
  const outer = collected;
  collected = actions;
  try {
    return [run(), actions];
  } finally {
    collected = outer;
  }
}

/**
 * `transition(connectionMachine, snapshot, event)`: the next snapshot and the actions to run.
 * Built-in actions (`xstate.emit`, `xstate.raise` with a delay, `xstate.cancel`) are to be handled
 * by their `type`, never by calling their `exec`, exactly as with XState's `transition()`.
 */
export function transitionConnection(snapshot: Snapshot, event: EventFromLogic<ConnectionMachine>): [Snapshot, Action[]] {
  return collecting(() => connectionMachine.transition(snapshot, event, scope));
}

/** `initialTransition(connectionMachine, input)`. */
export function initialConnection(input: InputFrom<ConnectionMachine>): [Snapshot, Action[]] {
  return collecting(() => connectionMachine.getInitialSnapshot(scope, input));
}
