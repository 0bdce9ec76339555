/**
 * The pure boundary of the durable path: timers are derived from the state and `context.due`
 * (never re-run, never lost), and what a store keeps restores to the same connection, here and in
 * a live actor.
 */
import fc from 'fast-check';
import { createConnection, parseItem, parseWebhook, SimulatedClock, type ConnectionEvent, type Effect } from '../src';
import { applyEvent, decodeConnection, dueTimers, encodeConnection, fireDue, MACHINE_VERSION, startConnection, toPersistedConnection, type ConnectionSnapshot } from '../src/durable/step';
import { InputError } from '../src/errors';
import { transitionConnection } from '../src/runtime/pure';
import { ITEM_ID, itemJson, T0 } from './support';

const MINUTE = 60_000;

const eventArbitrary: fc.Arbitrary<(at: number) => ConnectionEvent> = fc.oneof(
  fc
    .record({
      pair: fc.constantFrom(
        ['UPDATING', 'LOGIN_IN_PROGRESS'],
        ['WAITING_USER_INPUT', 'WAITING_USER_INPUT'],
        ['WAITING_USER_ACTION', 'WAITING_USER_ACTION'],
        ['UPDATED', 'PARTIAL_SUCCESS'],
        ['UPDATED', 'SUCCESS'],
        ['LOGIN_ERROR', 'INVALID_CREDENTIALS'],
      ),
      ageMs: fc.integer({ min: -2_000, max: 2_000 }),
    })
    .map(({ pair, ageMs }) => (at: number): ConnectionEvent => {
      const [status, executionStatus] = [pair[0], pair[1]];
      const expiresAt = new Date(at + 3 * MINUTE).toISOString();
      const extra = { parameter: { name: 'token', expiresAt }, userAction: { type: 'qr', expiresAt }, connector: { id: 601, isOpenFinance: true } };
      return { type: 'SNAPSHOT', item: parseItem(itemJson(status!, executionStatus!, at + ageMs, extra)), at };
    }),
  fc.integer({ min: 0, max: 5 }).map((n) => (at: number): ConnectionEvent => ({ type: 'WEBHOOK', payload: parseWebhook({ event: 'item/updated', eventId: `e${n}`, itemId: ITEM_ID }), at })),
  fc.constantFrom(0, 2).map((accounts) => (at: number): ConnectionEvent => ({ type: 'SYNC_DONE', accounts, at })),
  fc.constant((at: number): ConnectionEvent => ({ type: 'SYNC_FAILED', error: 'x', at })),
  fc.constant((at: number): ConnectionEvent => ({ type: 'RECONNECT', at })),
);

const stepsArbitrary = fc.array(fc.record({ wait: fc.constantFrom(0, 1_000, 4_000, 70_000, 11 * MINUTE), event: eventArbitrary }), { maxLength: 30 });

/** What XState itself schedules: `xstate.raise` with a delay arms, `xstate.cancel` disarms (xstate-notes §6.2). */
function scheduled(actions: ReadonlyArray<{ type: string; params?: unknown }>, now: number, into: Map<string, number>): void {
  for (const action of actions) {
    const params = action.params as { id?: string; delay?: number; sendId?: string };
    if (action.type === 'xstate.cancel') into.delete(params.sendId!);
    if (action.type === 'xstate.raise' && typeof params.delay === 'number') into.set(params.id!, now + params.delay);
  }
}

test("the timers derived from the state and context.due are the ones XState's raise and cancel actions arm", () => {
  fc.assert(
    fc.property(stepsArbitrary, fc.constantFrom('poll' as const, 'push' as const), (steps, mode) => {
      let snapshot: ConnectionSnapshot = startConnection({ itemId: ITEM_ID, mode, now: T0 }).snapshot;
      let now = T0;
      const armed = new Map<string, number>();
      const check = () => {
        const derived = new Map(dueTimers(snapshot).map((timer) => [timer.eventType, timer.due]));
        expect(derived).toEqual(armed);
      };
      const deliver = (event: ConnectionEvent, at: number) => {
        // A delivered timer is spent; the transition may arm it again.
        if (event.type.startsWith('xstate.after.')) armed.delete(event.type);
        const [next, actions] = transitionConnection(snapshot, event);
        scheduled(actions, at, armed);
        snapshot = next;
        check();
      };
      for (const step of steps) {
        const until = now + step.wait;
        for (let timer = dueTimers(snapshot)[0]; timer && timer.due <= until; timer = dueTimers(snapshot)[0]) {
          now = timer.due;
          deliver({ type: timer.eventType } as unknown as ConnectionEvent, now);
        }
        now = until;
        if (snapshot.status !== 'active') break;
        deliver(step.event(now), now);
      }
    }),
    { numRuns: 200 },
  );
});

test('fireDue fires what falls due, in order, each timer arming the next, as a live connection on a simulated clock does', () => {
  const clock = new SimulatedClock(T0);
  const live = createConnection({ itemId: ITEM_ID, clock });
  const liveEffects: Effect[] = [];
  live.on('*', (effect) => liveEffects.push(effect));
  live.send({ type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) });
  clock.advanceTo(T0 + 12 * MINUTE);

  const started = startConnection({ itemId: ITEM_ID, now: T0 }).snapshot;
  const pending = applyEvent(started, { type: 'SNAPSHOT', item: parseItem(itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0)), at: T0 }).snapshot;
  const steps = fireDue(pending, T0 + 12 * MINUTE);
  expect(steps.flatMap((step) => step.effects)).toEqual(liveEffects);
  expect(encodeConnection(steps[steps.length - 1]!.snapshot).state).toBe(live.getState().value);
  expect(steps.length).toBeGreaterThan(20);
});

test('a stored row restores in a live actor, with its timers re-armed', () => {
  const started = startConnection({ itemId: ITEM_ID, now: T0 }).snapshot;
  const expiresAt = new Date(T0 + 3 * MINUTE).toISOString();
  const waiting = applyEvent(started, {
    type: 'SNAPSHOT',
    item: parseItem(itemJson('WAITING_USER_INPUT', 'WAITING_USER_INPUT', T0, { parameter: { name: 'token', expiresAt } })),
    at: T0,
  }).snapshot;
  const encoded = encodeConnection(waiting);
  expect(encoded).toEqual(expect.objectContaining({ machine: 'connection', version: MACHINE_VERSION, state: 'awaitingUser.input', nextDue: T0 + 2000 }));
  const persisted = toPersistedConnection({ itemId: ITEM_ID, ...encoded });
  if (persisted instanceof InputError) throw persisted;
  const clock = new SimulatedClock(T0 + MINUTE);
  const restored = createConnection({ itemId: ITEM_ID, clock, restore: JSON.parse(JSON.stringify(persisted)) });
  expect(restored.getState().timers.userDeadline).toBe(expiresAt);
  clock.advanceTo(T0 + 3 * MINUTE);
  expect(restored.getState().value).toBe('blocked.reconnect');
  restored.stop();
});

test('decoding what was encoded gives the same connection, without the eventIds the dedupe table keeps', () => {
  const started = startConnection({ itemId: ITEM_ID, mode: 'push', timing: { stallAfterMs: 20 * MINUTE }, now: T0 }).snapshot;
  const hinted = applyEvent(started, { type: 'WEBHOOK', payload: parseWebhook({ event: 'item/updated', eventId: 'e1', itemId: ITEM_ID }), at: T0 }).snapshot;
  const pending = applyEvent(hinted, { type: 'SNAPSHOT', item: parseItem(itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0)), at: T0 }).snapshot;
  const encoded = encodeConnection(pending);
  const decoded = decodeConnection({ itemId: ITEM_ID, ...encoded });
  if (decoded instanceof InputError) throw decoded;
  expect(decoded.value).toEqual(pending.value);
  expect(decoded.context).toEqual({ ...pending.context, eventDigests: [] });
  expect(encoded.snapshot).not.toContain(ITEM_ID);
  expect(encoded.snapshot).not.toContain('e1');
  expect(encodeConnection(decoded)).toEqual(encoded);
});

test('a row written by version 1 reads as it did: stored rows have held { value, context } since then', () => {
  const pending = applyEvent(startConnection({ itemId: ITEM_ID, now: T0 }).snapshot, { type: 'SNAPSHOT', item: parseItem(itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0)), at: T0 }).snapshot;
  const encoded = encodeConnection(pending);
  const decoded = decodeConnection({ itemId: ITEM_ID, ...encoded, version: 1 });
  if (decoded instanceof InputError) throw decoded;
  expect(decoded.value).toEqual({ pending: 'waiting' });
  expect(decoded.context).toEqual(pending.context);
});

/** The stored context of a new connection, to corrupt one field of. */
const storedContext = () => JSON.parse(encodeConnection(startConnection({ itemId: ITEM_ID }).snapshot).snapshot).context as Record<string, unknown>;

test.each<[string, string, number, RegExp]>([
  ['malformed JSON', '{"value":', 1, /^invalid persisted snapshot: snapshot: expected the JSON of a stored connection snapshot, received malformed JSON/],
  ['another version', '{"value":"pending","context":{}}', 7, /^invalid persisted snapshot: version: expected version 1 or 2 of the connection machine, received the number 7$/],
  ['a state the machine does not have', JSON.stringify({ value: { pending: 'napping' }, context: storedContext() }), 1, /^invalid persisted snapshot: snapshot\.value: expected a state of the connection machine, received \{"pending":"napping"\}/],
  ['a due time that is not a number', JSON.stringify({ value: 'pending', context: { ...storedContext(), due: { nextCheck: 'later' } } }), 1, /snapshot\.context\.due: expected an object of due times \(epoch ms\) named nextCheck, stallBudget, userDeadline, syncRetry, received an object/],
])('a row with %s is refused with what was expected and what was received', (_name, snapshot, version, message) => {
  const decoded = decodeConnection({ itemId: ITEM_ID, machine: 'connection', version, snapshot });
  expect(decoded).toBeInstanceOf(InputError);
  expect((decoded as InputError).message).toMatch(message);
});

test('a row of another machine is refused', () => {
  const decoded = decodeConnection({ itemId: ITEM_ID, machine: 'payment', version: 1, snapshot: '{}' });
  expect((decoded as InputError).message).toBe('invalid persisted snapshot: machine: expected "connection", received the string "payment"');
});
