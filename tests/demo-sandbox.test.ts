/**
 * The demo's sandbox group: one connection per sandbox user and mode, living against the local
 * sandbox over HTTP (pluggy-sdk, the poller, the webhook receiver), ends where the guide's
 * scenarios say, and shows up in the inspector (server and page) in the states the actors are in.
 * The sandbox, the connections, the drivers and the host's own delays share one simulated clock;
 * between two steps the traffic on 127.0.0.1 settles in real time. Nothing else is contacted.
 *
 * The last test runs `pluggy-lifecycle demo` itself: the inspector URL comes first, the sandbox
 * group reaches its states on the accelerated clock, and Ctrl-C lets the process end on its own.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createInspector } from '../inspector/client';
import { startInspectorServer } from '../inspector/server';
import { SimulatedClock } from '../src';
import { startSandboxGroup, type SandboxGroup, type SandboxMember } from '../src/demo/sandboxGroup';
import { toDottedState } from '../src/runtime/connection';
import { SANDBOX_USERS, type SandboxUser } from '../src/sandbox';
import { T0 } from './support';
import { deliverFrames, launchChromium, listedConnections } from './support/browser';
import { describeEffect } from './support/effects';

jest.setTimeout(60_000);

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** What each user's connection tells the host (`fetch` aside), in order, and where it ends: the same polled or pushed. */
const GUIDE: Readonly<Record<SandboxUser, { readonly told: readonly string[]; readonly ends: string }>> = {
  // Guide scenario 1: UPDATED + SUCCESS → sync.
  'user-ok': { told: ['sync#0'], ends: 'syncable.synced' },
  // Guide scenario 2: Open Finance PARTIAL_SUCCESS with zero accounts → sync, a scheduled re-read, a sync that finds them.
  'user-open-finance': { told: ['userActionRequired:authorize-access', 'sync:partial#0', 'scheduleRetry:zeroAccounts', 'sync:partial#1'], ends: 'syncable.synced' },
  // Guide scenario 3: USER_INPUT_TIMEOUT → blocked, reconnection.
  'user-mfa-timeout': { told: ['userInputRequired:token', 'reconnectRequired:reconnect'], ends: 'blocked.reconnect' },
  // Guide scenario 5: LOGIN_ERROR + INVALID_CREDENTIALS → blocked, credential update.
  'user-bad-password': { told: ['reconnectRequired:updateCredentials'], ends: 'blocked.updateCredentials' },
  'user-mfa': { told: ['userInputRequired:token', 'sync#0'], ends: 'syncable.synced' },
  'user-unavailable': { told: ['reconnectRequired:retryLater', 'recovered', 'sync#0'], ends: 'syncable.synced' },
  'user-locked': { told: ['reconnectRequired:actAtInstitution'], ends: 'blocked.actAtInstitution' },
};


const told = (member: SandboxMember) => member.effects.filter((effect) => effect.type !== 'fetch').map(describeEffect);
const stateOf = (member: SandboxMember) => member.connection.getState().value;
const outcome = (member: SandboxMember) => ({ user: member.user, mode: member.mode, told: told(member), ends: stateOf(member) });

/** Moves the clock in steps of `stepMs`, letting the HTTP traffic settle after each, until `done()` holds; returns the simulated time it took. */
async function until(group: SandboxGroup, clock: SimulatedClock, done: () => boolean, what: string, stepMs = 500, limitMs = 5 * MINUTE): Promise<number> {
  const start = clock.now();
  await group.settled();
  while (!done()) {
    if (clock.now() - start > limitMs) throw new Error(`expected ${what} within ${limitMs} ms of simulated time`);
    clock.advance(stepMs);
    await group.settled();
  }
  return clock.now() - start;
}

describe('the demo sandbox group', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  test('every sandbox user, polled and pushed, ends where the guide says, and the inspector shows each connection in its state', async () => {
    const server = await startInspectorServer({ port: 0 });
    const inspector = createInspector({ url: server.ingestUrl });
    const clock = new SimulatedClock(T0);
    const errors: unknown[] = [];
    const group = await startSandboxGroup({ clock, inspect: inspector.inspect, onError: (error) => errors.push(error) });
    try {
      const members = [...group.members.values()];
      expect(members.map((member) => `${member.user}/${member.mode}`).sort()).toEqual(
        SANDBOX_USERS.flatMap((user) => [`${user}/poll`, `${user}/push`]).sort(),
      );
      const expected = members.map((member) => ({ user: member.user, mode: member.mode, told: GUIDE[member.user].told, ends: GUIDE[member.user].ends }));

      const settledAfter = await until(group, clock, () => members.every((member) => stateOf(member) === GUIDE[member.user].ends), 'every connection to reach its state');
      // Well within the 10-minute budget (the Open Finance re-read waits a minute).
      expect(settledAfter).toBeLessThan(3 * MINUTE);
      expect(group.reached()).toBe(true);
      expect(members.map(outcome)).toEqual(expected);

      // The Open Finance host read 0 accounts, then found the ones the sandbox collected later.
      for (const member of members.filter((m) => m.user === 'user-open-finance')) {
        expect(member.reads).toEqual([0, group.sandbox.accounts(member.itemId).length]);
        expect(member.reads[1]).toBeGreaterThan(0);
      }
      // The MFA was answered through the sandbox's endpoint, once per item, and only for the user who answers.
      const mfaPosts = group.sandbox.requests.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/mfa'));
      const mfaItems = members.filter((member) => member.user === 'user-mfa').map((member) => `/items/${member.itemId}/mfa`);
      expect(mfaPosts.map((entry) => [entry.path, entry.status]).sort()).toEqual(mfaItems.map((path) => [path, 200]).sort());
      // Polled items are fetched on the connection's backoff; pushed ones after each webhook.
      for (const member of members) {
        const reasons = new Set(member.effects.flatMap((effect) => (effect.type === 'fetch' ? [effect.reason] : [])));
        expect({ user: member.user, mode: member.mode, reasons: [...reasons] }).toEqual({ user: member.user, mode: member.mode, reasons: [member.mode === 'poll' ? 'poll' : 'webhook'] });
      }

      // Later, nothing is told twice: blocked connections re-prompt nobody, synced ones stay synced.
      await until(group, clock, () => group.sandbox.webhooks.stats().pending === 0, 'every webhook to be delivered');
      const quietFrom = clock.now();
      await until(group, clock, () => clock.now() - quietFrom >= 10 * MINUTE, 'ten more minutes', 5 * SECOND, 11 * MINUTE);
      expect(members.map(outcome)).toEqual(expected);

      // The sandbox delivered some webhooks twice; the receiver handed each event on once.
      expect(group.sandbox.webhooks.stats().duplicatesSent).toBeGreaterThan(0);
      const pushed = group.sandbox.webhooks.emitted.filter((sent) => sent.url === group.receiverUrl).map((sent) => sent.payload.eventId);
      expect(pushed.length).toBeGreaterThan(0);
      expect(group.delivered.map((payload) => payload.eventId).sort()).toEqual([...pushed].sort());
      // Polled items have no webhook: their connections learnt everything by polling.
      const pollIds = new Set(members.filter((member) => member.mode === 'poll').map((member) => member.itemId));
      expect(group.sandbox.webhooks.emitted.filter((sent) => pollIds.has(sent.payload.itemId) && sent.url !== null)).toEqual([]);
      expect(members.flatMap((member) => member.connection.rejected)).toEqual([]);
      expect(errors).toEqual([]);

      // The inspector server has every connection, last seen in the state its actor is in.
      await deliverFrames(inspector, server);
      expect(inspector.stats()).toEqual(expect.objectContaining({ buffered: 0, dropped: 0 }));
      const actorOf = new Map<string, string>();
      const lastValue = new Map<string, string>();
      for (const frame of server.frames()) {
        if (frame.kind === 'actor') actorOf.set(frame.sessionId, frame.actorId);
        if (frame.kind === 'snapshot') lastValue.set(actorOf.get(frame.sessionId) ?? frame.sessionId, toDottedState(frame.value as Parameters<typeof toDottedState>[0]));
      }
      expect(Object.fromEntries(lastValue)).toEqual(Object.fromEntries(members.map((member) => [`connection:${member.itemId}`, stateOf(member)])));

      // And the page lists them so.
      browser = await launchChromium();
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(server.url);
      const listed = await listedConnections(page, members.length);
      expect(Object.fromEntries(listed.map((row) => [row.itemId, row.state]))).toEqual(Object.fromEntries(members.map((member) => [member.itemId, stateOf(member)])));
      expect(pageErrors).toEqual([]);
    } finally {
      await group.stop();
      inspector.close();
      await server.close();
    }
  });

  test('stop() closes the sandbox and the receiver', async () => {
    const clock = new SimulatedClock(T0);
    const group = await startSandboxGroup({ clock, users: ['user-ok'], modes: ['push'] });
    await until(group, clock, () => group.reached(), 'the sync');
    await group.stop();
    for (const url of [group.sandbox.url, group.receiverUrl]) {
      await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
    }
    expect([...group.members.values()].map((member) => member.connection.getState().status)).toEqual(['stopped']);
  });
});

describe('pluggy-lifecycle demo', () => {
  /** Runs the CLI from source until `stopWhen` matches a line of its output, then sends SIGINT. */
  function runDemo(args: readonly string[], stopWhen: RegExp) {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join('src', 'cli', 'main.ts'), 'demo', ...args], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, PLUGGY_API_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let interruptedAt: number | undefined;
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (interruptedAt === undefined && out.split('\n').some((line) => stopWhen.test(line))) {
        interruptedAt = Date.now();
        child.kill('SIGINT');
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
    return new Promise<{ lines: string[]; err: string; code: number | null; signal: NodeJS.Signals | null; exitMs: number | undefined }>((resolve) => {
      child.on('exit', (code, signal) => {
        clearTimeout(guard);
        resolve({ lines: out.split('\n'), err, code, signal, exitMs: interruptedAt === undefined ? undefined : Date.now() - interruptedAt });
      });
    });
  }

  test('prints the inspector URL first, brings the sandbox group to its states, and ends on Ctrl-C with everything closed', async () => {
    const [withSandbox, without] = await Promise.all([
      runDemo(['--port', '0', '--connections', '2', '--speed', '100'], /^demo: every sandbox connection is in its expected state/),
      runDemo(['--port', '0', '--connections', '2', '--no-sandbox'], /^demo: \d+ simulated connections/),
    ]);
    for (const run of [withSandbox, without]) {
      expect(run.lines[0]).toMatch(/^pluggy-lifecycle inspector: http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(run.lines[1]).toMatch(/^demo: 2 simulated connections living 16 scenarios/);
      // Nothing left open keeps the process alive after SIGINT: it ends by itself, successfully.
      expect({ code: run.code, signal: run.signal, err: run.err }).toEqual({ code: 0, signal: null, err: '' });
      expect(run.exitMs).toBeLessThan(10_000);
    }
    const sandboxLine = withSandbox.lines.find((line) => line.includes('against the local Pluggy sandbox'));
    expect(sandboxLine).toMatch(/^demo: 14 connections live against the local Pluggy sandbox at http:\/\/127\.0\.0\.1:\d+ /);
    for (const user of SANDBOX_USERS) expect(withSandbox.lines.some((line) => line.trim().startsWith(user))).toBe(true);
    expect(without.lines.some((line) => line.includes('sandbox'))).toBe(false);
  });
});
