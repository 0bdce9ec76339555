/** The poll driver, with a scripted fetchItem and a simulated clock. */
import { createPoller } from '../src/drivers/poller';
import { harness, itemJson, T0 } from './support';

/** Lets pending promise callbacks run (the driver awaits fetchItem). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('the poll driver', () => {
  test("carries out the connection's fetch effects on its backoff and feeds the answers back", async () => {
    const h = harness();
    const answers = [itemJson('UPDATING', 'ACCOUNTS_IN_PROGRESS', T0 + 1500), itemJson('UPDATED', 'SUCCESS', T0 + 4000)];
    const calls: number[] = [];
    const poller = createPoller({ clock: h.clock, fetchItem: async () => {
      calls.push(h.clock.now() - T0);
      return answers.shift() ?? answers[answers.length - 1];
    } });
    poller.attach(h.connection);
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    h.clock.advance(2000);
    await settle();
    expect(h.state()).toBe('pending.waiting');
    h.clock.advance(3000);
    await settle();
    expect(calls).toEqual([2000, 5000]);
    expect(h.state()).toBe('syncable.syncing');
    poller.stop();
  });

  test('never fetches one item twice at once, and fetches once more when asked during a fetch', async () => {
    const h = harness();
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const release: Array<() => void> = [];
    const poller = createPoller({
      clock: h.clock,
      fetchItem: () =>
        new Promise((resolve) => {
          calls++;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          release.push(() => {
            inFlight--;
            resolve(itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0 + calls * 1000));
          });
        }),
    });
    poller.attach(h.connection);
    const first = poller.fetch(h.connection.itemId);
    void poller.fetch(h.connection.itemId);
    void poller.fetch(h.connection.itemId);
    await settle();
    expect(calls).toBe(1);
    release.shift()!();
    await settle();
    expect(calls).toBe(2);
    release.shift()!();
    await first;
    await poller.idle();
    expect(calls).toBe(2);
    expect(maxInFlight).toBe(1);
  });

  test('a 404 ends the connection as deleted', async () => {
    const h = harness();
    const poller = createPoller({ clock: h.clock, fetchItem: async () => Promise.reject({ code: 404, codeDescription: 'ITEM_NOT_FOUND', message: 'Item not found' }) });
    poller.attach(h.connection);
    await poller.fetch(h.connection.itemId);
    expect(h.state()).toBe('deleted');
    expect(h.ofType('deleted')).toHaveLength(1);
  });

  test('a 429 pauses every fetch for RateLimit-Reset seconds, then retries', async () => {
    const h = harness();
    const calls: number[] = [];
    let first = true;
    const poller = createPoller({
      clock: h.clock,
      fetchItem: async () => {
        calls.push(h.clock.now() - T0);
        if (first) {
          first = false;
          throw { statusCode: 429, headers: { 'ratelimit-reset': '7', 'retry-after': '60' }, body: { code: 429 } };
        }
        return itemJson('UPDATED', 'SUCCESS', T0 + 500);
      },
    });
    poller.attach(h.connection);
    const done = poller.fetch(h.connection.itemId);
    await settle();
    expect(poller.pausedUntil).toBe(T0 + 7000);
    h.clock.advance(6999);
    await settle();
    expect(calls).toEqual([0]);
    h.clock.advance(1);
    await done;
    expect(calls).toEqual([0, 7000]);
    expect(h.state()).toBe('syncable.syncing');
    expect(poller.stats()).toEqual(expect.objectContaining({ rateLimited: 1 }));
  });

  test("pluggy-sdk's bare 429 body (no headers) waits the default 60 s", async () => {
    const h = harness();
    let calls = 0;
    const poller = createPoller({
      clock: h.clock,
      fetchItem: async () => {
        calls++;
        if (calls === 1) throw { code: 429, message: 'Too many requests. Please try again later (see Retry-After header in seconds)' };
        return itemJson('UPDATED', 'SUCCESS', T0 + 500);
      },
    });
    poller.attach(h.connection);
    const done = poller.fetch(h.connection.itemId);
    await settle();
    expect(poller.pausedUntil).toBe(T0 + 60_000);
    h.clock.advance(60_000);
    await done;
    expect(calls).toBe(2);
  });

  test('other failures are reported and leave the connection as it was', async () => {
    const h = harness();
    const errors: unknown[] = [];
    const poller = createPoller({ clock: h.clock, fetchItem: async () => Promise.reject(new Error('socket hang up')), onError: (error) => errors.push(error) });
    poller.attach(h.connection);
    h.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    await poller.fetch(h.connection.itemId);
    expect(h.state()).toBe('pending.waiting');
    expect((errors[0] as Error).message).toBe('socket hang up');
  });

  test('stop() ends a fetch paused by a 429: it sends nothing more, even when the pause would have ended', async () => {
    const h = harness();
    let calls = 0;
    const poller = createPoller({
      clock: h.clock,
      fetchItem: async () => {
        calls++;
        throw { code: 429, message: 'Too many requests' };
      },
    });
    poller.attach(h.connection);
    const done = poller.fetch(h.connection.itemId);
    await settle();
    expect(poller.pausedUntil).toBe(T0 + 60_000);
    poller.stop();
    await done;
    expect(poller.stats().inFlight).toBe(0);
    h.clock.advance(120_000);
    await settle();
    expect(calls).toBe(1);
    expect(h.clock.pendingCount).toBe(0);
  });

  test('stop() releases fetches waiting for a slot', async () => {
    const h = harness();
    const release: Array<() => void> = [];
    let calls = 0;
    const poller = createPoller({
      clock: h.clock,
      maxConcurrent: 1,
      fetchItem: (itemId) =>
        new Promise((resolve) => {
          calls++;
          release.push(() => resolve(itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0 + 1000, { id: itemId })));
        }),
    });
    const first = poller.fetch('item-a');
    const second = poller.fetch('item-b');
    await settle();
    expect(calls).toBe(1);
    poller.stop();
    await second;
    release.shift()!();
    await first;
    expect(calls).toBe(1);
  });
});
