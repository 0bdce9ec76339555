/** The statechart is the spec: every state and every transition says what it means. */
import type { AnyStateNode } from 'xstate';
import { connectionMachine, PHASES } from '../src';

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(allNodes)];
}

const nodes = allNodes(connectionMachine.root);

test('the top-level states are exactly the contract: unknown, pending, awaitingUser, syncable, blocked, deleted', () => {
  expect(Object.keys(connectionMachine.root.states)).toEqual([...PHASES]);
  expect(connectionMachine.root.states.deleted?.type).toBe('final');
});

test.each(nodes.map((node) => [node.id, node]))('state %s has a description', (_id, node) => {
  expect(typeof node.description).toBe('string');
  expect(node.description!.length).toBeGreaterThan(10);
});

const transitions = nodes.flatMap((node) =>
  [...node.transitions.values()].flat().map((transition) => [`${node.id} on ${transition.eventType}`, transition] as const),
);

test('the chart declares transitions', () => {
  expect(transitions.length).toBeGreaterThan(40);
});

test.each(transitions)('transition %s has a description', (_name, transition) => {
  expect(typeof transition.description).toBe('string');
  expect(transition.description!.length).toBeGreaterThan(10);
});
