/** The inspection client and the inspector server, without a browser. */
import { existsSync } from 'node:fs';
import { get, request } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createInspector } from '../inspector/client';
import { createRedactor } from '../inspector/redact';
import { findUiDir, startInspectorServer, tokenMatches, type InspectorServer } from '../inspector/server';
import type { InspectorFrame } from '../inspector/protocol';
import { main } from '../src/cli/main';
import { connectionMachine, createConnection, SimulatedClock } from '../src';
import { describeMachine } from '../src/spec/walk';
import { itemJson, ITEM_ID, T0 } from './support';

const servers: InspectorServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(options: Parameters<typeof startInspectorServer>[0] = {}) {
  const started = await startInspectorServer({ port: 0, ...options });
  servers.push(started);
  return started;
}

async function until<T>(read: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => get(url, (response) => resolve(response.statusCode ?? 0)).on('error', reject));
}

function httpStatusWithHost(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) =>
    request({ host: '127.0.0.1', port, path: '/api/frames', headers: { host } }, (response) => resolve(response.statusCode ?? 0))
      .on('error', reject)
      .end(),
  );
}

/** Opens a WebSocket with the given headers; resolves to 'open' or the HTTP status it was refused with. */
function socketOutcome(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('unexpected-response', (_request, response) => resolve(String(response.statusCode)));
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('error', () => undefined);
  });
}

const SECRETS = {
  qr: 'QR-PAYLOAD-7f3a',
  consentUrl: 'https://bank.example/consent?code=SECRET-91c2',
  provider: 'Senha incorreta para o CPF 123',
  password: 'hunter2-secret',
};

function inspectedConnection(url: string, options: { redact?: boolean } = {}) {
  const inspector = createInspector({ url, ...options });
  const clock = new SimulatedClock(T0);
  const connection = createConnection({ itemId: ITEM_ID, clock, inspect: inspector.inspect });
  return { inspector, clock, connection };
}

describe('frames from a live connection', () => {
  test('actor, events, snapshots, microsteps and effects reach the server, keyed like the spec', async () => {
    const inspectorServer = await server();
    const { inspector, clock, connection } = inspectedConnection(inspectorServer.ingestUrl);
    connection.send({ type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) });
    clock.advance(2000);
    connection.send({ type: 'SNAPSHOT', item: itemJson('UPDATED', 'SUCCESS', T0 + 3000) });
    await inspector.flush();
    const frames = await until(() => (inspectorServer.frames().some((frame) => frame.kind === 'effect' && frame.effect.type === 'sync') ? inspectorServer.frames() : undefined));
    expect(new Set(frames.map((frame) => frame.kind))).toEqual(new Set(['actor', 'event', 'snapshot', 'microstep', 'action', 'effect']));
    expect(frames.map((frame) => frame.seq)).toEqual(frames.map((_, index) => index + 1));
    const actor = frames.find((frame) => frame.kind === 'actor');
    expect(actor).toEqual(expect.objectContaining({ actorId: `connection:${ITEM_ID}`, machineId: 'connection' }));
    const declared = new Set(describeMachine(connectionMachine).transitions.map((transition) => transition.key));
    const taken = frames.flatMap((frame) => (frame.kind === 'microstep' ? frame.transitions.map((transition) => transition.key) : []));
    expect(taken).toEqual(expect.arrayContaining(['(machine) SNAPSHOT #1', 'pending.waiting xstate.after.nextCheck.connection.pending.waiting #0', '(machine) SNAPSHOT #4']));
    for (const key of taken) expect(declared).toContain(key);
    const effects = frames.flatMap((frame) => (frame.kind === 'effect' ? [frame.effect.type] : []));
    expect(effects).toEqual(['fetch', 'sync']);
    inspector.close();
  });

  test('MFA data, user-action attributes, provider messages and credentials never leave the process', async () => {
    const inspectorServer = await server();
    const { inspector, connection } = inspectedConnection(inspectorServer.ingestUrl);
    connection.send({
      type: 'SNAPSHOT',
      item: itemJson('WAITING_USER_INPUT', 'WAITING_USER_INPUT', T0, {
        parameter: { name: 'token', type: 'image', data: SECRETS.qr, expiresAt: new Date(T0 + 60_000).toISOString() },
        error: { code: 'INVALID_CREDENTIALS_MFA', message: 'wrong code', providerMessage: SECRETS.provider },
        userAction: { type: 'authorize-access', attributes: { url: SECRETS.consentUrl } },
      }),
    });
    connection.send({ type: 'WEBHOOK', payload: { event: 'item/error', eventId: 'e1', itemId: ITEM_ID, error: { code: 'X', message: 'y', providerMessage: SECRETS.provider }, password: SECRETS.password } });
    await inspector.flush();
    const text = await until(() => {
      const all = JSON.stringify(inspectorServer.frames());
      return all.includes('item/error') ? all : undefined;
    });
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    expect(text).toContain('"name":"token"');
    inspector.close();
  });

  test('anything that looks like a credential is redacted inside free text too', async () => {
    const inspectorServer = await server();
    const { inspector, connection } = inspectedConnection(inspectorServer.ingestUrl);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVl';
    connection.send({
      type: 'WEBHOOK',
      payload: {
        event: 'item/error', eventId: 'e2', itemId: ITEM_ID,
        error: { code: 'UNEXPECTED_ERROR', message: `upstream said: Authorization: Bearer ${jwt}` },
        link: 'https://ana:hunter2-secret@bank.example/consent?client=7&code=SECRET-91c2&state=ok',
      },
    });
    await inspector.flush();
    const text = await until(() => {
      const all = JSON.stringify(inspectorServer.frames());
      return all.includes('item/error') ? all : undefined;
    });
    for (const secret of [jwt, 'hunter2-secret', 'SECRET-91c2']) expect(text).not.toContain(secret);
    // What is not a credential stays readable.
    expect(text).toContain('upstream said: Authorization: Bearer [redacted]');
    expect(text).toContain('https://ana:[redacted]@bank.example/consent?client=7&code=[redacted]&state=ok');
    expect(text).toContain('UNEXPECTED_ERROR');
    inspector.close();
  });

  test('the server redacts even frames from a client that was told not to', async () => {
    const inspectorServer = await server();
    const { inspector, connection } = inspectedConnection(inspectorServer.ingestUrl, { redact: false });
    connection.send({ type: 'SNAPSHOT', item: itemJson('WAITING_USER_INPUT', 'WAITING_USER_INPUT', T0, { parameter: { name: 'token', data: SECRETS.qr } }) });
    await inspector.flush();
    await until(() => inspectorServer.frames().length > 3 || undefined);
    expect(JSON.stringify(inspectorServer.frames())).not.toContain(SECRETS.qr);
    inspector.close();
  });

  test("a server redactor that matches the frames' own keys leaves their addressing intact", async () => {
    const inspectorServer = await server({ redact: createRedactor((path) => /^(sessionId|rootId|actorId|kind)$/.test(path[path.length - 1] ?? '')) });
    const { inspector, connection } = inspectedConnection(inspectorServer.ingestUrl, { redact: false });
    connection.send({ type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) });
    await inspector.flush();
    const frames = await until(() => (inspectorServer.frames().some((frame) => frame.kind === 'snapshot') ? inspectorServer.frames() : undefined));
    const actor = frames.find((frame) => frame.kind === 'actor');
    expect(actor).toEqual(expect.objectContaining({ actorId: `connection:${ITEM_ID}`, sessionId: actor!.rootId }));
    expect(actor!.rootId).toMatch(/^x:\d+$/);
    inspector.close();
  });

  test('the client buffers while the server is down, with a bound, and delivers after reconnecting', async () => {
    const first = await server();
    const port = first.port;
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const inspector = createInspector({ url: `ws://127.0.0.1:${port}/ingest`, maxBuffer: 5, reconnectMs: 50 });
    const connection = createConnection({ itemId: ITEM_ID, clock: new SimulatedClock(T0), inspect: inspector.inspect });
    for (let i = 0; i < 5; i++) connection.send({ type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0 + i * 1000) });
    expect(inspector.stats()).toEqual(expect.objectContaining({ buffered: 5, connected: false }));
    expect(inspector.stats().dropped).toBeGreaterThan(0);
    const second = await server({ port });
    await until(() => second.frames().length === 5 || undefined);
    expect(inspector.stats()).toEqual(expect.objectContaining({ buffered: 0, sent: 5, connected: true }));
    inspector.close();
  });

  test('after the server restarts, the client reconnects by itself and frames flow again', async () => {
    const first = await server();
    const { port } = first;
    const inspector = createInspector({ url: first.ingestUrl, reconnectMs: 50 });
    const clock = new SimulatedClock(T0);
    const connection = createConnection({ itemId: ITEM_ID, clock, inspect: inspector.inspect });
    connection.send({ type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) });
    await until(() => first.frames().some((frame) => frame.kind === 'snapshot' && JSON.stringify(frame.value).includes('pending')) || undefined);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await until(() => !inspector.stats().connected || undefined);
    // Sent while no server listens: kept in the buffer.
    connection.send({ type: 'SNAPSHOT', item: itemJson('UPDATED', 'SUCCESS', T0 + 5000) });
    expect(inspector.stats().buffered).toBeGreaterThan(0);
    const second = await server({ port });
    const effects = await until(() => {
      const sync = second.frames().filter((frame) => frame.kind === 'effect').map((frame) => (frame.kind === 'effect' ? frame.effect.type : ''));
      return sync.includes('sync') ? sync : undefined;
    });
    expect(effects).toEqual(['sync']);
    expect(inspector.stats()).toEqual(expect.objectContaining({ buffered: 0, connected: true }));
    inspector.close();
  });
});

describe('the server', () => {
  test('binds to loopback by default and serves the UI and the machine', async () => {
    const inspectorServer = await server();
    expect(inspectorServer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await httpStatus(`http://127.0.0.1:${inspectorServer.port}/api/machine`)).toBe(200);
    expect(await httpStatus(`http://127.0.0.1:${inspectorServer.port}/vendor/elk.bundled.js`)).toBe(200);
    expect(await httpStatus(`http://127.0.0.1:${inspectorServer.port}/nope`)).toBe(404);
  });

  test('finds the UI both from source and from the built dist/inspector/', () => {
    const root = join(__dirname, '..');
    const ui = join(root, 'inspector', 'ui');
    expect(existsSync(join(ui, 'index.html'))).toBe(true);
    expect(findUiDir(join(root, 'inspector'))).toBe(ui);
    expect(findUiDir(join(root, 'dist', 'inspector'))).toBe(ui);
  });

  test('with a token, requests and sockets without it are refused', async () => {
    const inspectorServer = await server({ token: 's3cret' });
    expect(await httpStatus(`http://127.0.0.1:${inspectorServer.port}/api/frames`)).toBe(401);
    expect(await httpStatus(`http://127.0.0.1:${inspectorServer.port}/api/frames?token=wrong`)).toBe(401);
    expect(await httpStatus(`http://127.0.0.1:${inspectorServer.port}/api/frames?token=s3cret`)).toBe(200);
    expect(await socketOutcome(`ws://127.0.0.1:${inspectorServer.port}/ingest`)).toBe('401');
    expect(await socketOutcome(inspectorServer.ingestUrl)).toBe('open');
    expect(inspectorServer.ingestUrl).toContain('token=s3cret');
  });

  test('refuses pages of other sites: a rebound host name, and viewer sockets from another origin', async () => {
    const inspectorServer = await server();
    const { port } = inspectorServer;
    expect(await httpStatusWithHost(port, `127.0.0.1:${port}`)).toBe(200);
    expect(await httpStatusWithHost(port, `localhost:${port}`)).toBe(200);
    // DNS rebinding: evil.example resolved to 127.0.0.1, the browser still sends its own name.
    expect(await httpStatusWithHost(port, `evil.example:${port}`)).toBe(403);
    const viewer = `ws://127.0.0.1:${port}/viewer`;
    expect(await socketOutcome(viewer, { origin: `http://127.0.0.1:${port}` })).toBe('open');
    expect(await socketOutcome(viewer)).toBe('open'); // a non-browser client sends no Origin
    expect(await socketOutcome(viewer, { origin: 'https://evil.example' })).toBe('403');
    expect(await socketOutcome(viewer, { origin: `http://localhost:${port + 1}` })).toBe('403');
    // A producer running in a browser app on this machine may send frames; one on another site may not.
    expect(await socketOutcome(inspectorServer.ingestUrl, { origin: 'http://localhost:3000' })).toBe('open');
    expect(await socketOutcome(inspectorServer.ingestUrl, { origin: 'https://evil.example' })).toBe('403');
    expect(inspectorServer.frames()).toEqual([]);
  });

  test('tokens compare by value, whatever their length', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('abc', undefined)).toBe(false);
  });

  test('keeps a bounded replay buffer and replays it to a browser that joins late', async () => {
    const inspectorServer = await server({ replayLimit: 10 });
    const { inspector, clock, connection } = inspectedConnection(inspectorServer.ingestUrl);
    connection.send({ type: 'SNAPSHOT', item: itemJson('UPDATING', 'LOGIN_IN_PROGRESS', T0) });
    clock.advance(60_000);
    await inspector.flush();
    await until(() => inspectorServer.frames().at(-1)!.seq > 20 || undefined);
    const frames = inspectorServer.frames();
    expect(frames).toHaveLength(10);
    const viewer = new WebSocket(`ws://127.0.0.1:${inspectorServer.port}/viewer`);
    const replay = await new Promise<{ frames: InspectorFrame[]; replay: boolean }>((resolve) => viewer.once('message', (data) => resolve(JSON.parse(String(data)))));
    expect(replay.replay).toBe(true);
    expect(replay.frames.map((frame) => frame.seq)).toEqual(frames.map((frame) => frame.seq));
    viewer.close();
    inspector.close();
  });

  test('accepts frames in the format of @statelyai/inspect, and drops malformed ones', async () => {
    const inspectorServer = await server();
    const producer = new WebSocket(inspectorServer.ingestUrl);
    await new Promise((resolve) => producer.once('open', resolve));
    producer.send('not json');
    producer.send(JSON.stringify({ hello: 'world' }));
    producer.send(
      JSON.stringify({
        _version: '0.7.2', createdAt: '1796325235231', definition: '{"id":"toggle","initial":"off"}', id: null, name: 'toggle-1', rootId: 'x:0', sessionId: 'x:0',
        snapshot: { children: {}, context: { password: SECRETS.password }, historyValue: {}, status: 'active', tags: [], value: 'off' }, type: '@xstate.actor',
      }),
    );
    producer.send(JSON.stringify({ _version: '0.7.2', createdAt: '1796325235240', event: { type: 'TOGGLE' }, id: null, rootId: 'x:0', sessionId: 'x:0', sourceId: null, type: '@xstate.event' }));
    const frames = await until(() => (inspectorServer.frames().length === 2 ? inspectorServer.frames() : undefined));
    expect(frames[0]).toEqual(expect.objectContaining({ origin: 'statelyai', kind: 'actor', machineId: 'toggle', actorId: 'toggle-1', value: 'off', context: { password: '[redacted]' } }));
    expect(frames[1]).toEqual(expect.objectContaining({ origin: 'statelyai', kind: 'event', event: { type: 'TOGGLE' } }));
    producer.close();
  });
});

describe('the inspect and demo commands', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  test('a port in use is named, with the way out', async () => {
    const busy = await server();
    const result = await run(['inspect', '--port', String(busy.port)]);
    expect(result).toEqual({ code: 1, out: '', err: `port ${busy.port} is already in use: pass --port N (0 picks a free port)` });
  });

  test('a bad option is a usage error, and no server is left running', async () => {
    const result = await run(['demo', '--port', '0', '--speed', '0']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--speed must be greater than 0, received 0');
    expect(result.out).toBe('');
  });
});
