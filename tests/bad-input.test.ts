/** Bad input never crashes the host, never syncs, leaves the state unchanged, and is kept for the host to see. */
import { InputError, type ConnectionCommand } from '../src';
import { harness, itemJson, ITEM_ID, T0 } from './support';

function settled() {
  const h = harness();
  h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
  h.clearEffects();
  return h;
}

const valid = itemJson('UPDATED', 'SUCCESS', T0 + 60_000);
const without = (key: string) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key));

describe('a rejected input changes nothing and names the problem', () => {
  test.each<[string, ConnectionCommand, RegExp]>([
    ['malformed JSON', { type: 'SNAPSHOT', item: '{"id": "abc", "status": ' }, /malformed JSON/],
    ['a missing id', { type: 'SNAPSHOT', item: without('id') }, /id: expected a non-empty string, received nothing/],
    ['a missing updatedAt', { type: 'SNAPSHOT', item: without('updatedAt') }, /updatedAt: expected an ISO 8601 date string or a Date, received nothing/],
    ['a number as status', { type: 'SNAPSHOT', item: { ...valid, status: 3 } }, /status: expected a status .*received the number 3/],
    ['a date that is not a date', { type: 'SNAPSHOT', item: { ...valid, updatedAt: 'yesterday' } }, /updatedAt: expected an ISO 8601 date string or a Date, received the string "yesterday"/],
    ['a status value as executionStatus', { type: 'SNAPSHOT', item: { ...valid, executionStatus: 'UPDATED' } }, /executionStatus: UPDATED is a status, not an executionStatus/],
    ['an executionStatus value as status', { type: 'SNAPSHOT', item: { ...valid, status: 'PARTIAL_SUCCESS' } }, /status: PARTIAL_SUCCESS is an executionStatus, not a status/],
    ['an unknown value (strict by default)', { type: 'SNAPSHOT', item: { ...valid, executionStatus: 'BRAND_NEW' } }, /executionStatus: "BRAND_NEW" is not an executionStatus this release knows/],
    ["another item's snapshot", { type: 'SNAPSHOT', item: { ...valid, id: 'someone-else' } }, /item\.id: expected this connection's item id/],
    ['a non-object item', { type: 'SNAPSHOT', item: 42 }, /\(root\): expected an object, received the number 42/],
    ['a webhook without eventId', { type: 'WEBHOOK', payload: { event: 'item/updated', itemId: ITEM_ID } }, /eventId: expected a non-empty string, received nothing/],
    ['an item webhook without itemId', { type: 'WEBHOOK', payload: { event: 'item/updated', eventId: 'e1' } }, /itemId: expected the id of the item/],
    ['negative accounts', { type: 'SYNC_DONE', accounts: -1 }, /accounts: expected the number of accounts read/],
    ['accounts as text', { type: 'SYNC_DONE', accounts: '2' as unknown as number }, /received the string "2"/],
    ['an unknown command', { type: 'SYNC_NOW' } as unknown as ConnectionCommand, /type: expected one of SNAPSHOT, WEBHOOK/],
  ])('%s', (_name, command, message) => {
    const h = settled();
    const before = h.connection.getState();
    const result = h.connection.send(command);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(InputError);
    expect(result.error.message).toMatch(message);
    expect(result.state).toBe('pending.waiting');
    expect(h.connection.getState()).toEqual(before);
    expect(h.effects).toEqual([]);
    expect(h.connection.rejected.at(-1)?.error).toBe(result.error);
    expect(result.error.input).toBe((command as { item?: unknown; payload?: unknown }).item ?? (command as { payload?: unknown }).payload ?? command);
  });

  test('issues carry the path, the expectation and what was received', () => {
    const h = settled();
    const result = h.connection.send({ type: 'SNAPSHOT', item: { ...valid, status: 'PARTIAL_SUCCESS', updatedAt: 12 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.issues).toEqual([
      expect.objectContaining({ path: 'status', received: 'the string "PARTIAL_SUCCESS"' }),
      expect.objectContaining({ path: 'updatedAt', expected: 'an ISO 8601 date string or a Date', received: 'the number 12' }),
    ]);
  });

  test('after a rejection the connection goes on normally', () => {
    const h = settled();
    h.connection.send({ type: 'SNAPSHOT', item: 'not json' });
    h.connection.send({ type: 'SNAPSHOT', item: valid });
    expect(h.state()).toBe('syncable.syncing');
  });

  test('the dead-letter list is bounded', () => {
    const h = harness({ keepRejected: 3 });
    for (let i = 0; i < 10; i++) h.connection.send({ type: 'SNAPSHOT', item: `broken ${i}` });
    expect(h.connection.rejected.map((rejection) => rejection.error.input)).toEqual(['broken 7', 'broken 8', 'broken 9']);
  });
});

describe('nothing a user sends throws', () => {
  const garbage: unknown[] = [
    undefined, null, 0, NaN, '', 'SNAPSHOT', [], {}, { type: null }, { type: 'SNAPSHOT' }, { type: 'SNAPSHOT', item: null },
    { type: 'SNAPSHOT', item: { id: ITEM_ID, status: {}, executionStatus: [], updatedAt: {} } },
    { type: 'SNAPSHOT', item: { ...valid, parameter: 'token' } }, { type: 'SNAPSHOT', item: { ...valid, statusDetail: { accounts: 'yes' } } },
    { type: 'WEBHOOK' }, { type: 'WEBHOOK', payload: '[]' }, { type: 'WEBHOOK', payload: { event: 7, eventId: {} } },
    { type: 'SYNC_DONE' }, { type: 'SYNC_DONE', accounts: Infinity }, { type: 'FETCH_FAILED' }, { type: 'FETCH_FAILED', error: Symbol('x') },
    { type: 'SYNC_FAILED', error: { toString: null } }, Object.create(null), { type: 'SNAPSHOT', item: { ...valid, updatedAt: new Date(NaN) } },
  ];

  test.each(garbage.map((value, i) => [i, value]))('garbage #%i is answered, not thrown', (_i, value) => {
    const h = settled();
    const before = h.connection.getState();
    let result: ReturnType<typeof h.connection.send> | undefined;
    expect(() => {
      result = h.connection.send(value as ConnectionCommand);
    }).not.toThrow();
    expect(result).toBeDefined();
    if (result?.ok === false) expect(h.connection.getState()).toEqual(before);
    expect(h.ofType('sync')).toEqual([]);
  });
});
