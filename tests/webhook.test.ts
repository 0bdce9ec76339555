/** The webhook receiver over real HTTP: node http, Express and Fastify. */
import express from 'express';
import Fastify from 'fastify';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createMemoryStore, createProcessor, type ConnectionStore } from '../src/durable';
import { createWebhookHandler, routeToConnections, type WebhookReceiverOptions } from '../src/drivers/webhook';
import type { WebhookPayload } from '../src';
import { harness, ITEM_ID } from './support';

const SECRET = { header: 'X-Pluggy-Secret', value: 'correct horse battery staple' };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function nodeServer(options: Partial<WebhookReceiverOptions> & Pick<WebhookReceiverOptions, 'onEvent'>) {
  const handler = createWebhookHandler({ secret: SECRET, onError: () => undefined, ...options });
  const server: Server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function post(url: string, body: unknown, headers: Record<string, string> = { [SECRET.header]: SECRET.value }) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

const updated = (eventId = 'evt-1') => ({ event: 'item/updated', eventId, id: eventId, itemId: ITEM_ID, triggeredBy: 'SYNC' });
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('the webhook receiver (node http)', () => {
  test('a valid event is answered 200 and then handed on', async () => {
    const events: WebhookPayload[] = [];
    const url = await nodeServer({ onEvent: (payload) => void events.push(payload) });
    const response = await post(url, updated());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    await nextTick();
    expect(events.map((event) => event.eventId)).toEqual(['evt-1']);
  });

  test('answers before doing the work', async () => {
    let release: () => void = () => undefined;
    const started: number[] = [];
    const url = await nodeServer({
      onEvent: () => {
        started.push(Date.now());
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const response = await post(url, updated());
    expect(response.status).toBe(200);
    await nextTick();
    expect(started).toHaveLength(1);
    release();
  });

  test.each([
    ['a missing secret header', {}],
    ['a wrong secret', { [SECRET.header]: 'guess' }],
    ['a secret of another length', { [SECRET.header]: 'x' }],
  ])('%s is refused with 401 and nothing is handed on', async (_name, headers) => {
    const events: WebhookPayload[] = [];
    const url = await nodeServer({ onEvent: (payload) => void events.push(payload) });
    const response = await post(url, updated(), headers as Record<string, string>);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toContain('X-Pluggy-Secret');
    await nextTick();
    expect(events).toEqual([]);
  });

  test('an oversized body is refused with 413', async () => {
    const events: WebhookPayload[] = [];
    const url = await nodeServer({ onEvent: (payload) => void events.push(payload), maxBodyBytes: 1024 });
    const response = await post(url, { ...updated(), padding: 'x'.repeat(5000) });
    expect(response.status).toBe(413);
    expect(events).toEqual([]);
  });

  test.each([
    ['malformed JSON', '{"event": "item/updated",'],
    ['a missing eventId', { event: 'item/updated', itemId: ITEM_ID }],
    ['an item event without itemId', { event: 'item/error', eventId: 'e' }],
    ['an array', []],
  ])('%s gets 400 naming the problem, and changes nothing', async (_name, body) => {
    const h = harness({ mode: 'push' });
    const url = await nodeServer({ onEvent: routeToConnections(() => h.connection) });
    const response = await post(url, body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^invalid webhook: /);
    await nextTick();
    expect(h.effects).toEqual([]);
    expect(h.state()).toBe('unknown.unobserved');
  });

  test('a redelivered eventId is acknowledged but handed on once', async () => {
    const events: WebhookPayload[] = [];
    const url = await nodeServer({ onEvent: (payload) => void events.push(payload) });
    await post(url, updated('same'));
    const again = await post(url, updated('same'));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    await nextTick();
    expect(events).toHaveLength(1);
  });

  test('events this release does not handle are acknowledged without failing', async () => {
    const h = harness({ mode: 'push' });
    const others: string[] = [];
    const url = await nodeServer({ onEvent: routeToConnections(() => h.connection, (payload) => others.push(payload.event)) });
    const response = await post(url, { event: 'payment_intent/created', eventId: 'p1', paymentIntentId: 'pi' });
    expect(response.status).toBe(200);
    await post(url, { event: 'connector/status_updated', eventId: 'c1', data: { status: 'ONLINE' } });
    await nextTick();
    expect(others).toEqual(['payment_intent/created', 'connector/status_updated']);
    expect(h.effects).toEqual([]);
  });

  test('item events reach their connection: a fetch, or the end on item/deleted', async () => {
    const h = harness({ mode: 'push' });
    const url = await nodeServer({ onEvent: routeToConnections((itemId) => (itemId === ITEM_ID ? h.connection : undefined)) });
    await post(url, updated('u1'));
    await post(url, { ...updated('u2'), itemId: 'someone-else' });
    await nextTick();
    expect(h.types()).toEqual(['fetch']);
    await post(url, { event: 'item/deleted', eventId: 'd1', itemId: ITEM_ID });
    await nextTick();
    expect(h.state()).toBe('deleted');
  });

  test('GET is refused with 405', async () => {
    const url = await nodeServer({ onEvent: () => undefined });
    expect((await fetch(url)).status).toBe(405);
  });

  test('an onEvent that throws is reported and does not change the answer', async () => {
    const errors: unknown[] = [];
    const url = await nodeServer({
      onEvent: () => {
        throw new Error('handler bug');
      },
      onError: (error) => errors.push(error),
    });
    expect((await post(url, updated())).status).toBe(200);
    await nextTick();
    await nextTick();
    expect((errors[0] as Error).message).toBe('handler bug');
  });
});

describe('waitForEvent: answering once the event is handed on', () => {
  test('the 200 goes out only after onEvent has finished', async () => {
    const order: string[] = [];
    const url = await nodeServer({
      waitForEvent: true,
      onEvent: async (payload) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push(`stored ${payload.eventId}`);
      },
    });
    const response = await post(url, updated());
    order.push(`answered ${response.status}`);
    expect(await response.json()).toEqual({ ok: true });
    expect(order).toEqual(['stored evt-1', 'answered 200']);
  });

  test('a failed hand-off is answered 503, and Pluggy\'s retry of it is handed on again', async () => {
    const errors: unknown[] = [];
    const stored: string[] = [];
    let failures = 1;
    const url = await nodeServer({
      waitForEvent: true,
      onError: (error) => errors.push(error),
      onEvent: (payload) => {
        if (failures-- > 0) throw new Error('database is down');
        stored.push(payload.eventId);
      },
    });
    const first = await post(url, updated());
    expect(first.status).toBe(503);
    expect(await first.json()).toEqual({ error: 'the event was not handed on (database is down); deliver it again' });
    expect((errors[0] as Error).message).toBe('database is down');
    const retry = await post(url, updated());
    expect(retry.status).toBe(200);
    expect(stored).toEqual(['evt-1']);
    // Once handed on, a further delivery is a duplicate.
    expect(await (await post(url, updated())).json()).toEqual({ ok: true, duplicate: true });
    expect(stored).toEqual(['evt-1']);
  });

  test('a hand-off slower than timeoutMs is answered 503; its late failure is still reported', async () => {
    const errors: string[] = [];
    let fail: (error: Error) => void = () => undefined;
    const url = await nodeServer({
      waitForEvent: { timeoutMs: 30 },
      onError: (error) => errors.push((error as Error).message),
      onEvent: () => new Promise<void>((_, reject) => (fail = reject)),
    });
    const response = await post(url, updated());
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'the event was not handed on (onEvent did not finish within 30 ms); deliver it again' });
    fail(new Error('gave up'));
    await nextTick();
    expect(errors).toEqual(['onEvent did not finish within 30 ms', 'gave up']);
  });
});

test('with the durable processor: a webhook that arrives while the store fails is delivered again and applied once', async () => {
  const store = createMemoryStore();
  let down = true;
  const flaky: ConnectionStore = {
    ...store,
    transaction: (work) => (down ? Promise.reject(new Error('connection refused')) : store.transaction(work)),
  };
  const processor = createProcessor({ store: flaky, connections: { mode: 'push' } });
  const url = await nodeServer({
    waitForEvent: true,
    onEvent: async (payload) => {
      if (payload.itemId) await processor.process({ itemId: payload.itemId, command: { type: 'WEBHOOK', payload } });
    },
  });
  expect((await post(url, updated('evt-down'))).status).toBe(503);
  expect(await store.get(ITEM_ID)).toBeUndefined();
  down = false;
  expect((await post(url, updated('evt-down'))).status).toBe(200);
  expect(await store.get(ITEM_ID)).toEqual(expect.objectContaining({ seq: 1 }));
  expect(await (await post(url, updated('evt-down'))).json()).toEqual({ ok: true, duplicate: true });
  expect(await store.get(ITEM_ID)).toEqual(expect.objectContaining({ seq: 1 }));
});

describe('mounted in frameworks', () => {
  test('Express, with or without express.json()', async () => {
    const events: string[] = [];
    const app = express();
    const handler = createWebhookHandler({ secret: SECRET, onEvent: (payload) => void events.push(payload.eventId) });
    app.post('/raw', handler);
    app.post('/parsed', express.json(), handler);
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await post(`${base}/raw`, updated('a'))).status).toBe(200);
    expect((await post(`${base}/parsed`, updated('b'))).status).toBe(200);
    expect((await post(`${base}/parsed`, updated('c'), {})).status).toBe(401);
    expect((await post(`${base}/parsed`, { event: 'item/updated' })).status).toBe(400);
    await nextTick();
    expect(events).toEqual(['a', 'b']);
  });

  test('Fastify, through the raw request and reply', async () => {
    const events: string[] = [];
    const app = Fastify();
    const handler = createWebhookHandler({ secret: SECRET, onEvent: (payload) => void events.push(payload.eventId) });
    app.post('/webhooks/pluggy', (request, reply) => {
      reply.hijack();
      handler(Object.assign(request.raw, { body: request.body }), reply.raw);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const address = app.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${address.port}/webhooks/pluggy`;
    expect((await post(url, updated('f1'))).status).toBe(200);
    expect((await post(url, updated('f1'))).status).toBe(200);
    expect((await post(url, updated('f2'), { [SECRET.header]: 'nope' })).status).toBe(401);
    await nextTick();
    expect(events).toEqual(['f1']);
  });
});

test('the receiver loads on its own from pluggy-lifecycle/webhook (the built package)', () => {
  const out = execFileSync('node', ['-e', "const w = require('pluggy-lifecycle/webhook'); console.log(JSON.stringify([typeof w.createWebhookHandler, typeof w.routeToConnections, typeof w.memoryDedupeStore]))"], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
  });
  expect(JSON.parse(out)).toEqual(['function', 'function', 'function']);
});
