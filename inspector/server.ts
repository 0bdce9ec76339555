/**
 * The inspector server: serves the browser UI over HTTP, receives inspection frames over
 * WebSocket (from this library's client or from `@statelyai/inspect`'s WebSocket inspector),
 * redacts them, keeps a bounded replay buffer and relays them to every open browser.
 * Binds to loopback unless told otherwise; an access token can guard both HTTP and WebSocket.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { connectionMachine } from '../machines/connection.machine';
import { describeMachine } from '../src/spec/walk';
import type { InspectorFrame, OutgoingFrame } from './protocol';
import { redact as defaultRedact, type Redactor } from './redact';

export interface InspectorServerOptions {
  /** 0 picks a free port. Default 4242. */
  readonly port?: number;
  /** Default 127.0.0.1: the inspector shows bank connection data, keep it off the network. */
  readonly host?: string;
  /** When set, every request must carry it (`?token=` or the `x-inspector-token` header). */
  readonly token?: string;
  /** Frames kept for browsers that join late (default 20 000). */
  readonly replayLimit?: number;
  readonly redact?: Redactor;
}

export interface InspectorServer {
  /** The page to open in a browser (with the token, if any). */
  readonly url: string;
  /** Where inspected processes send frames (`createInspector({ url: ingestUrl })`). */
  readonly ingestUrl: string;
  readonly port: number;
  /** Frames in the replay buffer, oldest first. */
  frames(): readonly InspectorFrame[];
  close(): Promise<void>;
}

/**
 * Where the UI's static files are for a server module in `dir`: next to it when it runs from
 * source (ts-jest, ts-node), at the package root's `inspector/ui` when it runs from `dist/inspector/`.
 */
export function findUiDir(dir: string): string {
  const candidates = [join(dir, 'ui'), join(dir, '..', '..', 'inspector', 'ui')];
  return candidates.find((candidate) => existsSync(join(candidate, 'index.html'))) ?? candidates[0]!;
}

const UI_DIR = findUiDir(__dirname);
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const MAX_FRAME_BYTES = 1 << 20;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares tokens in constant time (hashing first so lengths never leak). */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(digest(expected), digest(given));
}

type Json = Record<string, unknown>;

/** `127.0.0.1:4242` → `127.0.0.1`, `[::1]:4242` → `::1`, `http://localhost:3000` → `localhost`. */
function hostnameOf(text: string | undefined): string {
  if (!text) return '';
  try {
    return new URL(text.includes('://') ? text : `http://${text}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

const ADDRESSING = ['kind', 'at', 'sessionId', 'rootId', 'actorId', 'parentId', 'machineId', 'sourceId'] as const;

/** Reads a frame from this library's client, or converts one from `@statelyai/inspect`. */
export function normalizeFrame(raw: unknown, redact: Redactor): OutgoingFrame | undefined {
  const frame = record(raw);
  if (!frame || typeof frame.sessionId !== 'string' || typeof frame.rootId !== 'string') return undefined;
  if (frame.origin === 'pluggy-lifecycle' && typeof frame.kind === 'string') {
    // Redact again: a client may have been configured without redaction. The frame's own
    // addressing is not data about the connection and must survive whatever the redactor matches.
    const addressing = Object.fromEntries(ADDRESSING.filter((key) => typeof frame[key] === 'string' || typeof frame[key] === 'number').map((key) => [key, frame[key]]));
    return { ...(redact(frame) as OutgoingFrame), ...addressing, origin: 'pluggy-lifecycle' } as OutgoingFrame;
  }
  if (typeof frame._version !== 'string') return undefined;
  const base = { origin: 'statelyai' as const, at: Number(frame.createdAt) || Date.now(), sessionId: frame.sessionId, rootId: frame.rootId };
  const snapshot = record(frame.snapshot);
  const event = (record(frame.event) ?? { type: 'unknown' }) as { type: string };
  switch (frame.type) {
    case '@xstate.actor': {
      let machineId: string | undefined;
      try {
        const definition = typeof frame.definition === 'string' ? record(JSON.parse(frame.definition)) : undefined;
        if (typeof definition?.id === 'string') machineId = definition.id;
      } catch {
        machineId = undefined;
      }
      return {
        ...base,
        kind: 'actor',
        actorId: typeof frame.name === 'string' ? frame.name : frame.sessionId,
        ...(typeof frame.parentId === 'string' ? { parentId: frame.parentId } : {}),
        ...(machineId ? { machineId } : {}),
        value: snapshot?.value,
        context: redact(snapshot?.context),
        ...(typeof snapshot?.status === 'string' ? { status: snapshot.status } : {}),
      };
    }
    case '@xstate.event':
      return { ...base, kind: 'event', ...(typeof frame.sourceId === 'string' ? { sourceId: frame.sourceId } : {}), event: redact(event) as { type: string } };
    case '@xstate.snapshot':
      return {
        ...base,
        kind: 'snapshot',
        event: redact(event) as { type: string },
        value: snapshot?.value,
        context: redact(snapshot?.context),
        status: typeof snapshot?.status === 'string' ? snapshot.status : 'active',
      };
    default:
      return undefined;
  }
}

/** Starts the inspector server. */
export async function startInspectorServer(options: InspectorServerOptions = {}): Promise<InspectorServer> {
  const host = options.host ?? '127.0.0.1';
  const replayLimit = options.replayLimit ?? 20_000;
  const redact = options.redact ?? defaultRedact;
  const frames: InspectorFrame[] = [];
  const viewers = new Set<WebSocket>();
  let seq = 0;
  let pending: InspectorFrame[] = [];
  let flushScheduled = false;
  const machine = JSON.stringify(describeMachine(connectionMachine));

  const authorized = (request: IncomingMessage): boolean => {
    if (options.token === undefined) return true;
    const url = new URL(request.url ?? '/', 'http://inspector');
    const header = request.headers['x-inspector-token'];
    return tokenMatches(options.token, url.searchParams.get('token') ?? (typeof header === 'string' ? header : undefined));
  };

  // On loopback, a web page the developer visits could still reach the inspector: through DNS
  // rebinding (its own name resolving to 127.0.0.1, seen in the Host header) or with a WebSocket,
  // which browsers open across origins. So the Host must be a loopback name, a viewer socket must
  // come from the inspector's own page, and, without a token, producers in a browser must be
  // served from loopback too.
  const loopback = isLoopback(host);
  const hostAllowed = (request: IncomingMessage): boolean => !loopback || isLoopback(hostnameOf(request.headers.host));
  const originAllowed = (request: IncomingMessage, path: string): boolean => {
    const origin = request.headers.origin;
    if (origin === undefined) return true; // not a browser: no page can drive it
    if (path === '/viewer') return origin === `http://${request.headers.host ?? ''}`;
    return options.token !== undefined || isLoopback(hostnameOf(origin));
  };

  const broadcast = () => {
    flushScheduled = false;
    if (pending.length === 0) return;
    const message = JSON.stringify({ type: 'frames', frames: pending });
    pending = [];
    for (const viewer of viewers) if (viewer.readyState === viewer.OPEN) viewer.send(message);
  };

  const accept = (raw: unknown) => {
    const frame = normalizeFrame(raw, redact);
    if (!frame) return;
    const numbered = { ...frame, seq: ++seq } as InspectorFrame;
    frames.push(numbered);
    if (frames.length > replayLimit) frames.splice(0, frames.length - replayLimit);
    pending.push(numbered);
    if (!flushScheduled) {
      flushScheduled = true;
      setTimeout(broadcast, 15).unref?.();
    }
  };

  const serveFile = async (response: ServerResponse, file: string) => {
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      response.end(body);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  };

  const server: Server = createServer((request, response) => {
    if (!hostAllowed(request)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end(`the inspector answers on ${host} only, not for host ${request.headers.host ?? '(none)'}`);
      return;
    }
    if (!authorized(request)) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('missing or wrong inspector token');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://inspector').pathname;
    if (path === '/' || path === '/index.html') return void serveFile(response, join(UI_DIR, 'index.html'));
    if (path === '/app.js' || path === '/styles.css') return void serveFile(response, join(UI_DIR, path.slice(1)));
    if (path === '/vendor/elk.bundled.js') {
      let elk: string;
      try {
        elk = require.resolve('elkjs/lib/elk.bundled.js');
      } catch {
        // elkjs is an optional peer: without it the list and the log work, the chart does not.
        response.writeHead(404, { 'content-type': 'text/plain' }).end('the chart needs elkjs: npm install elkjs');
        return;
      }
      return void serveFile(response, elk);
    }
    if (path === '/api/machine') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(machine);
      return;
    }
    if (path === '/api/frames') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(frames));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://inspector').pathname;
    if (!hostAllowed(request) || !originAllowed(request, path)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    if (!authorized(request)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      if (path === '/viewer') {
        viewers.add(ws);
        ws.send(JSON.stringify({ type: 'frames', frames, replay: true }));
        ws.on('close', () => viewers.delete(ws));
        return;
      }
      ws.on('message', (data: RawData) => {
        try {
          accept(JSON.parse(data.toString()));
        } catch {
          // A malformed frame is dropped; the producer goes on.
        }
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4242, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const query = options.token ? `?token=${encodeURIComponent(options.token)}` : '';
  return {
    url: `http://${shownHost}:${port}/${query}`,
    ingestUrl: `ws://${shownHost}:${port}/ingest${query}`,
    port,
    frames: () => frames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const viewer of viewers) viewer.terminate();
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
