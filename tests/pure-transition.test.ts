/**
 * `transitionConnection` and `initialConnection` are shortcuts for XState's `transition()` and
 * `initialTransition()` on the connection machine: on any sequence of events they must give the
 * same snapshots and the same actions.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { initialTransition, transition, type AnyStateNode } from 'xstate';
import { connectionMachine, EXECUTION_STATUSES, ITEM_STATUSES, parseItem, parseWebhook, type ConnectionEvent } from '../src';
import { initialConnection, transitionConnection } from '../src/runtime/pure';
import { ITEM_ID, itemJson, T0 } from './support';

type Snapshot = ReturnType<typeof connectionMachine.resolveState>;

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(allNodes)];
}

/** Every `xstate.after.*` event of the chart: delivered when a timer falls due (and ignored elsewhere). */
const TIMER_EVENTS = allNodes(connectionMachine.root).flatMap((node) => node.after.map((delayed) => delayed.eventType));

/** Actions carry the scope they were resolved in; what a host runs is their type and params. */
const visible = (actions: ReadonlyArray<{ type: string; params?: unknown }>) => actions.map(({ type, params }) => ({ type, params }));
const persisted = (snapshot: Snapshot) => connectionMachine.getPersistedSnapshot(snapshot);

const eventArbitrary: fc.Arbitrary<(at: number) => ConnectionEvent> = fc.oneof(
  fc
    .record({
      status: fc.constantFrom(...ITEM_STATUSES),
      executionStatus: fc.constantFrom(...EXECUTION_STATUSES, 'SUCCESS', 'PARTIAL_SUCCESS', 'WAITING_USER_INPUT'),
      ageMs: fc.integer({ min: -5_000, max: 5_000 }),
      openFinance: fc.boolean(),
    })
    .map(({ status, executionStatus, ageMs, openFinance }) => (at: number): ConnectionEvent => {
      const extra =
        status === 'WAITING_USER_INPUT' || executionStatus === 'WAITING_USER_INPUT'
          ? { parameter: { name: 'token', expiresAt: new Date(at + 120_000).toISOString() } }
          : {};
      const item = parseItem(itemJson(status, executionStatus, at + ageMs, { ...extra, connector: { id: 1, isOpenFinance: openFinance } }));
      return { type: 'SNAPSHOT', item, at };
    }),
  fc
    .record({ event: fc.constantFrom('item/updated', 'item/deleted', 'item/error', 'transactions/created'), eventId: fc.constantFrom('e1', 'e2', 'e3') })
    .map(({ event, eventId }) => (at: number): ConnectionEvent => ({ type: 'WEBHOOK', payload: parseWebhook({ event, eventId, itemId: ITEM_ID }), at })),
  fc.constant((at: number): ConnectionEvent => ({ type: 'RECONNECT', at })),
  fc.integer({ min: 0, max: 2 }).map((accounts) => (at: number): ConnectionEvent => ({ type: 'SYNC_DONE', accounts, at })),
  fc.constant((at: number): ConnectionEvent => ({ type: 'SYNC_FAILED', error: 'database unavailable', at })),
  fc.constantFrom(404, 500).map((status) => (at: number): ConnectionEvent => ({ type: 'FETCH_FAILED', error: { status }, at })),
  fc.constantFrom(...TIMER_EVENTS).map((type) => () => ({ type }) as unknown as ConnectionEvent),
);

describe('the pure transition shortcut', () => {
  test('starts a connection exactly as initialTransition() does', () => {
    for (const input of [{ itemId: ITEM_ID }, { itemId: ITEM_ID, mode: 'push' as const, isOpenFinance: true, now: T0, timing: { pollInitialMs: 500 } }]) {
      const [expected, expectedActions] = initialTransition(connectionMachine, input);
      const [actual, actions] = initialConnection(input);
      expect(persisted(actual)).toEqual(persisted(expected));
      expect(visible(actions)).toEqual(visible(expectedActions));
    }
  });

  test('gives the same snapshots and actions as transition() on any sequence of events', () => {
    fc.assert(
      fc.property(fc.array(eventArbitrary, { minLength: 1, maxLength: 40 }), (makers) => {
        let expected: Snapshot = initialTransition(connectionMachine, { itemId: ITEM_ID, now: T0 })[0];
        let actual: Snapshot = initialConnection({ itemId: ITEM_ID, now: T0 })[0];
        makers.forEach((make, step) => {
          const event = make(T0 + step * 30_000);
          if (expected.status !== 'active') return;
          const [nextExpected, expectedActions] = transition(connectionMachine, expected, event);
          const [nextActual, actions] = transitionConnection(actual, event);
          expect(nextActual === actual).toBe(nextExpected === expected);
          expect(persisted(nextActual)).toEqual(persisted(nextExpected));
          expect(nextActual.status).toBe(nextExpected.status);
          expect(isDeepStrictEqual(visible(actions), visible(expectedActions))).toBe(true);
          expected = nextExpected;
          actual = nextActual;
        });
      }),
      { numRuns: 200 },
    );
  });

  test('returns the actions of each call, not those of earlier calls', () => {
    const start = initialConnection({ itemId: ITEM_ID, now: T0 })[0];
    const [, outer] = transitionConnection(start, { type: 'RECONNECT', at: T0 });
    const [, again] = transitionConnection(start, { type: 'RECONNECT', at: T0 });
    expect(visible(outer)).toEqual(visible(again));
    expect(outer.length).toBeGreaterThan(0);
  });
});
