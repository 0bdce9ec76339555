/**
 * The inspector's browser UI, end to end: a real inspector server, live connections on simulated
 * clocks sending frames through the inspection client, and Debian's Chromium driven by
 * playwright-core. Every assertion waits for a condition; nothing sleeps on a fixed delay.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createInspector, type Inspector } from '../inspector/client';
import type { InspectorFrame } from '../inspector/protocol';
import { startInspectorServer, type InspectorServer } from '../inspector/server';
import { createConnection, SimulatedClock, type Connection } from '../src';
import { itemJson, T0 } from './support';
import { launchChromium, waitForSearch } from './support/browser';

jest.setTimeout(60_000);

const SCREENSHOTS = join(__dirname, '..', 'artifacts', 'screenshots');
const WAIT_MS = 10_000;

/**
 * The page's globals as the page functions below use them: this file compiles without the DOM
 * library, so functions run in the page cast `globalThis` to this.
 */
interface PageElement {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
  scrollTop: number;
  readonly scrollHeight: number;
  open?: boolean;
}
interface PageGlobals {
  readonly document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): { readonly length: number } };
  readonly __inspector?: {
    readonly ready: boolean;
    readonly settled: boolean;
    connections(): Array<{ itemId: string; state: string }>;
    view(): { context: Record<string, unknown>; state: string; steps: number; complete: boolean } | null;
  };
}

let browser: Browser;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

afterAll(async () => {
  await browser?.close();
});

/* ------------------------------------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------------------------------- */

async function startServer(options: { token?: string } = {}): Promise<InspectorServer> {
  const server = await startInspectorServer({ port: 0, ...options });
  cleanups.push(() => server.close());
  const page = await fetch(server.url);
  if (page.status === 404) {
    throw new Error('The inspector server does not find inspector/ui/index.html when it runs from source (ts-jest): its UI_DIR must also look next to server.ts.');
  }
  return server;
}

function inspectorFor(server: InspectorServer): Inspector {
  const inspector = createInspector({ url: server.ingestUrl });
  cleanups.push(() => inspector.close());
  return inspector;
}

/** A connection on its own simulated clock, inspected, with a snapshot helper like tests/support's harness. */
function connectionFor(inspector: Inspector, itemId: string) {
  const clock = new SimulatedClock(T0);
  // Events the root actor received: the UI has caught up when it shows as many.
  let events = 0;
  const inspect: Inspector['inspect'] = (event) => {
    if (event.type === '@xstate.event' && event.actorRef.sessionId === event.rootId) events++;
    inspector.inspect(event);
  };
  const connection: Connection = createConnection({ itemId, clock, inspect, onError: () => undefined });
  cleanups.push(() => connection.stop());
  let updatedAt = T0;
  return {
    itemId,
    clock,
    connection,
    snapshot(status: string, executionStatus: string, extra: Record<string, unknown> = {}) {
      updatedAt = Math.max(updatedAt + 1000, clock.now());
      const result = connection.send({ type: 'SNAPSHOT', item: { ...itemJson(status, executionStatus, updatedAt, extra), id: itemId } });
      if (!result.ok) throw result.error;
      return result;
    },
    state: () => connection.getState().value,
    events: () => events,
  };
}

type Item = ReturnType<typeof connectionFor>;

async function openPage(url: string, viewport = { width: 1600, height: 1000 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  cleanups.push(() => page.close());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  cleanups.push(() => expect(errors).toEqual([]));
  return page;
}

async function gotoInspector(page: Page, server: InspectorServer): Promise<void> {
  const response = await page.goto(server.url);
  expect(response?.status()).toBe(200);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__inspector?.ready === true, null, { timeout: WAIT_MS });
}

/** Polls an attribute in the page until it equals `expected`; fails with the last value seen. */
async function waitForAttribute(page: Page, what: string, selector: string, name: string, expected: string | null): Promise<void> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const value = await page.evaluate(([sel, attr]) => (globalThis as unknown as PageGlobals).document.querySelector(sel!)?.getAttribute(attr!) ?? null, [selector, name]);
    if (value === expected) return;
    if (Date.now() > until) throw new Error(`${what}: expected ${name}=${JSON.stringify(expected)} on ${selector}, still ${JSON.stringify(value)} after ${WAIT_MS} ms`);
    await page.waitForTimeout(25);
  }
}

const row = (itemId: string) => `[data-testid="connection-row"][data-item-id="${itemId}"]`;

async function selectConnection(page: Page, itemId: string): Promise<void> {
  await page.fill('[data-testid="search"]', itemId);
  await waitForSearch(page, itemId, WAIT_MS);
  await page.click(row(itemId));
  await page.fill('[data-testid="search"]', '');
  await page.waitForFunction((id) => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="detail-item-id"]')?.textContent === id, itemId, { timeout: WAIT_MS });
}

async function screenshot(page: Page, name: string): Promise<void> {
  // The chart glides to the active state: capture it where it comes to rest (a refused page has no inspector).
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__inspector?.settled !== false, null, { timeout: WAIT_MS });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** The keys of the transitions XState took for the last event of a connection, as the server recorded them. */
function lastTransitionKeys(server: InspectorServer, itemId: string): string[] {
  const frames = server.frames();
  const actor = frames.find((frame) => frame.kind === 'actor' && frame.actorId === `connection:${itemId}`);
  if (!actor) return [];
  const own = frames.filter((frame) => frame.rootId === actor.rootId && frame.origin === actor.origin);
  const lastEvent = own.map((frame) => frame.kind).lastIndexOf('event');
  return own
    .slice(lastEvent)
    .filter((frame): frame is Extract<InspectorFrame, { kind: 'microstep' }> => frame.kind === 'microstep')
    .flatMap((frame) => frame.transitions.map((transition) => transition.key));
}

/**
 * Waits until the UI has caught up with every event `item` received, then checks that it shows
 * the actor's state in the list row, the chart (active leaf) and the snapshot panel, and
 * highlights the transitions XState just took (those the chart draws).
 */
async function expectShown(page: Page, server: InspectorServer, item: Item): Promise<void> {
  const { itemId } = item;
  const events = item.events();
  const state = item.state();
  await page.waitForFunction(
    (count) => {
      const view = (globalThis as unknown as PageGlobals).__inspector?.view();
      return view !== null && view !== undefined && view.steps === count && view.complete;
    },
    events,
    { timeout: WAIT_MS },
  );
  await waitForAttribute(page, `list row of ${itemId}`, row(itemId), 'data-state', state);
  await waitForAttribute(page, 'active state in the chart', '[data-testid="active-state"]', 'data-state-path', state);
  await waitForAttribute(page, 'active state marked active', '[data-testid="active-state"]', 'data-active', 'true');
  await waitForAttribute(page, 'snapshot panel', '[data-testid="context-panel"]', 'data-state', state);
  const taken = lastTransitionKeys(server, itemId);
  const drawn = await page.$$eval('[data-testid="transition"], [data-testid="highlighted-transition"]', (edges) => edges.map((edge) => edge.getAttribute('data-transition-key')));
  const highlighted = await page.$$eval('[data-testid="highlighted-transition"]', (edges) => edges.map((edge) => edge.getAttribute('data-transition-key')));
  expect(new Set(highlighted)).toEqual(new Set(taken.filter((key) => drawn.includes(key))));
}

/* ------------------------------------------------------------------------------------------------
 * Tests
 * --------------------------------------------------------------------------------------------- */

describe('inspector UI', () => {
  test('shows a connection moving through its states as events arrive, in the list and the chart', async () => {
    const server = await startServer();
    const page = await openPage(server.url);
    await gotoInspector(page, server);
    const inspector = inspectorFor(server);
    const item = connectionFor(inspector, 'item-journey');

    await page.waitForSelector(row('item-journey'), { timeout: WAIT_MS });
    await selectConnection(page, 'item-journey');
    expect(item.state()).toBe('unknown.unobserved');
    await expectShown(page, server, item);
    await screenshot(page, '01-new-connection');

    item.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    expect(item.state()).toBe('pending.waiting');
    await expectShown(page, server, item);
    await screenshot(page, '02-pending');

    item.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', {
      parameter: { name: 'token', label: 'Token', type: 'text', expiresAt: new Date(T0 + 10 * 60_000).toISOString() },
    });
    expect(item.state()).toBe('awaitingUser.input');
    await expectShown(page, server, item);
    await screenshot(page, '03-awaiting-user');

    item.snapshot('UPDATED', 'SUCCESS');
    expect(item.state()).toBe('syncable.syncing');
    await expectShown(page, server, item);
    await screenshot(page, '04-syncable');

    item.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS', { error: { code: 'INVALID_CREDENTIALS', message: 'Invalid credentials' } });
    expect(item.state()).toBe('blocked.updateCredentials');
    await expectShown(page, server, item);
    await screenshot(page, '05-blocked');

    // The list row carries the phase colour of the state.
    expect(await page.getAttribute(row('item-journey'), 'data-phase')).toBe('blocked');
  });

  test("the state highlighted in the chart is the actor's state after every step", async () => {
    const server = await startServer();
    const page = await openPage(server.url);
    await gotoInspector(page, server);
    const inspector = inspectorFor(server);
    const item = connectionFor(inspector, 'item-steps');
    await page.waitForSelector(row('item-steps'), { timeout: WAIT_MS });
    await selectConnection(page, 'item-steps');

    const steps: Array<() => unknown> = [
      () => item.snapshot('UPDATING', 'LOGIN_IN_PROGRESS'),
      () => item.clock.advance(2_500), // a nextCheck timer fires: the self-transition is highlighted
      () => item.clock.advance(11 * 60_000), // the stall budget runs out
      () => item.snapshot('WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING', { userAction: { type: 'authorize-access', expiresAt: new Date(T0 + 60 * 60_000).toISOString() } }),
      () => item.snapshot('UPDATED', 'SUCCESS'),
      () => item.connection.send({ type: 'SYNC_DONE', accounts: 2 }),
      () => item.snapshot('OUTDATED', 'SITE_NOT_AVAILABLE'),
      () => item.connection.send({ type: 'RECONNECT' }),
    ];
    const seen: string[] = [];
    for (const step of steps) {
      step();
      seen.push(item.state());
      await expectShown(page, server, item);
    }
    expect(new Set(seen.map((state) => state.split('.')[0]))).toEqual(new Set(['pending', 'awaitingUser', 'syncable', 'blocked']));
    await screenshot(page, '06-after-steps');
  });

  test('scrubbing back shows the chart, state and context as they were; live returns to now', async () => {
    const server = await startServer();
    const page = await openPage(server.url);
    await gotoInspector(page, server);
    const inspector = inspectorFor(server);
    const item = connectionFor(inspector, 'item-scrub');
    item.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    item.snapshot('WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'token', expiresAt: new Date(T0 + 10 * 60_000).toISOString() } });
    item.snapshot('UPDATED', 'SUCCESS');
    item.snapshot('LOGIN_ERROR', 'INVALID_CREDENTIALS');
    await page.waitForSelector(row('item-scrub'), { timeout: WAIT_MS });
    await selectConnection(page, 'item-scrub');
    expect(item.state()).toBe('blocked.updateCredentials');
    await expectShown(page, server, item);

    // Click the log entry of the event that led to awaitingUser.input.
    await page.click('[data-testid="log-entry"][data-state="awaitingUser.input"]');
    await waitForAttribute(page, 'live button', '[data-testid="live-button"]', 'data-live', 'false');
    await waitForAttribute(page, 'chart after scrubbing', '[data-testid="active-state"]', 'data-state-path', 'awaitingUser.input');
    await waitForAttribute(page, 'context panel after scrubbing', '[data-testid="context-panel"]', 'data-state', 'awaitingUser.input');
    const view = await page.evaluate(() => (globalThis as unknown as PageGlobals).__inspector!.view());
    const then = server.frames().find(
      (frame): frame is Extract<InspectorFrame, { kind: 'snapshot' }> =>
        frame.kind === 'snapshot' && JSON.stringify(frame.value) === JSON.stringify({ awaitingUser: 'input' }),
    );
    expect(view?.context).toEqual(then?.context);
    // The context is the one of that moment, with what changed highlighted.
    expect(await page.textContent('[data-testid="context-tree"] [data-path="last.executionStatus"]')).toContain('"WAITING_USER_INPUT"');
    expect(await page.getAttribute('[data-testid="context-tree"] [data-path="last.executionStatus"]', 'data-diff')).toBe('changed');
    expect(await page.textContent('[data-testid="context-tree"] [data-path="rule"]')).toContain('"R9"');
    expect(await page.getAttribute('[data-testid="highlighted-transition"]', 'data-transition-key')).toMatch(/^\(machine\) SNAPSHOT #\d+$/);
    await screenshot(page, '07-scrubbed-to-awaiting-user');

    // The slider goes back to the very first event.
    await page.locator('[data-testid="scrubber"]').fill('0');
    await waitForAttribute(page, 'chart at the first event', '[data-testid="active-state"]', 'data-state-path', 'unknown.unobserved');
    // Expanding a log entry shows its payload.
    await page.click('[data-testid="log-entry"][data-state="pending.waiting"] [data-testid="log-expand"]');
    expect(await page.textContent('[data-testid="log-payload"]')).toContain('"LOGIN_IN_PROGRESS"');
    await screenshot(page, '08-scrubbed-to-start');

    // Events keep arriving while scrubbed: the view stays put until "live".
    item.connection.send({ type: 'RECONNECT' });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="log-entry"]').length === 6, null, { timeout: WAIT_MS });
    expect(await page.getAttribute('[data-testid="active-state"]', 'data-state-path')).toBe('unknown.unobserved');
    await page.click('[data-testid="live-button"]');
    await waitForAttribute(page, 'live button', '[data-testid="live-button"]', 'data-live', 'true');
    expect(item.state()).toBe('pending.waiting');
    await expectShown(page, server, item);
    await screenshot(page, '09-back-to-live');

    // The log filter keeps the events whose type, states, payload or effects match.
    // Each filter is waited for by the one entry it must leave: the list of the previous filter
    // can also hold a single entry until the page renders again.
    const filterLeaves = async (filter: string, state: string) => {
      await page.fill('[data-testid="log-filter"]', filter);
      await page.waitForFunction(
        (expected) => {
          const { document } = globalThis as unknown as PageGlobals;
          return document.querySelectorAll('[data-testid="log-entry"]').length === 1 && document.querySelector('[data-testid="log-entry"]')?.getAttribute('data-state') === expected;
        },
        state,
        { timeout: WAIT_MS },
      );
    };
    await filterLeaves('INVALID_CREDENTIALS', 'blocked.updateCredentials');
    await filterLeaves('userInputRequired', 'awaitingUser.input');
    await page.fill('[data-testid="log-filter"]', '');

    // A mark on the effects timeline takes the chart back to the event that emitted it.
    await page.click('[data-testid="tab-effects"]');
    await page.click('[data-testid="effect-mark"][data-effect-type="userInputRequired"]');
    await waitForAttribute(page, 'live button after a timeline click', '[data-testid="live-button"]', 'data-live', 'false');
    await waitForAttribute(page, 'chart at the userInputRequired effect', '[data-testid="active-state"]', 'data-state-path', 'awaitingUser.input');
    await screenshot(page, '09b-effects-timeline');
  });

  test('frames from @statelyai/inspect appear in the list, without a chart for an unknown machine', async () => {
    const server = await startServer();
    const page = await openPage(server.url);
    await gotoInspector(page, server);

    // @statelyai/inspect is ESM-only: run it in a child Node process.
    const dir = mkdtempSync(join(tmpdir(), 'inspector-ui-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'stately.mjs');
    writeFileSync(
      script,
      `const [inspectUrl, xstateUrl, url, framesUrl] = process.argv.slice(2);
const { createWebSocketInspector } = await import(inspectUrl);
const { createActor, createMachine } = await import(xstateUrl);
const inspector = createWebSocketInspector({ url });
const machine = createMachine({
  id: 'toggle',
  initial: 'off',
  context: { flips: 0 },
  states: { off: { on: { FLIP: { target: 'on' } } }, on: { on: { FLIP: { target: 'off' } } } },
});
const actor = createActor(machine, { id: 'stately-toggle', inspect: inspector.inspect });
actor.start();
for (let i = 0; i < 3; i++) actor.send({ type: 'FLIP' });
// The adapter converts on a timer and sends once its socket opens: exit once the server has it all
// (the actor, then an event and a snapshot for the start and each FLIP).
for (;;) {
  const frames = await (await fetch(framesUrl)).json();
  if (frames.filter((frame) => frame.origin === 'statelyai').length >= 9) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
inspector.stop();
process.exit(0);
`,
    );
    const inspectEntry = pathToFileURL(require.resolve('@statelyai/inspect')).href;
    const xstateEntry = pathToFileURL(require.resolve('xstate')).href;
    const framesUrl = new URL('/api/frames', server.url).href;
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [script, inspectEntry, xstateEntry, server.ingestUrl, framesUrl], { timeout: 15_000 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(),
      ),
    );

    await waitForAttribute(page, 'stately actor row', row('stately-toggle'), 'data-state', 'on');
    expect(await page.textContent(`${row('stately-toggle')} .row-badges`)).toContain('statelyai');
    await selectConnection(page, 'stately-toggle');
    await page.waitForSelector('[data-testid="chart-placeholder"]:not([hidden])', { timeout: WAIT_MS });
    expect(await page.textContent('[data-testid="placeholder-state"]')).toBe('on');
    expect(await page.isVisible('[data-testid="chart"]')).toBe(false);
    const events = await page.$$eval('[data-testid="log-entry"]', (rows) => rows.map((row) => row.getAttribute('data-event-type')));
    expect(events).toEqual(['xstate.init', 'FLIP', 'FLIP', 'FLIP']);
    expect(await page.getAttribute('[data-testid="context-panel"]', 'data-state')).toBe('on');
    await screenshot(page, '10-statelyai-actor');
  });

  test('redacted values never reach the page', async () => {
    const server = await startServer();
    const page = await openPage(server.url);
    const received: string[] = [];
    const bodies: Array<Promise<void>> = [];
    page.on('response', (response) => {
      received.push(response.url());
      bodies.push(response.text().then((body) => void received.push(body), () => undefined));
    });
    page.on('websocket', (socket) => socket.on('framereceived', (frame) => received.push(String(frame.payload))));
    await gotoInspector(page, server);

    const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
    const markers = { parameter: `MFA-QR-${unique}`, userAction: `APP-LINK-${unique}`, providerMessage: `BANK-SAYS-${unique}` };
    const inspector = inspectorFor(server);
    // Positive control: the raw inspection events do carry the markers; only redaction keeps them out.
    let rawSightings = 0;
    const spy: typeof inspector.inspect = (event) => {
      if (event.type === '@xstate.event' && Object.values(markers).some((marker) => JSON.stringify(event.event).includes(marker))) rawSightings++;
      inspector.inspect(event);
    };
    const clock = new SimulatedClock(T0);
    const connection = createConnection({ itemId: 'item-secrets', clock, inspect: spy, onError: () => undefined });
    cleanups.push(() => connection.stop());
    const send = (updatedAt: number, status: string, executionStatus: string, extra: Record<string, unknown>) => {
      const result = connection.send({ type: 'SNAPSHOT', item: { ...itemJson(status, executionStatus, updatedAt, extra), id: 'item-secrets' } });
      if (!result.ok) throw result.error;
    };
    const expiresAt = new Date(T0 + 30 * 60_000).toISOString();
    send(T0 + 1000, 'WAITING_USER_INPUT', 'WAITING_USER_INPUT', { parameter: { name: 'qr', type: 'image', data: markers.parameter, expiresAt } });
    send(T0 + 2000, 'WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING', {
      userAction: { type: 'authorize-access', instructions: 'Open your bank app', attributes: { deeplink: markers.userAction }, expiresAt },
    });
    send(T0 + 3000, 'LOGIN_ERROR', 'INVALID_CREDENTIALS', { error: { code: 'INVALID_CREDENTIALS', message: 'Invalid credentials', providerMessage: markers.providerMessage } });
    expect(rawSightings).toBe(3);

    await waitForAttribute(page, 'row of item-secrets', row('item-secrets'), 'data-state', 'blocked.updateCredentials');
    await selectConnection(page, 'item-secrets');
    // Render every payload: expand all log entries and open the effects.
    const entries = await page.locator('[data-testid="log-entry"]').count();
    for (let step = 0; step < entries; step++) {
      const toggle = `[data-testid="log-entry"][data-step="${step}"] [data-testid="log-expand"]`;
      await page.click(toggle);
      await waitForAttribute(page, `payload of event ${step + 1}`, toggle, 'aria-expanded', 'true');
    }
    await page.click('[data-testid="tab-effects"]');
    await page.waitForSelector('[data-testid="effect-mark"]', { timeout: WAIT_MS });
    for (const effect of await page.$$('[data-testid="effect-item"]')) await effect.evaluate((node) => ((node as unknown as PageElement).open = true));
    await screenshot(page, '11-redacted-payloads');

    await Promise.all(bodies);
    const html = await page.content();
    expect(html).toContain('[redacted]');
    expect(received.some((payload) => payload.includes('[redacted]'))).toBe(true);
    for (const marker of Object.values(markers)) {
      expect(html).not.toContain(marker);
      expect(received.filter((payload) => payload.includes(marker))).toEqual([]);
    }
  });

  test('with a token, the page without it is refused and with it works', async () => {
    const token = `t-${Math.random().toString(36).slice(2)}`;
    const server = await startServer({ token });
    const bare = new URL(server.url);
    bare.search = '';

    const page = await openPage(server.url);
    const refused = await page.goto(bare.href);
    expect(refused?.status()).toBe(401);
    for (const path of ['/app.js', '/api/machine', '/vendor/elk.bundled.js']) {
      expect((await page.request.get(new URL(path, bare).href)).status()).toBe(401);
    }
    await screenshot(page, '12-token-refused');

    await gotoInspector(page, server);
    const inspector = inspectorFor(server);
    const item = connectionFor(inspector, 'item-guarded');
    item.snapshot('UPDATING', 'LOGIN_IN_PROGRESS');
    await waitForAttribute(page, 'row behind the token', row('item-guarded'), 'data-state', 'pending.waiting');
    await selectConnection(page, 'item-guarded');
    expect(item.state()).toBe('pending.waiting');
    await expectShown(page, server, item);
    await screenshot(page, '13-token-accepted');
  });

  test('stays responsive with 300 connections: all listed, search narrows to one', async () => {
    const server = await startServer();
    const page = await openPage(server.url);
    await gotoInspector(page, server);
    const inspector = inspectorFor(server);

    const scenarios: Array<[string, string]> = [
      ['UPDATING', 'LOGIN_IN_PROGRESS'],
      ['WAITING_USER_INPUT', 'WAITING_USER_INPUT'],
      ['UPDATED', 'SUCCESS'],
      ['LOGIN_ERROR', 'INVALID_CREDENTIALS'],
      ['OUTDATED', 'SITE_NOT_AVAILABLE'],
    ];
    const ids = Array.from({ length: 300 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    const items = ids.map((id, i) => {
      const item = connectionFor(inspector, id);
      item.snapshot(...scenarios[i % scenarios.length]!);
      return item;
    });
    await waitForAttribute(page, 'connections listed', '[data-testid="connection-count"]', 'data-total', '300');
    const listed = await page.evaluate(() => (globalThis as unknown as PageGlobals).__inspector!.connections().map((c) => c.itemId));
    expect(new Set(listed)).toEqual(new Set(ids));
    // The list is virtualized: the DOM holds a screenful of rows, not 300.
    expect(await page.locator('[data-testid="connection-row"]:visible').count()).toBeLessThan(40);

    // No connection selected: the fleet overview counts the connections in every state.
    const inState = new Map<string, number>();
    for (const item of items) {
      const [phase] = item.state().split('.');
      for (const path of [phase!, item.state()]) inState.set(path, (inState.get(path) ?? 0) + 1);
    }
    expect(inState.get('blocked')).toBe(120);
    for (const [path, n] of inState) {
      const selector = path.includes('.') ? `[data-testid="board-state"][data-state-path="${path}"]` : `[data-testid="board-phase"][data-state-path="${path}"]`;
      await waitForAttribute(page, `overview count of ${path}`, selector, 'data-count', String(n));
    }
    expect(await page.getAttribute('[data-testid="board-phase"][data-state-path="deleted"]', 'data-count')).toBe('0');
    await screenshot(page, '14-three-hundred');
    // Clicking a state lists only its connections.
    await page.click('[data-testid="board-state"][data-state-path="blocked.retryLater"]');
    await waitForAttribute(page, 'connections in blocked.retryLater', '[data-testid="connection-count"]', 'data-count', String(inState.get('blocked.retryLater')));
    const states = await page.$$eval('[data-testid="connection-row"]:not([hidden])', (rows) => [...new Set(rows.map((row) => row.getAttribute('data-state')))]);
    expect(states).toEqual(['blocked.retryLater']);
    await page.click('[data-testid="state-filter-clear"]');
    await waitForAttribute(page, 'every connection listed again', '[data-testid="connection-count"]', 'data-count', '300');

    // Sorted by id, the last one is reachable by scrolling.
    await page.selectOption('[data-testid="sort"]', 'id');
    await page.evaluate(() => {
      const list = (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="connection-list"]')!;
      list.scrollTop = list.scrollHeight;
    });
    await page.waitForSelector(`${row('bulk-299')}:visible`, { timeout: WAIT_MS });

    await page.fill('[data-testid="search"]', 'bulk-217');
    await waitForAttribute(page, 'search result count', '[data-testid="connection-count"]', 'data-count', '1');
    await page.waitForSelector(`${row('bulk-217')}:visible`, { timeout: WAIT_MS });
    expect(await page.locator('[data-testid="connection-row"]:visible').count()).toBe(1);
    await page.click(row('bulk-217'));
    await waitForAttribute(page, 'chart of bulk-217', '[data-testid="active-state"]', 'data-state-path', items[217]!.state());
    await screenshot(page, '15-search-one');
  });
});
