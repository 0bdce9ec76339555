/** One test per behaviour of DESIGN.md's statechart contract, observed through createConnection. */
import { DEFAULT_TIMING } from '../src';
import { harness, itemJson, ITEM_ID, T0 } from './support';

const MINUTE = 60_000;
const fetchTimes = (h: ReturnType<typeof harness>, untilMs: number) => {
  const times: number[] = [];
  const off = h.connection.on('fetch', () => times.push(h.clock.now() - T0));
  h.clock.advanceTo(T0 + untilMs);
  off();
  return times;
};

describe('waiting in poll mode', () => {
  test('a running execution is polled with backoff from 2 s, capped at 30 s', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    expect(h.state()).toBe('pending.waiting');
    const times = fetchTimes(h, 3 * MINUTE);
    expect(times.slice(0, 4)).toEqual([2000, 5000, 9500, 16250]);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(Math.max(...gaps)).toBe(30_000);
    expect(gaps.every((gap, i) => i === 0 || gap >= gaps[i - 1]!)).toBe(true);
    expect(h.ofType('fetch').every((effect) => effect.reason === 'poll')).toBe(true);
  });

  test('a new step of the same execution keeps the wait going without restarting the budget', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clock.advance(4 * MINUTE);
    h.snapshot('UPDATING', 'ACCOUNTS_IN_PROGRESS');
    expect(h.state()).toBe('pending.waiting');
    h.clock.advance(6 * MINUTE);
    expect(h.ofType('stalled')).toHaveLength(1);
  });

  test('a wait longer than the 10-minute budget is reported stalled once, then reconciled every 5 minutes', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clock.advanceTo(T0 + DEFAULT_TIMING.stallAfterMs - 1);
    expect(h.ofType('stalled')).toHaveLength(0);
    h.clock.advanceTo(T0 + DEFAULT_TIMING.stallAfterMs);
    expect(h.state()).toBe('pending.stalled');
    expect(h.ofType('stalled')).toEqual([
      { type: 'stalled', itemId: ITEM_ID, since: new Date(T0).toISOString(), waitedMs: DEFAULT_TIMING.stallAfterMs },
    ]);
    const times = fetchTimes(h, DEFAULT_TIMING.stallAfterMs + 16 * MINUTE);
    expect(times).toEqual([15, 20, 25].map((minutes) => minutes * MINUTE));
    expect(h.ofType('stalled')).toHaveLength(1);
  });

  test('the execution ending while stalled moves on', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clock.advance(11 * MINUTE);
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.state()).toBe('syncable.syncing');
    h.clearEffects();
    h.clock.advance(60 * MINUTE);
    expect(h.effects).toEqual([]);
  });
});

describe('waiting in push mode', () => {
  test('no polling: only a reconciliation fetch every 5 minutes, and a stall report at 10', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    const times = fetchTimes(h, 16 * MINUTE);
    // The stall at 10 min restarts the reconciliation cadence.
    expect(times).toEqual([5 * MINUTE, 15 * MINUTE]);
    expect(h.ofType('fetch').every((effect) => effect.reason === 'reconcile')).toBe(true);
    expect(h.ofType('stalled')).toHaveLength(1);
  });

  test('an item webhook asks for a fetch, and the fetched snapshot decides', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.connection.send({ type: 'WEBHOOK', payload: { event: 'item/updated', eventId: 'e-1', itemId: ITEM_ID, triggeredBy: 'USER' } });
    expect(h.ofType('fetch')).toEqual([{ type: 'fetch', itemId: ITEM_ID, reason: 'webhook' }]);
    expect(h.state()).toBe('pending.waiting');
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.state()).toBe('syncable.syncing');
  });

  test('an item/error webhook is a hint too: it does not block the connection by itself', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.connection.send({
      type: 'WEBHOOK',
      payload: { event: 'item/error', eventId: 'e-2', itemId: ITEM_ID, error: { code: 'INVALID_CREDENTIALS', message: 'Invalid credentials' } },
    });
    expect(h.state()).toBe('pending.waiting');
    expect(h.types()).toEqual(['fetch']);
  });
});

describe('webhook deduplication', () => {
  const payload = { event: 'item/updated', eventId: 'evt-42', itemId: ITEM_ID };

  test('a webhook delivered twice (retries, both subscription modes) asks for one fetch', () => {
    const h = harness({ mode: 'push' });
    expect(h.connection.send({ type: 'WEBHOOK', payload }).ok).toBe(true);
    const again = h.connection.send({ type: 'WEBHOOK', payload });
    expect(again).toEqual(expect.objectContaining({ ok: true, changed: false, effects: [] }));
    expect(h.ofType('fetch')).toHaveLength(1);
  });

  test('distinct eventIds are distinct events', () => {
    const h = harness({ mode: 'push' });
    h.connection.send({ type: 'WEBHOOK', payload });
    h.connection.send({ type: 'WEBHOOK', payload: { ...payload, eventId: 'evt-43' } });
    expect(h.ofType('fetch')).toHaveLength(2);
  });

  test("webhooks about another item, transactions and connectors don't move the connection", () => {
    const h = harness({ mode: 'push' });
    h.snapshot('UPDATED', 'SUCCESS');
    h.clearEffects();
    h.connection.send({ type: 'WEBHOOK', payload: { ...payload, eventId: 'x1', itemId: 'another-item' } });
    h.connection.send({
      type: 'WEBHOOK',
      payload: { event: 'transactions/created', eventId: 'x2', itemId: ITEM_ID, accountId: 'acc-1', transactionsCreatedAtFrom: '2026-11-30T00:00:00.000Z' },
    });
    h.connection.send({ type: 'WEBHOOK', payload: { event: 'connector/status_updated', eventId: 'x3', data: { status: 'ONLINE' } } });
    h.connection.send({ type: 'WEBHOOK', payload: { event: 'item/deleted', eventId: 'x4', itemId: 'another-item' } });
    expect(h.effects).toEqual([]);
    expect(h.state()).toBe('syncable.syncing');
  });
});

describe('stale and duplicate snapshots', () => {
  test('an identical snapshot is a duplicate: nothing changes, nobody is prompted', () => {
    const h = harness();
    const item = itemJson('UPDATED', 'SUCCESS', T0 + 5000);
    h.raw(item);
    const again = h.raw(item);
    expect(again).toEqual(expect.objectContaining({ ok: true, changed: false, effects: [] }));
    expect(h.ofType('sync')).toHaveLength(1);
  });

  test('a snapshot older than the last accepted one is ignored, whatever it says', () => {
    const h = harness();
    h.raw(itemJson('UPDATED', 'SUCCESS', T0 + 10_000));
    const stale = h.raw(itemJson('LOGIN_ERROR', 'INVALID_CREDENTIALS', T0 + 5_000));
    expect(stale).toEqual(expect.objectContaining({ ok: true, changed: false, effects: [] }));
    expect(h.state()).toBe('syncable.syncing');
    expect(h.connection.getState().last?.executionStatus).toBe('SUCCESS');
  });

  test('a newer successful snapshot (e.g. an auto-sync) reads the data again', () => {
    const h = harness();
    h.snapshot('UPDATED', 'SUCCESS');
    h.connection.send({ type: 'SYNC_DONE', accounts: 3 });
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.ofType('sync')).toHaveLength(2);
    expect(h.state()).toBe('syncable.syncing');
  });
});

describe('MFA and user-action deadlines', () => {
  const expiresIn = (ms: number) => new Date(T0 + ms).toISOString();

  test('the user is asked for the MFA input with its deadline, once', () => {
    const h = harness({ mode: 'push' });
    const parameter = { name: 'token', label: 'SMS code', type: 'number', expiresAt: expiresIn(3 * MINUTE) };
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter });
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter });
    expect(h.state()).toBe('awaitingUser.input');
    expect(h.ofType('userInputRequired')).toEqual([
      { type: 'userInputRequired', itemId: ITEM_ID, parameter: expect.objectContaining({ name: 'token', label: 'SMS code' }), expiresAt: parameter.expiresAt },
    ]);
  });

  test('a new MFA request (another parameter) asks the user again', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'token', expiresAt: expiresIn(3 * MINUTE) } });
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'password2', expiresAt: expiresIn(6 * MINUTE) } });
    expect(h.ofType('userInputRequired').map((effect) => effect.parameter?.name)).toEqual(['token', 'password2']);
  });

  test('past parameter.expiresAt the input is treated as timed out (R1) without waiting for Pluggy', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'token', expiresAt: expiresIn(3 * MINUTE) } });
    h.clock.advanceTo(T0 + 3 * MINUTE - 1);
    expect(h.state()).toBe('awaitingUser.input');
    h.clock.advanceTo(T0 + 3 * MINUTE);
    expect(h.state()).toBe('blocked.reconnect');
    expect(h.ofType('reconnectRequired')).toEqual([
      { type: 'reconnectRequired', itemId: ITEM_ID, remedy: 'reconnect', reason: expect.stringContaining(`R1: the user did not answer before ${expiresIn(3 * MINUTE)}`) },
    ]);
    // Pluggy confirming the timeout later prompts nobody again.
    h.clock.advance(5000);
    h.snapshot('OUTDATED', 'USER_INPUT_TIMEOUT');
    expect(h.ofType('reconnectRequired')).toHaveLength(1);
  });

  test('a user action (authorize in the bank app) has its deadline from userAction.expiresAt', () => {
    const h = harness({ mode: 'push' });
    const userAction = { type: 'authorize-access', instructions: 'Open your bank app', expiresAt: expiresIn(7 * MINUTE) };
    h.snapshot('WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING', { userAction });
    expect(h.state()).toBe('awaitingUser.action');
    expect(h.ofType('userActionRequired')).toEqual([
      { type: 'userActionRequired', itemId: ITEM_ID, userAction: expect.objectContaining({ type: 'authorize-access' }), expiresAt: userAction.expiresAt },
    ]);
    h.clock.advanceTo(T0 + 7 * MINUTE);
    expect(h.state()).toBe('blocked.reconnect');
  });

  test('the user answering in time moves on and cancels the deadline', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'token', expiresAt: expiresIn(3 * MINUTE) } });
    h.clock.advance(MINUTE);
    h.snapshot('UPDATING', 'LOGIN_MFA_IN_PROGRESS');
    h.clock.advance(MINUTE);
    h.snapshot('UPDATED', 'SUCCESS');
    h.clock.advance(10 * MINUTE);
    expect(h.state()).toBe('syncable.syncing');
    expect(h.ofType('reconnectRequired')).toHaveLength(0);
  });

  test('without a deadline from Pluggy, the wait budget is the deadline', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'token' } });
    h.clock.advanceTo(T0 + DEFAULT_TIMING.stallAfterMs);
    expect(h.state()).toBe('blocked.reconnect');
  });

  test('poll mode keeps polling while the user answers', () => {
    const h = harness();
    h.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'token', expiresAt: expiresIn(3 * MINUTE) } });
    expect(fetchTimes(h, 10_000)).toEqual([2000, 5000, 9500]);
  });
});

describe('blocked is terminal until new evidence or RECONNECT', () => {
  test('a repeated INVALID_CREDENTIALS snapshot prompts nobody twice', () => {
    const h = harness();
    h.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS');
    h.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS');
    h.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS');
    expect(h.ofType('reconnectRequired')).toHaveLength(1);
    expect(h.state()).toBe('blocked.updateCredentials');
  });

  test('blocked connections are not polled', () => {
    const h = harness();
    h.snapshot('OUTDATED', 'SITE_NOT_AVAILABLE');
    h.clearEffects();
    h.clock.advance(60 * MINUTE);
    expect(h.effects).toEqual([]);
  });

  test('a new failure of another kind asks for the new remedy', () => {
    const h = harness();
    h.snapshot('OUTDATED', 'SITE_NOT_AVAILABLE');
    h.snapshot('LOGIN_ERROR', 'ACCOUNT_LOCKED');
    expect(h.ofType('reconnectRequired').map((effect) => effect.remedy)).toEqual(['retryLater', 'actAtInstitution']);
    expect(h.state()).toBe('blocked.actAtInstitution');
  });

  test("Pluggy's auto-sync healing the connection emits recovered, then sync", () => {
    const h = harness({ mode: 'push' });
    h.snapshot('OUTDATED', 'SITE_NOT_AVAILABLE');
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.types()).toEqual(['reconnectRequired', 'recovered', 'sync']);
    expect(h.state()).toBe('syncable.syncing');
  });

  test('healing through a new execution (UPDATING, then success) also reports recovered', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('OUTDATED', 'CONNECTION_ERROR');
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    expect(h.state()).toBe('pending.waiting');
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.types()).toEqual(['reconnectRequired', 'recovered', 'sync']);
  });

  test('RECONNECT moves to pending; the success that follows is a sync, not a recovery', () => {
    const h = harness({ mode: 'push' });
    h.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS');
    h.connection.send({ type: 'RECONNECT' });
    expect(h.state()).toBe('pending.waiting');
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.types()).toEqual(['reconnectRequired', 'sync']);
  });
});

describe('deleted is final', () => {
  test('item/deleted ends the connection; nothing moves it afterwards and no timer fires', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clearEffects();
    h.connection.send({ type: 'WEBHOOK', payload: { event: 'item/deleted', eventId: 'd-1', itemId: ITEM_ID } });
    expect(h.state()).toBe('deleted');
    expect(h.connection.getState().status).toBe('done');
    expect(h.effects).toEqual([{ type: 'deleted', itemId: ITEM_ID, reason: 'R0: Pluggy sent item/deleted' }]);
    expect(h.snapshot('UPDATED', 'SUCCESS')).toEqual(expect.objectContaining({ ok: true, changed: false, effects: [] }));
    h.connection.send({ type: 'RECONNECT' });
    h.clock.advance(120 * MINUTE);
    expect(h.effects).toHaveLength(1);
    expect(h.state()).toBe('deleted');
  });

  test.each([
    ['a 404 status', { status: 404, message: 'Not Found' }],
    ["pluggy-sdk's rejected body", { code: 404, codeDescription: 'ITEM_NOT_FOUND', message: 'Item not found' }],
    ['an Error carrying the response', Object.assign(new Error('Response code 404'), { response: { statusCode: 404 } })],
  ])('a fetch answered 404 (%s) ends the connection', (_name, error) => {
    const h = harness();
    h.snapshot('UPDATED', 'SUCCESS');
    h.connection.send({ type: 'FETCH_FAILED', error });
    expect(h.state()).toBe('deleted');
    expect(h.ofType('deleted')[0]?.reason).toBe('R0: fetching the item answered 404');
  });

  test('other fetch failures change nothing', () => {
    const h = harness();
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    const result = h.connection.send({ type: 'FETCH_FAILED', error: { code: 500, message: 'Internal Server Error' } });
    expect(result).toEqual(expect.objectContaining({ ok: true, effects: [] }));
    expect(h.state()).toBe('pending.waiting');
  });
});

describe('Open Finance zero accounts', () => {
  const openFinance = { connector: { id: 601, name: 'Itaú', isOpenFinance: true } };

  test('re-reads are bounded, back off, and end with an anomaly', () => {
    const h = harness();
    h.snapshot('UPDATED', 'PARTIAL_SUCCESS', openFinance);
    for (let i = 0; i < DEFAULT_TIMING.syncRetryMaxAttempts; i++) {
      h.connection.send({ type: 'SYNC_DONE', accounts: 0 });
      const retry = h.ofType('scheduleRetry').at(-1)!;
      h.clock.advanceTo(Date.parse(retry.dueAt));
    }
    h.connection.send({ type: 'SYNC_DONE', accounts: 0 });
    const retries = h.ofType('scheduleRetry');
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2, 3, 4, 5]);
    const gaps = retries.slice(1).map((retry, i) => Date.parse(retry.dueAt) - Date.parse(retries[i]!.dueAt));
    expect(gaps).toEqual([2, 4, 8, 16].map((minutes) => minutes * MINUTE));
    expect(h.ofType('sync')).toHaveLength(6);
    expect(h.state()).toBe('syncable.synced');
    expect(h.ofType('anomaly')).toEqual([{ type: 'anomaly', itemId: ITEM_ID, reason: 'accounts still missing after every scheduled re-read' }]);
  });

  test('zero accounts on a connection that is not Open Finance is not retried', () => {
    const h = harness();
    h.snapshot('UPDATED', 'PARTIAL_SUCCESS');
    h.connection.send({ type: 'SYNC_DONE', accounts: 0 });
    expect(h.state()).toBe('syncable.synced');
    expect(h.ofType('scheduleRetry')).toEqual([]);
  });

  test('zero accounts after a full SUCCESS is not retried', () => {
    const h = harness();
    h.snapshot('UPDATED', 'SUCCESS', openFinance);
    h.connection.send({ type: 'SYNC_DONE', accounts: 0 });
    expect(h.state()).toBe('syncable.synced');
  });

  test('the host declaring Open Finance up front is enough', () => {
    const h = harness({ isOpenFinance: true });
    h.snapshot('UPDATED', 'PARTIAL_SUCCESS', { connector: { id: 601, name: 'Itaú' } });
    h.connection.send({ type: 'SYNC_DONE', accounts: 0 });
    expect(h.state()).toBe('syncable.accountsPending');
  });

  test('a failed sync is retried with backoff and then reported', () => {
    const h = harness();
    h.snapshot('UPDATED', 'SUCCESS');
    h.connection.send({ type: 'SYNC_FAILED', error: new Error('database unavailable') });
    expect(h.state()).toBe('syncable.retrying');
    expect(h.ofType('scheduleRetry')[0]).toEqual(expect.objectContaining({ reason: 'syncFailed', attempt: 1 }));
    h.clock.advanceTo(Date.parse(h.ofType('scheduleRetry')[0]!.dueAt));
    expect(h.state()).toBe('syncable.syncing');
    expect(h.ofType('sync')).toHaveLength(2);
  });
});

describe('unknown values (lenient parsing)', () => {
  test('an unknown execution status never syncs and is reported as an anomaly, once', () => {
    const h = harness({ parsing: 'lenient' });
    h.snapshot('UPDATED', 'BRAND_NEW_OUTCOME');
    h.snapshot('UPDATED', 'BRAND_NEW_OUTCOME');
    expect(h.state()).toBe('unknown.anomaly');
    expect(h.ofType('sync')).toEqual([]);
    expect(h.ofType('anomaly')).toHaveLength(1);
    expect(h.ofType('anomaly')[0]?.reason).toContain('BRAND_NEW_OUTCOME');
  });

  test('an unknown *_IN_PROGRESS step waits like the known ones, and is reported', () => {
    const h = harness({ parsing: 'lenient' });
    h.snapshot('UPDATING', 'PORTFOLIO_IN_PROGRESS');
    expect(h.state()).toBe('pending.waiting');
    expect(h.ofType('anomaly')[0]?.reason).toContain('PORTFOLIO_IN_PROGRESS');
  });

  test('leaving an anomaly on a covered snapshot works as usual', () => {
    const h = harness({ parsing: 'lenient' });
    h.snapshot('SOMETHING', 'ELSE');
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.state()).toBe('syncable.syncing');
  });
});
