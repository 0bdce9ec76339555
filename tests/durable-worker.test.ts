/** The background loop of a service: it fires due timers, delivers the outbox, prunes old eventIds, and survives a failing round. */
import { createDispatcher, createMemoryStore, createProcessor, startWorker, type Attempt, type ConnectionStore } from '../src/durable';
import { DEDUPE_TTL_MS } from '../src/drivers';
import { ITEM_ID, itemJson, T0 } from './support';
import { manualClock } from './support/stores';

const HOUR = 3_600_000;

test('each round fires the timers that fell due and delivers their effects', async () => {
  const clock = manualClock(T0);
  const store = createMemoryStore();
  const processor = createProcessor({ store, clock });
  const delivered: Attempt[] = [];
  const dispatcher = createDispatcher({ store, clock, deliver: (attempt) => void delivered.push(attempt) });
  await processor.process({ itemId: ITEM_ID, command: { type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) } });
  // Rounds run when asked (the interval is long): the first one starts at once.
  const worker = startWorker({ processor, dispatcher, intervalMs: HOUR });
  await worker.tick();
  expect(delivered).toEqual([]);
  clock.set(T0 + 2000);
  await worker.tick();
  expect(delivered).toEqual([{ key: `${ITEM_ID}:2:0`, itemId: ITEM_ID, attempt: 1, effect: { type: 'fetch', itemId: ITEM_ID, reason: 'poll' } }]);
  await worker.stop();
});

test('a round that fails is reported and the next one goes on', async () => {
  const clock = manualClock(T0);
  const inner = createMemoryStore();
  let failures = 1;
  const store: ConnectionStore = {
    ...inner,
    transaction: (work) => (failures-- > 0 ? Promise.reject(new Error('the database restarted')) : inner.transaction(work)),
  };
  const processor = createProcessor({ store, clock });
  const errors: unknown[] = [];
  const worker = startWorker({ processor, intervalMs: HOUR, onError: (error) => errors.push(error) });
  await worker.tick();
  expect(errors).toEqual([new Error('the database restarted')]);
  await processor.process({ itemId: ITEM_ID, command: { type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) } });
  clock.set(T0 + 2000);
  await worker.tick();
  expect(errors).toHaveLength(1);
  expect(await inner.counts()).toEqual(expect.objectContaining({ outbox: 1 }));
  await worker.stop();
});

test('old eventIds are pruned once the dedupe window is over', async () => {
  const clock = manualClock(T0);
  const store = createMemoryStore();
  const processor = createProcessor({ store, clock });
  await processor.process({ itemId: ITEM_ID, command: { type: 'WEBHOOK', payload: { event: 'item/updated', eventId: 'old', itemId: ITEM_ID } } });
  clock.set(T0 + DEDUPE_TTL_MS + 1);
  const worker = startWorker({ processor, intervalMs: HOUR, pruneEveryMs: 0 });
  await worker.tick();
  expect((await store.counts()).dedupe).toBe(0);
  await worker.stop();
});
