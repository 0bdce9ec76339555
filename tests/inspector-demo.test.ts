/**
 * The demo fleet behind `npm start`: every scenario ends where it should, together the fleet walks
 * every state and effect of the contract, and, seen through a real inspector server and Chromium,
 * the page lists the whole fleet in the states the actors are in, with nothing secret on it.
 * Time is simulated: the scripts and the connections' timers run when the clock is advanced.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { InspectionEvent } from 'xstate';
import { createInspector, toFrame } from '../inspector/client';
import type { InspectorFrame } from '../inspector/protocol';
import { startInspectorServer } from '../inspector/server';
import { connectionMachine, EFFECT_TYPES, SimulatedClock } from '../src';
import { startFleet, type Fleet } from '../src/demo/fleet';
import { SCENARIOS } from '../src/demo/scenarios';
import { describeMachine } from '../src/spec/walk';
import { T0 } from './support';
import { deliverFrames, launchChromium, listedConnections, waitForSearch } from './support/browser';

jest.setTimeout(60_000);

const MINUTE = 60_000;
const RUN_FOR = 30 * MINUTE;

function count<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Runs a fleet with one connection per scenario to the end of every script, and well past it. */
function playedFleet(inspect?: (event: InspectionEvent) => void) {
  const clock = new SimulatedClock(T0);
  const fleet = startFleet({ clock, connections: SCENARIOS.length, ...(inspect ? { inspect } : {}) });
  clock.advance(RUN_FOR);
  expect(fleet.scriptedUntil).toBeLessThan(T0 + RUN_FOR);
  return { clock, fleet };
}

/** The page's document as the functions run in it use it (this file compiles without the DOM library). */
interface PageDocument {
  readonly document: {
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  };
}

const stateOf = (fleet: Fleet, itemId: string) => fleet.members.get(itemId)!.connection.getState().value;

describe('the demo fleet', () => {
  test('every scenario ends in its state with the effects it must emit, and nothing it sends is refused', () => {
    const { fleet } = playedFleet();
    expect(fleet.members.size).toBe(SCENARIOS.length);
    const outcomes = [...fleet.members.values()].map((member) => {
      const effects = count(member.effects.map((effect) => effect.type));
      return {
        scenario: member.scenario.name,
        state: member.connection.getState().value,
        effects: Object.fromEntries(Object.keys(member.scenario.outcome.effects ?? {}).map((type) => [type, effects.get(type as never) ?? 0])),
        rejected: member.rejected,
      };
    });
    expect(outcomes).toEqual(
      SCENARIOS.map((scenario) => ({ scenario: scenario.name, state: scenario.outcome.state, effects: scenario.outcome.effects ?? {}, rejected: [] })),
    );
    fleet.stop();
  });

  test('the guide\'s five scenarios are played with their verdicts', () => {
    const { fleet } = playedFleet();
    const first = (name: string) => [...fleet.members.values()].find((member) => member.scenario.name === name)!;
    const effectsOf = (name: string) => first(name).effects;
    // 1: UPDATED + SUCCESS → sync.
    expect(effectsOf('success').filter((effect) => effect.type === 'sync')).toEqual([expect.objectContaining({ attempt: 0 })]);
    // 2: Open Finance PARTIAL_SUCCESS with zero accounts → sync, re-read later (scheduleRetry), never a new execution.
    expect(effectsOf('open-finance-zero-accounts').map((effect) => effect.type).filter((type) => type === 'sync' || type === 'scheduleRetry')).toEqual([
      'sync', 'scheduleRetry', 'sync', 'scheduleRetry', 'sync',
    ]);
    expect(first('open-finance-zero-accounts').connection.getState().canSync).toBe(true);
    // 3: USER_INPUT_TIMEOUT (by the deadline, or reported by Pluggy) → blocked, reconnection.
    for (const name of ['mfa-deadline', 'mfa-timeout-reported']) {
      expect(effectsOf(name).filter((effect) => effect.type === 'reconnectRequired')).toEqual([expect.objectContaining({ remedy: 'reconnect' })]);
    }
    // 4: OUTDATED + SUCCESS → sync with a warning.
    expect(effectsOf('outdated-but-working').find((effect) => effect.type === 'sync')).toEqual(expect.objectContaining({ warning: 'outdated' }));
    // 5: LOGIN_ERROR + INVALID_CREDENTIALS → blocked, credential update.
    expect(effectsOf('invalid-credentials').find((effect) => effect.type === 'reconnectRequired')).toEqual(expect.objectContaining({ remedy: 'updateCredentials' }));
    fleet.stop();
  });

  test('together the connections reach every top-level state, emit every effect and take the ordering and dedupe transitions', async () => {
    const frames: InspectorFrame[] = [];
    // The raw transitions XState took, as the inspector would show them.
    const { fleet } = playedFleet((event) => {
      if (event.type !== '@xstate.microstep') return;
      const frame = toFrame(event, (value) => value);
      if (frame) frames.push(frame as InspectorFrame);
    });
    const states = new Set([...fleet.members.keys()].map((itemId) => stateOf(fleet, itemId).split('.')[0]));
    const visited = new Set(frames.flatMap((frame) => (frame.kind === 'microstep' ? frame.transitions.flatMap((t) => t.targets.map((target) => target.split('.')[0])) : [])));
    for (const state of states) visited.add(state);
    expect([...visited].sort()).toEqual(['awaitingUser', 'blocked', 'deleted', 'pending', 'syncable', 'unknown']);

    const emitted = new Set([...fleet.members.values()].flatMap((member) => member.effects.map((effect) => effect.type)));
    expect([...emitted].sort()).toEqual([...EFFECT_TYPES].sort());

    const byKey = new Map(describeMachine(connectionMachine).transitions.map((transition) => [transition.key, transition]));
    const guardsTaken = new Set(frames.flatMap((frame) => (frame.kind === 'microstep' ? frame.transitions.map((t) => byKey.get(t.key)?.guard ?? '') : [])));
    expect(guardsTaken).toContain("snapshot is stale, a duplicate or another item's");
    expect(guardsTaken).toContain('webhook was already seen');
    expect(guardsTaken).toContain('snapshot repeats the last rule');
    fleet.stop();
  });
});

describe('the demo fleet in the inspector', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  test('the page lists every connection in the state its actor is in, and no secret of the scripts reaches the server', async () => {
    const server = await startInspectorServer({ port: 0 });
    const inspector = createInspector({ url: server.ingestUrl });
    const clock = new SimulatedClock(T0);
    const fleet = startFleet({ clock, inspect: inspector.inspect });
    try {
      clock.advance(RUN_FOR);
      await deliverFrames(inspector, server);
      expect(inspector.stats()).toEqual(expect.objectContaining({ buffered: 0, dropped: 0 }));
      const frames = server.frames();
      expect(frames).toHaveLength(inspector.stats().sent);
      const actors = frames.filter((frame) => frame.kind === 'actor').map((frame) => (frame.kind === 'actor' ? frame.actorId : ''));
      expect(new Set(actors)).toEqual(new Set([...fleet.members.keys()].map((itemId) => `connection:${itemId}`)));
      // The scripts give the MFA challenge data, a consent link with its code and bank messages.
      const text = JSON.stringify(frames);
      for (const secret of ['sms-challenge-4471', 'c-20931', 'Mensagem do banco']) expect(text).not.toContain(secret);

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(server.url);
      const listed = await listedConnections(page, fleet.members.size);
      expect(Object.fromEntries(listed.map((row) => [row.itemId, row.state]))).toEqual(
        Object.fromEntries([...fleet.members.keys()].map((itemId) => [itemId, stateOf(fleet, itemId)])),
      );
      // The phase counters above the list add up the fleet's phases.
      const phases = count([...fleet.members.keys()].map((itemId) => stateOf(fleet, itemId).split('.')[0]!));
      for (const [phase, n] of phases) {
        expect(await page.getAttribute(`[data-testid="phase-chip-${phase}"]`, 'data-count')).toBe(String(n));
      }
      // "Needs someone" lists every connection blocked, waiting for the user, stalled or anomalous.
      const needing = [...fleet.members.keys()].filter((itemId) => /^(blocked|awaitingUser)\.|^pending\.stalled$|^unknown\.anomaly$/.test(stateOf(fleet, itemId)));
      expect(needing.length).toBeGreaterThan(0);
      expect(await page.getAttribute('[data-testid="attention"]', 'data-count')).toBe(String(needing.length));
      const attention = await page.$$eval('[data-testid="attention-row"]', (rows) => rows.map((row) => row.getAttribute('data-item-id')));
      expect(new Set(attention)).toEqual(new Set(needing));
      const screenshots = join(__dirname, '..', 'artifacts', 'screenshots');
      // The chart glides to the active state: capture it where it comes to rest.
      const settle = () => page.waitForFunction(() => (globalThis as unknown as { __inspector?: { settled: boolean } }).__inspector?.settled === true, null, { timeout: 10_000 });
      mkdirSync(screenshots, { recursive: true });
      await settle();
      await page.screenshot({ path: join(screenshots, '20-demo-fleet.png') });
      /** Searches for a connection and opens it; if its row cannot be clicked, the error says what the list showed. */
      const open = async (itemId: string) => {
        await page.fill('[data-testid="search"]', itemId);
        await waitForSearch(page, itemId, 10_000);
        try {
          await page.click(`[data-testid="connection-row"][data-item-id="${itemId}"]`, { timeout: 15_000 });
        } catch (error) {
          await page.screenshot({ path: join(screenshots, `failed-open-${itemId}.png`) });
          const list = await page.$eval('[data-testid="connection-list"]', (element) => {
            const box = element.getBoundingClientRect();
            const rows = [...element.querySelectorAll('[data-testid="connection-row"]')].map((row) => {
              const r = row.getBoundingClientRect();
              return `${row.getAttribute('data-item-id') ?? '-'} hidden=${(row as unknown as { hidden: boolean }).hidden} box=${r.width}x${r.height}@${r.top} transform=${(row as unknown as { style: { transform: string } }).style.transform}`;
            });
            return `list ${box.width}x${box.height}, scrollTop ${element.scrollTop}; rows: ${rows.join('; ')}`;
          });
          throw new Error(`could not open ${itemId}: ${(error as Error).message.split('\n')[0]}\n${list}`);
        }
      };
      const zeroAccounts = [...fleet.members.keys()].find((itemId) => itemId.startsWith('open-finance-zero-accounts'))!;
      await open(zeroAccounts);
      await page.waitForFunction(
        (state) => (globalThis as unknown as PageDocument).document.querySelector('[data-testid="active-state"]')?.getAttribute('data-state-path') === state,
        stateOf(fleet, zeroAccounts),
        { timeout: 10_000 },
      );
      await page.click('[data-testid="tab-effects"]');
      await settle();
      await page.screenshot({ path: join(screenshots, '21-demo-open-finance-effects.png') });

      // The log says why a stale or duplicate snapshot, or a webhook seen before, changed nothing.
      for (const [scenario, why] of [
        ['stale-and-duplicate', "ignored: snapshot is stale, a duplicate or another item's"],
        ['push-webhooks', 'ignored: webhook was already seen'],
      ] as const) {
        const itemId = [...fleet.members.keys()].find((id) => id.startsWith(scenario))!;
        await open(itemId);
        await page.waitForSelector(`[data-testid="log-note"]:text-is("${why}")`, { timeout: 10_000 });
      }
      await page.click('[data-testid="tab-snapshot"]');
      await settle();
      await page.screenshot({ path: join(screenshots, '22-demo-webhook-dedupe.png') });
      expect(errors).toEqual([]);
    } finally {
      fleet.stop();
      inspector.close();
      await server.close();
    }
  });
});
