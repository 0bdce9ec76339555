/**
 * What every store (memory, SQLite, PostgreSQL) must do for the durable processor: one
 * transaction per batch, dedupe by eventId for at least 3 h 15 min, timers stored as due times,
 * effects delivered at least once with a stable key, and unreadable rows set aside with a clear
 * error while the rest goes on.
 */
import { createDispatcher, createProcessor, encodeConnection, MACHINE_VERSION, type Attempt, type ConnectionStore, type StoreTransaction } from '../src/durable';
import { applyEvent, startConnection } from '../src/durable/step';
import { parseItem } from '../src';
import { DEDUPE_TTL_MS } from '../src/drivers';
import { harness, ITEM_ID, itemJson, T0 } from './support';
import { manualClock, storeKinds, type StoreKind } from './support/stores';

const OTHER_ID = '7c1e0d2a-3b4c-4d5e-8f60-718293a4b5c6';
const MINUTE = 60_000;

const snapshot = (status: string, executionStatus: string, updatedAt: number, extra: Record<string, unknown> = {}) =>
  ({ type: 'SNAPSHOT', item: itemJson(status, executionStatus, updatedAt, extra) }) as const;
const webhook = (eventId: string, itemId = ITEM_ID, event = 'item/updated') => ({ type: 'WEBHOOK', payload: { event, eventId, itemId } }) as const;

/** A stored row written as another writer would have left it. */
async function writeRow(store: ConnectionStore, itemId: string, row: { snapshot: string; version?: number; nextDue?: number | null; state?: string }) {
  await store.transaction(async (tx) => {
    await tx.save([
      {
        itemId,
        machine: 'connection',
        version: row.version ?? MACHINE_VERSION,
        state: row.state ?? 'pending.waiting',
        snapshot: row.snapshot,
        seq: 3,
        nextDue: row.nextDue ?? null,
        updatedAt: T0,
        created: true,
      },
    ]);
  });
}

describe.each(storeKinds().map((kind) => [kind.name, kind] as const))('the %s store', (_name, kind: StoreKind) => {
  let store: ConnectionStore;
  beforeEach(async () => {
    store = await kind.open();
  });
  afterEach(async () => {
    await store.close();
  });
  afterAll(() => kind.cleanup());

  test('an event is applied, saved with its machine id and version, and its effects wait in the outbox under stable keys', async () => {
    const processor = createProcessor({ store, clock: manualClock(T0) });
    const outcome = await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATED', 'SUCCESS', T0) });
    expect(outcome).toEqual(
      expect.objectContaining({
        kind: 'applied',
        state: 'syncable.syncing',
        seq: 1,
        changed: true,
        effects: [{ key: `${ITEM_ID}:1:0`, itemId: ITEM_ID, effect: { type: 'sync', itemId: ITEM_ID, attempt: 0 } }],
      }),
    );
    const row = await store.get(ITEM_ID);
    expect(row).toEqual(expect.objectContaining({ itemId: ITEM_ID, machine: 'connection', version: MACHINE_VERSION, state: 'syncable.syncing', seq: 1, nextDue: null, error: null }));
    expect(await store.counts()).toEqual({ connections: 1, outbox: 1, dedupe: 0, quarantine: 0 });
    expect(await processor.get(ITEM_ID)).toEqual(expect.objectContaining({ itemId: ITEM_ID, state: 'syncable.syncing', phase: 'syncable', canSync: true, status: 'active', rule: 'R15', seq: 1 }));
  });

  test('a webhook Pluggy retries within 3 h 15 min is a duplicate; once the window is over and pruned, the id is new again', async () => {
    const clock = manualClock(T0);
    const processor = createProcessor({ store, clock, connections: { mode: 'push' } });
    const first = await processor.process({ itemId: ITEM_ID, command: webhook('retried-1') });
    expect(first).toEqual(expect.objectContaining({ kind: 'applied', effects: [expect.objectContaining({ effect: { type: 'fetch', itemId: ITEM_ID, reason: 'webhook' } })] }));
    clock.set(T0 + DEDUPE_TTL_MS - MINUTE);
    expect(await processor.process({ itemId: ITEM_ID, command: webhook('retried-1') })).toEqual({ kind: 'duplicate', itemId: ITEM_ID, eventId: 'retried-1' });
    expect(await processor.pruneSeen()).toBe(0);
    clock.set(T0 + DEDUPE_TTL_MS + MINUTE);
    expect(await processor.pruneSeen()).toBe(1);
    expect(await processor.process({ itemId: ITEM_ID, command: webhook('retried-1') })).toEqual(expect.objectContaining({ kind: 'applied', seq: 2 }));
    expect((await store.counts()).outbox).toBe(2);
  });

  test('the same eventId twice in one batch is applied once', async () => {
    const processor = createProcessor({ store, clock: manualClock(T0) });
    const outcomes = await processor.processBatch([
      { itemId: ITEM_ID, command: webhook('twice') },
      { itemId: ITEM_ID, command: webhook('twice') },
    ]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['applied', 'duplicate']);
  });

  test('a timer fires at its due time; a timer its state left behind never fires', async () => {
    const processor = createProcessor({ store, clock: manualClock(T0) });
    await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATING', 'LOGIN_IN_PROGRESS', T0), at: T0 });
    expect((await store.get(ITEM_ID))?.nextDue).toBe(T0 + 2000);
    expect(await processor.fireDueTimers(T0 + 1999)).toEqual([]);
    const fired = await processor.fireDueTimers(T0 + 2000);
    expect(fired).toEqual([
      { itemId: ITEM_ID, fired: 1, state: 'pending.waiting', effects: [{ key: `${ITEM_ID}:2:0`, itemId: ITEM_ID, effect: { type: 'fetch', itemId: ITEM_ID, reason: 'poll' } }] },
    ]);
    expect((await store.get(ITEM_ID))?.nextDue).toBe(T0 + 5000);
    // The execution ends before the next poll: leaving `pending` cancels the poll and the stall budget.
    await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATED', 'SUCCESS', T0 + 3000), at: T0 + 3000 });
    expect((await store.get(ITEM_ID))?.nextDue).toBeNull();
    expect(await processor.fireDueTimers(T0 + 60 * MINUTE)).toEqual([]);
    expect((await processor.get(ITEM_ID))?.state).toBe('syncable.syncing');
  });

  test('timers the worker has not fired yet fire before a later event, in order, as on a live connection', async () => {
    const processor = createProcessor({ store, clock: manualClock(T0) });
    await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATING', 'LOGIN_IN_PROGRESS', T0), at: T0 });
    const outcome = await processor.process({ itemId: ITEM_ID, command: webhook('late-1'), at: T0 + 10_000 });

    const live = harness();
    live.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    live.clock.advanceTo(T0 + 10_000);
    live.connection.send(webhook('late-1'));

    expect(outcome.kind === 'applied' && outcome.fired).toBe(3);
    expect(outcome.kind === 'applied' && outcome.effects.map((delivery) => delivery.effect)).toEqual(live.effects);
    expect(outcome.kind === 'applied' && outcome.effects.map((delivery) => delivery.key)).toEqual([2, 3, 4, 5].map((seq) => `${ITEM_ID}:${seq}:0`));
  });

  test('the dispatcher delivers every effect with its key, retries a failed delivery later, and empties the outbox', async () => {
    const clock = manualClock(T0);
    const processor = createProcessor({ store, clock });
    await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATED', 'SUCCESS', T0) });
    await processor.process({ itemId: OTHER_ID, command: snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS', T0, { id: OTHER_ID }) });
    const delivered: Attempt[] = [];
    let failOnce = true;
    const errors: unknown[] = [];
    const dispatcher = createDispatcher({
      store,
      clock,
      onError: (error) => errors.push(error),
      deliver: (attempt) => {
        if (attempt.itemId === OTHER_ID && failOnce) {
          failOnce = false;
          throw new Error('the notification service is down');
        }
        delivered.push(attempt);
      },
    });
    expect(await dispatcher.drain()).toEqual({ delivered: 1, failed: 1, quarantined: 0 });
    expect(errors).toEqual([new Error('the notification service is down')]);
    expect(await dispatcher.drain()).toEqual({ delivered: 0, failed: 0, quarantined: 0 });
    clock.advance(1_000);
    expect(await dispatcher.drain()).toEqual({ delivered: 1, failed: 0, quarantined: 0 });
    expect(delivered).toEqual([
      { key: `${ITEM_ID}:1:0`, itemId: ITEM_ID, attempt: 1, effect: { type: 'sync', itemId: ITEM_ID, attempt: 0 } },
      { key: `${OTHER_ID}:1:0`, itemId: OTHER_ID, attempt: 2, effect: expect.objectContaining({ type: 'reconnectRequired', remedy: 'updateCredentials' }) },
    ]);
    expect((await store.counts()).outbox).toBe(0);
  });

  test('an effect claimed by a dispatcher that died is delivered again, under the same key, once its lease ends', async () => {
    const clock = manualClock(T0);
    const processor = createProcessor({ store, clock });
    await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATED', 'SUCCESS', T0) });
    // A dispatcher claims the row, then its process dies before delivering.
    expect(await store.claimOutbox(10, T0, T0 + 30_000)).toHaveLength(1);
    const delivered: Attempt[] = [];
    const dispatcher = createDispatcher({ store, clock, leaseMs: 30_000, deliver: (attempt) => void delivered.push(attempt) });
    clock.set(T0 + 29_999);
    expect(await dispatcher.drain()).toEqual({ delivered: 0, failed: 0, quarantined: 0 });
    clock.set(T0 + 30_000);
    expect(await dispatcher.drain()).toEqual({ delivered: 1, failed: 0, quarantined: 0 });
    expect(delivered).toEqual([expect.objectContaining({ key: `${ITEM_ID}:1:0`, attempt: 2 })]);
  });

  test('an effect that keeps failing is quarantined after the last attempt, with the reason, and the others are delivered', async () => {
    const clock = manualClock(T0);
    const processor = createProcessor({ store, clock });
    await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATED', 'SUCCESS', T0) });
    await processor.process({ itemId: OTHER_ID, command: snapshot('UPDATED', 'SUCCESS', T0, { id: OTHER_ID }) });
    const delivered: string[] = [];
    const dispatcher = createDispatcher({
      store,
      clock,
      maxAttempts: 3,
      retryDelayMs: () => 10,
      onError: () => undefined,
      deliver: ({ key, itemId }) => {
        if (itemId === ITEM_ID) throw new Error('rejected by the host');
        delivered.push(key);
      },
    });
    for (let round = 0; round < 3; round++) {
      await dispatcher.drain();
      clock.advance(10);
    }
    expect(delivered).toEqual([`${OTHER_ID}:1:0`]);
    expect(await store.counts()).toEqual(expect.objectContaining({ outbox: 0, quarantine: 1 }));
    const [kept] = await store.listQuarantine({ limit: 10 });
    expect(kept).toEqual(expect.objectContaining({ kind: 'effect', itemId: ITEM_ID, eventId: `${ITEM_ID}:1:0`, error: `gave up delivering ${ITEM_ID}:1:0 after 3 attempts: rejected by the host` }));
    expect(JSON.parse(kept!.payload!)).toEqual({ type: 'sync', itemId: ITEM_ID, attempt: 0 });
  });

  test('an unreadable outbox row is quarantined, and the next ones are delivered', async () => {
    const clock = manualClock(T0);
    await store.transaction(async (tx) => {
      await tx.enqueue([
        { key: 'bad:1:0', itemId: 'bad', effect: '{"type":', createdAt: T0 },
        { key: `${ITEM_ID}:1:0`, itemId: ITEM_ID, effect: JSON.stringify({ type: 'fetch', itemId: ITEM_ID, reason: 'poll' }), createdAt: T0 },
      ]);
    });
    const delivered: string[] = [];
    const report = await createDispatcher({ store, clock, deliver: ({ key }) => void delivered.push(key) }).drain();
    expect(report).toEqual({ delivered: 1, failed: 0, quarantined: 1 });
    expect(delivered).toEqual([`${ITEM_ID}:1:0`]);
    const [kept] = await store.listQuarantine({ limit: 10 });
    expect(kept).toEqual(expect.objectContaining({ kind: 'effect', itemId: 'bad', error: expect.stringMatching(/^outbox row bad:1:0: .*JSON/) }));
  });

  test('a corrupt row is quarantined with what was expected and what was received, and the other events of the batch go on', async () => {
    await writeRow(store, OTHER_ID, { snapshot: '{"value":{"pending":' });
    const processor = createProcessor({ store, clock: manualClock(T0) });
    const outcomes = await processor.processBatch([
      { itemId: OTHER_ID, command: webhook('to-corrupt', OTHER_ID) },
      { itemId: ITEM_ID, command: snapshot('UPDATED', 'SUCCESS', T0) },
    ]);
    expect(outcomes[0]).toEqual(expect.objectContaining({ kind: 'quarantined', itemId: OTHER_ID, eventId: 'to-corrupt' }));
    const error = outcomes[0]!.kind === 'quarantined' ? outcomes[0]!.error.message : '';
    expect(error).toMatch(/^invalid persisted snapshot: snapshot: expected the JSON of a stored connection snapshot, received malformed JSON \(.+\)$/);
    expect(outcomes[1]).toEqual(expect.objectContaining({ kind: 'applied', state: 'syncable.syncing' }));

    // The event is kept, and so is a copy of the row as it was found (the row stays, flagged).
    const [kept, row] = await store.listQuarantine({ limit: 10 });
    expect(kept).toEqual(expect.objectContaining({ kind: 'event', itemId: OTHER_ID, eventId: 'to-corrupt', error }));
    expect(JSON.parse(kept!.payload!)).toEqual({ itemId: OTHER_ID, command: webhook('to-corrupt', OTHER_ID) });
    expect(row).toEqual(expect.objectContaining({ kind: 'connection', itemId: OTHER_ID, eventId: null, error }));
    expect(JSON.parse(row!.payload!)).toEqual({ itemId: OTHER_ID, machine: 'connection', version: MACHINE_VERSION, seq: 3, state: 'pending.waiting', snapshot: '{"value":{"pending":' });
    expect(await store.get(OTHER_ID)).toEqual(expect.objectContaining({ error, nextDue: null, snapshot: '{"value":{"pending":' }));
    expect(await processor.get(OTHER_ID)).toEqual(expect.objectContaining({ itemId: OTHER_ID, error }));
    // The retry of the same webhook is recognised: it is not kept twice. A later event is kept; the row is copied once.
    expect(await processor.process({ itemId: OTHER_ID, command: webhook('to-corrupt', OTHER_ID) })).toEqual(expect.objectContaining({ kind: 'duplicate' }));
    expect(await processor.process({ itemId: OTHER_ID, command: webhook('later', OTHER_ID) })).toEqual(expect.objectContaining({ kind: 'quarantined', eventId: 'later' }));
    expect((await store.listQuarantine({ limit: 10 })).map((entry) => entry.kind)).toEqual(['event', 'connection', 'event']);
  });

  test('a row with a context field of the wrong type is quarantined naming the field', async () => {
    const good = encodeConnection(startConnection({ itemId: OTHER_ID, now: T0 }).snapshot);
    await writeRow(store, OTHER_ID, { snapshot: good.snapshot.replace('"clock":', '"clock":"soon","was":') });
    const outcome = await createProcessor({ store, clock: manualClock(T0) }).process({ itemId: OTHER_ID, command: webhook('w', OTHER_ID) });
    expect(outcome.kind === 'quarantined' && outcome.error.message).toBe('invalid persisted snapshot: snapshot.context.clock: expected epoch milliseconds, received the string "soon"');
  });

  test('a row written by version 1 has its due timer fired, and is rewritten in the current version', async () => {
    const waiting = applyEvent(startConnection({ itemId: OTHER_ID, now: T0 }).snapshot, {
      type: 'SNAPSHOT',
      item: parseItem(itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0, { id: OTHER_ID })),
      at: T0,
    }).snapshot;
    const written = encodeConnection(waiting);
    await writeRow(store, OTHER_ID, { snapshot: written.snapshot, version: 1, nextDue: written.nextDue });
    const processor = createProcessor({ store, clock: manualClock(T0) });
    const fired = await processor.fireDueTimers(T0 + 2000);
    expect(fired).toEqual([expect.objectContaining({ itemId: OTHER_ID, fired: 1, effects: [expect.objectContaining({ effect: { type: 'fetch', itemId: OTHER_ID, reason: 'poll' } })] })]);
    expect(await store.get(OTHER_ID)).toEqual(expect.objectContaining({ version: MACHINE_VERSION, state: 'pending.waiting', error: null }));
  });

  test('a row of an unknown machine version is set aside untouched: the event is quarantined, the row is not rewritten, its timers are not claimed', async () => {
    const written = encodeConnection(startConnection({ itemId: OTHER_ID, now: T0 }).snapshot);
    await writeRow(store, OTHER_ID, { snapshot: written.snapshot, version: 99, nextDue: T0 });
    const processor = createProcessor({ store, clock: manualClock(T0) });
    const outcome = await processor.process({ itemId: OTHER_ID, command: webhook('v99', OTHER_ID) });
    expect(outcome.kind === 'quarantined' && outcome.error.message).toBe('invalid persisted snapshot: version: expected version 1 or 2 of the connection machine, received the number 99');
    expect(await processor.fireDueTimers(T0 + 60 * MINUTE)).toEqual([]);
    expect(await store.get(OTHER_ID)).toEqual(expect.objectContaining({ version: 99, snapshot: written.snapshot, nextDue: T0, error: null, seq: 3 }));
    expect(await store.listQuarantine({ limit: 10 })).toEqual([expect.objectContaining({ kind: 'event', itemId: OTHER_ID, eventId: 'v99' })]);
  });

  test('a corrupt row whose timer falls due is quarantined once; the timer worker goes on with the others', async () => {
    await writeRow(store, OTHER_ID, { snapshot: '{"value":"pending","context":null}', nextDue: T0 });
    const processor = createProcessor({ store, clock: manualClock(T0) });
    await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATING', 'LOGIN_IN_PROGRESS', T0), at: T0 });
    const fired = await processor.fireDueTimers(T0 + 2000);
    expect(fired).toEqual([
      expect.objectContaining({ itemId: OTHER_ID, fired: 0, error: expect.objectContaining({ message: 'invalid persisted snapshot: snapshot: expected an object { value, context } written by the durable processor, received an object' }) }),
      expect.objectContaining({ itemId: ITEM_ID, fired: 1 }),
    ]);
    expect(await processor.fireDueTimers(T0 + 2000)).toEqual([]);
    expect(await store.listQuarantine({ limit: 10 })).toEqual([expect.objectContaining({ kind: 'connection', itemId: OTHER_ID }), expect.objectContaining({ kind: 'timer', itemId: OTHER_ID })]);
  });

  test('a rejected input is kept with its error, creates no connection, and its retry is not kept twice', async () => {
    const processor = createProcessor({ store, clock: manualClock(T0) });
    const bad = { itemId: ITEM_ID, command: snapshot('PARTIAL_SUCCESS', 'SUCCESS', T0), eventId: 'bad-1' };
    const outcome = await processor.process(bad);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.error.message).toMatch(/status: PARTIAL_SUCCESS is an executionStatus, not a status/);
    expect(await store.get(ITEM_ID)).toBeUndefined();
    expect(await processor.process(bad)).toEqual({ kind: 'duplicate', itemId: ITEM_ID, eventId: 'bad-1' });
    const kept = await store.listQuarantine({ limit: 10 });
    expect(kept).toEqual([expect.objectContaining({ kind: 'input', itemId: ITEM_ID, eventId: 'bad-1' })]);
    expect(JSON.parse(kept[0]!.payload!)).toEqual(bad);
    expect(await processor.process({ itemId: '', command: { type: 'RECONNECT' } })).toEqual(
      expect.objectContaining({ kind: 'rejected', error: expect.objectContaining({ message: "invalid event: itemId: expected the Pluggy item's id (a non-empty string), received the string \"\"" }) }),
    );
  });

  test('a transaction that fails leaves nothing behind, and applying the event again gives the same outbox keys', async () => {
    let failures = 1;
    const failing: ConnectionStore = {
      ...store,
      transaction: (work) =>
        store.transaction((tx) =>
          work({
            ...tx,
            enqueue: async (entries) => {
              await tx.enqueue(entries);
              if (failures-- > 0) throw new Error('the disk is full');
            },
          } satisfies StoreTransaction),
        ),
    };
    const processor = createProcessor({ store: failing, clock: manualClock(T0) });
    const event = { itemId: ITEM_ID, command: webhook('once') };
    await expect(processor.process(event)).rejects.toThrow('the disk is full');
    expect(await store.counts()).toEqual({ connections: 0, outbox: 0, dedupe: 0, quarantine: 0 });
    expect(await processor.process(event)).toEqual(expect.objectContaining({ kind: 'applied', seq: 1, effects: [expect.objectContaining({ key: `${ITEM_ID}:1:0` })] }));
  });

  test('concurrent calls share transactions and keep their order', async () => {
    let transactions = 0;
    const counting: ConnectionStore = { ...store, transaction: (work) => (transactions++, store.transaction(work)) };
    const processor = createProcessor({ store: counting, clock: manualClock(T0) });
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, index) => processor.process({ itemId: ITEM_ID, command: webhook(`burst-${index}`) })));
    expect(outcomes.map((outcome) => outcome.kind === 'applied' && outcome.seq)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    expect(transactions).toBeLessThan(40);
  });

  test('stored snapshots stay small', async () => {
    const processor = createProcessor({ store, clock: manualClock(T0) });
    const expiresAt = new Date(T0 + 5 * MINUTE).toISOString();
    await processor.processBatch([
      { itemId: ITEM_ID, command: snapshot('UPDATING', 'LOGIN_IN_PROGRESS', T0), at: T0 },
      ...Array.from({ length: 20 }, (_, index) => ({ itemId: ITEM_ID, command: webhook(`small-${index}`), at: T0 + index })),
      { itemId: ITEM_ID, command: snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', T0 + 1000, { parameter: { name: 'token', expiresAt } }), at: T0 + 1000 },
      { itemId: OTHER_ID, command: snapshot('UPDATED', 'PARTIAL_SUCCESS', T0, { id: OTHER_ID, connector: { id: 601, name: 'Itaú', isOpenFinance: true } }) },
      { itemId: OTHER_ID, command: { type: 'SYNC_DONE', accounts: 0 } },
    ]);
    const rows = await store.list({ limit: 10 });
    expect(rows.map((row) => row.state)).toEqual(expect.arrayContaining(['awaitingUser.input', 'syncable.accountsPending']));
    for (const row of rows) expect(row.snapshot.length).toBeLessThanOrEqual(512);
  });

  if (kind.reopen) {
    test('a restarted store keeps connections, timers and the dedupe window', async () => {
      const processor = createProcessor({ store, clock: manualClock(T0) });
      await processor.process({ itemId: ITEM_ID, command: snapshot('UPDATING', 'LOGIN_IN_PROGRESS', T0), at: T0 });
      await processor.process({ itemId: ITEM_ID, command: webhook('before-restart'), at: T0 });
      await store.close();
      store = await kind.reopen!();
      const restarted = createProcessor({ store, clock: manualClock(T0) });
      expect(await restarted.process({ itemId: ITEM_ID, command: webhook('before-restart'), at: T0 })).toEqual(expect.objectContaining({ kind: 'duplicate' }));
      expect(await restarted.fireDueTimers(T0 + 2000)).toEqual([expect.objectContaining({ itemId: ITEM_ID, fired: 1, effects: [expect.objectContaining({ key: `${ITEM_ID}:3:0` })] })]);
    });
  }
});
