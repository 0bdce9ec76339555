/** The original guide's five testing scenarios, through the statechart (acceptance tests). */
import { harness } from './support';

describe("the guide's testing scenarios", () => {
  test('1. UPDATED + SUCCESS: proceed with sync', () => {
    const h = harness();
    h.snapshot('UPDATED', 'SUCCESS');
    expect(h.state()).toBe('syncable.syncing');
    expect(h.ofType('sync')).toEqual([{ type: 'sync', itemId: h.connection.itemId, attempt: 0 }]);
    expect(h.types()).toEqual(['sync']);
  });

  test('2. UPDATED + PARTIAL_SUCCESS on Open Finance: sync, and re-read accounts later when the sync found none', () => {
    const h = harness();
    h.snapshot('UPDATED', 'PARTIAL_SUCCESS', { connector: { id: 601, name: 'Itaú', isOpenFinance: true } });
    expect(h.state()).toBe('syncable.syncing');
    expect(h.ofType('sync')).toEqual([expect.objectContaining({ warning: 'partial', attempt: 0 })]);

    h.connection.send({ type: 'SYNC_DONE', accounts: 0 });
    expect(h.state()).toBe('syncable.accountsPending');
    const [retry] = h.ofType('scheduleRetry');
    expect(retry).toEqual(expect.objectContaining({ reason: 'zeroAccounts', attempt: 1 }));

    h.clearEffects();
    h.clock.advanceTo(Date.parse(retry!.dueAt));
    // The retry re-reads accounts (sync); it never asks for a new Pluggy execution.
    expect(h.types()).toEqual(['sync']);
    expect(h.ofType('sync')[0]).toEqual(expect.objectContaining({ attempt: 1 }));
    h.connection.send({ type: 'SYNC_DONE', accounts: 2 });
    expect(h.state()).toBe('syncable.synced');
  });

  test.each([['OUTDATED'], ['WAITING_USER_INPUT']])('3. %s + USER_INPUT_TIMEOUT: block sync, require reconnection', (status) => {
    const h = harness();
    h.snapshot(status, 'USER_INPUT_TIMEOUT');
    expect(h.state()).toBe('blocked.reconnect');
    expect(h.types()).toEqual(['reconnectRequired']);
    expect(h.ofType('reconnectRequired')[0]).toEqual(expect.objectContaining({ remedy: 'reconnect', reason: expect.stringMatching(/^R1:/) }));
    expect(h.connection.getState().canSync).toBe(false);
  });

  test('4. OUTDATED + SUCCESS: sync with a warning', () => {
    const h = harness();
    h.snapshot('OUTDATED', 'SUCCESS');
    expect(h.state()).toBe('syncable.syncing');
    expect(h.ofType('sync')).toEqual([expect.objectContaining({ warning: 'outdated' })]);
  });

  test('5. LOGIN_ERROR + INVALID_CREDENTIALS: block sync, require a credential update', () => {
    const h = harness();
    h.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS');
    expect(h.state()).toBe('blocked.updateCredentials');
    expect(h.types()).toEqual(['reconnectRequired']);
    expect(h.ofType('reconnectRequired')[0]).toEqual(expect.objectContaining({ remedy: 'updateCredentials' }));
  });
});
