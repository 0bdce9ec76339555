/** Saving and restoring a live connection: the state, the context and the timers survive. */
import { randomUUID } from 'node:crypto';
import { createConnection, eventDigest, InputError, REMEMBERED_EVENT_IDS, SimulatedClock, type Effect, type PersistedConnection } from '../src';
import { harness, ITEM_ID, T0 } from './support';

const MINUTE = 60_000;

/** Saves through JSON (as a store would) and restores on a fresh clock at the same time. */
function restore(saved: PersistedConnection, now: number, options: { mode?: 'poll' | 'push' } = {}) {
  const clock = new SimulatedClock(now);
  const effects: Effect[] = [];
  const connection = createConnection({ itemId: ITEM_ID, clock, restore: JSON.parse(JSON.stringify(saved)), ...options });
  connection.on('*', (effect) => effects.push(effect));
  return { clock, connection, effects };
}

describe('save and restore', () => {
  test('a restored poller fires its next poll at the original due time, not a full delay later', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clock.advance(2000); // first poll; the next is due 3 s later, at T0 + 5 s
    h.clock.advance(1000);
    const restored = restore(h.connection.save(), h.clock.now());
    expect(restored.connection.getState().value).toBe('pending.waiting');
    expect(restored.connection.getState().timers.nextCheck).toBe(new Date(T0 + 5000).toISOString());
    restored.clock.advanceTo(T0 + 4999);
    expect(restored.effects).toEqual([]);
    restored.clock.advanceTo(T0 + 5000);
    expect(restored.effects).toEqual([{ type: 'fetch', itemId: ITEM_ID, reason: 'poll' }]);
    // The chain goes on with the same backoff as the original connection.
    restored.clock.advanceTo(T0 + 9500);
    expect(restored.effects).toHaveLength(2);
  });

  test('the stall budget survives a restore', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clock.advance(7 * MINUTE);
    const restored = restore(h.connection.save(), h.clock.now());
    restored.clock.advanceTo(T0 + 10 * MINUTE);
    expect(restored.effects.map((effect) => effect.type)).toContain('stalled');
  });

  test('a stalled connection restored later does not report the stall again', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clock.advance(11 * MINUTE);
    expect(h.ofType('stalled')).toHaveLength(1);
    expect(h.connection.getState().timers.stallBudget).toBeUndefined();
    const restored = restore(h.connection.save(), h.clock.now(), { mode: 'push' });
    restored.clock.advance(0);
    restored.clock.advance(5 * MINUTE);
    expect(restored.effects.map((effect) => effect.type)).toEqual(['fetch']);
  });

  test('an MFA deadline fires at parameter.expiresAt after a restore', () => {
    const h = harness({ mode: 'push' });
    const expiresAt = new Date(T0 + 3 * MINUTE).toISOString();
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'token', expiresAt } });
    h.clock.advance(MINUTE);
    const restored = restore(h.connection.save(), h.clock.now());
    restored.clock.advanceTo(T0 + 3 * MINUTE - 1);
    expect(restored.connection.getState().value).toBe('awaitingUser.input');
    restored.clock.advanceTo(T0 + 3 * MINUTE);
    expect(restored.connection.getState().value).toBe('blocked.reconnect');
    expect(restored.effects).toEqual([expect.objectContaining({ type: 'reconnectRequired', remedy: 'reconnect' })]);
  });

  test('timers that fell due while the connection was saved fire as soon as time moves', () => {
    const h = harness();
    h.snapshot('UPDATED', 'PARTIAL_SUCCESS', { connector: { id: 601, name: 'Itaú', isOpenFinance: true } });
    h.connection.send({ type: 'SYNC_DONE', accounts: 0 });
    const restored = restore(h.connection.save(), T0 + 30 * MINUTE);
    restored.clock.advance(0);
    expect(restored.effects).toEqual([expect.objectContaining({ type: 'sync', attempt: 1 })]);
    expect(restored.connection.getState().value).toBe('syncable.syncing');
  });

  test('a restored connection still rejects stale snapshots and dedupes webhooks it saw', () => {
    const h = harness({ mode: 'push' });
    h.connection.send({ type: 'WEBHOOK', payload: { event: 'item/updated', eventId: 'seen-1', itemId: ITEM_ID } });
    h.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS');
    const saved = h.connection.save();
    const restored = restore(saved, h.clock.now(), { mode: 'push' });
    const last = restored.connection.getState().last!;
    const stale = restored.connection.send({
      type: 'SNAPSHOT',
      item: { id: ITEM_ID, status: 'UPDATED', executionStatus: 'SUCCESS', updatedAt: new Date(last.updatedAt - 1).toISOString() },
    });
    expect(stale).toEqual(expect.objectContaining({ ok: true, changed: false }));
    restored.connection.send({ type: 'WEBHOOK', payload: { event: 'item/updated', eventId: 'seen-1', itemId: ITEM_ID } });
    expect(restored.effects).toEqual([]);
    expect(restored.connection.getState().value).toBe('blocked.updateCredentials');
  });

  test('a deleted connection restores as deleted', () => {
    const h = harness();
    h.connection.send({ type: 'FETCH_FAILED', error: { status: 404 } });
    const restored = restore(h.connection.save(), h.clock.now());
    expect(restored.connection.getState()).toEqual(expect.objectContaining({ value: 'deleted', status: 'done' }));
  });

  test('a saved connection is its state and context, with digests in place of the webhook eventIds', () => {
    const h = harness({ mode: 'push' });
    const eventIds = Array.from({ length: 20 }, () => randomUUID());
    for (const eventId of eventIds) h.connection.send({ type: 'WEBHOOK', payload: { event: 'item/updated', eventId, itemId: ITEM_ID } });
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    const saved = h.connection.save();
    expect(saved).toEqual({ machine: 'connection', version: 2, snapshot: { value: { pending: 'waiting' }, context: h.connection.getState().context } });
    const json = JSON.stringify(saved);
    for (const eventId of eventIds) expect(json).not.toContain(eventId);
    expect(h.connection.getState().context.eventDigests).toEqual(eventIds.slice(-REMEMBERED_EVENT_IDS).map(eventDigest));
    // The sixteen digests cost 176 B; the whole save stays well under what a UUID each would take.
    expect(json.length).toBeLessThan(640);
  });

  test('a connection saved by version 1 (XState\'s whole snapshot, with the eventIds themselves) restores and still knows its webhooks', () => {
    const saved = {
      machine: 'connection',
      version: 1,
      snapshot: {
        status: 'active',
        value: { pending: 'waiting' },
        historyValue: {},
        context: {
          itemId: ITEM_ID,
          mode: 'push',
          isOpenFinance: false,
          timing: {},
          clock: T0,
          last: { status: 'UPDATING', executionStatus: 'LOGIN_IN_PROGRESS', updatedAt: T0 },
          rule: 'R11',
          request: null,
          eventIds: ['seen-1'],
          attempt: 0,
          due: { stallBudget: T0 + 10 * MINUTE, nextCheck: T0 + 60 * MINUTE },
          healing: false,
        },
        children: {},
      },
    };
    const restored = restore(saved as PersistedConnection, T0, { mode: 'push' });
    expect(restored.connection.getState().value).toBe('pending.waiting');
    expect(restored.connection.getState().context.eventDigests).toEqual([eventDigest('seen-1')]);
    expect(restored.connection.send({ type: 'WEBHOOK', payload: { event: 'item/updated', eventId: 'seen-1', itemId: ITEM_ID } })).toEqual(
      expect.objectContaining({ ok: true, changed: false }),
    );
    restored.clock.advanceTo(T0 + 10 * MINUTE);
    expect(restored.effects.map((effect) => effect.type)).toEqual(['stalled']);
    expect(restored.connection.save().version).toBe(2);
  });

  test('a hand-edited save is refused naming the field, and fields the machine does not know are dropped', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    const saved = JSON.parse(JSON.stringify(h.connection.save()));
    saved.snapshot.context.attempt = -1;
    saved.snapshot.context.eventDigests = 'abc';
    expect(() => createConnection({ itemId: ITEM_ID, restore: saved })).toThrow(
      'invalid persisted snapshot: snapshot.context.eventDigests: expected an array of at most 16 eventId digests (strings), received the string "abc"; snapshot.context.attempt: expected an integer >= 0, received the number -1',
    );
    const extra = JSON.parse(JSON.stringify(h.connection.save()));
    extra.snapshot.context.note = 'added by hand';
    expect(createConnection({ itemId: ITEM_ID, restore: extra }).getState().context).toEqual(h.connection.getState().context);
  });

  test.each<[string, unknown, RegExp]>([
    ['another version', { machine: 'connection', version: 999, snapshot: {} }, /version: expected version 1 or 2 of the connection machine, received the number 999/],
    ['another machine', { machine: 'other', version: 1, snapshot: {} }, /machine: expected "connection", received the string "other"/],
    ['garbage', 'nope', /expected an object saved by Connection.save\(\)/],
    ['a snapshot without context', { machine: 'connection', version: 1, snapshot: { value: 'unknown' } }, /snapshot: expected an object \{ value, context \} saved by Connection.save\(\), received an object/],
  ])('restoring %s is refused with a clear error', (_name, saved, message) => {
    expect(() => createConnection({ itemId: ITEM_ID, restore: saved as PersistedConnection })).toThrow(InputError);
    expect(() => createConnection({ itemId: ITEM_ID, restore: saved as PersistedConnection })).toThrow(message);
  });

  test('a connection needs an item id', () => {
    expect(() => createConnection({ itemId: '' })).toThrow(/itemId: expected the Pluggy item's id \(a non-empty string\), received the string ""/);
  });

  test("restoring another item's snapshot is refused", () => {
    const h = harness();
    expect(() => createConnection({ itemId: 'other-item', restore: h.connection.save() })).toThrow(/snapshot\.context\.itemId/);
  });
});

describe('errors never reach the host', () => {
  test('a handler that throws on a timer-fired effect is reported to onError and the timers go on', () => {
    const h = harness();
    let calls = 0;
    h.connection.on('fetch', () => {
      calls++;
      throw new Error('handler bug');
    });
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    expect(() => h.clock.advance(10_000)).not.toThrow();
    expect(calls).toBe(3);
    expect(h.errors).toHaveLength(3);
    expect((h.errors[0] as Error).message).toBe('handler bug');
    expect(h.ofType('fetch')).toHaveLength(3);
  });

  test('a handler that throws during send does not fail the send', () => {
    const h = harness();
    h.connection.on('sync', () => {
      throw new Error('boom');
    });
    const result = h.snapshot('UPDATED', 'SUCCESS');
    expect(result).toEqual(expect.objectContaining({ ok: true, state: 'syncable.syncing' }));
    expect(h.errors).toHaveLength(1);
  });

  test('on() returns a function that removes the handler', () => {
    const h = harness();
    const seen: string[] = [];
    const off = h.connection.on('sync', (effect) => seen.push(effect.itemId));
    h.snapshot('UPDATED', 'SUCCESS');
    off();
    h.snapshot('UPDATED', 'SUCCESS');
    expect(seen).toEqual([ITEM_ID]);
  });

  test('stop() silences the connection', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.connection.stop();
    h.clearEffects();
    h.clock.advance(60 * MINUTE);
    expect(h.effects).toEqual([]);
  });
});
