/**
 * The inspection client: plugs into `createActor(machine, { inspect })` or
 * `createConnection({ inspect })`, turns XState's raw inspection events into redacted JSON
 * frames, and sends them to the inspector server over WebSocket. It reconnects after a close and
 * buffers (with a bound) while disconnected; inspection never throws into the inspected actor.
 */
import type { AnyStateNode, InspectionEvent } from 'xstate';
import { transitionKey } from '../src/spec/walk';
import type { FrameTransition, OutgoingFrame } from './protocol';
import { createRedactor, redact as defaultRedact, type Redactor } from './redact';
import { loadPeer } from '../src/peer';

/** The part of a WebSocket the client uses (`ws`'s and the WHATWG one both fit). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
}

export interface InspectorOptions {
  /** The server's ingest URL, e.g. `ws://127.0.0.1:4242/ingest?token=...`. */
  readonly url: string;
  /** `true` (default): the built-in redaction; `false`: none (never in production); or your own redactor. */
  readonly redact?: boolean | Redactor;
  /** Frames kept while disconnected; the oldest are dropped beyond it (default 5000). */
  readonly maxBuffer?: number;
  /** Delay before reconnecting after a close (default 1000 ms). */
  readonly reconnectMs?: number;
  /** Builds the socket; defaults to the `ws` package (or a global WebSocket). */
  readonly createSocket?: (url: string) => SocketLike;
}

export interface Inspector {
  /** Pass as `inspect` to `createActor` or `createConnection`. */
  readonly inspect: (event: InspectionEvent) => void;
  /** Frames waiting to be sent, and frames dropped because the buffer was full. */
  stats(): { buffered: number; dropped: number; sent: number; connected: boolean };
  /** Sends what is buffered if connected; resolves when the buffer is empty or after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>;
  close(): void;
}

const OPEN = 1;

function defaultSocket(url: string): SocketLike {
  const global = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (global) return new global(url);
  // Loaded only when inspection is on: hosts that never inspect do not need `ws`.
  const { WebSocket } = loadPeer<{ WebSocket: new (url: string) => SocketLike }>('ws', '8', 'The inspection client (on a Node without a global WebSocket)');
  return new WebSocket(url);
}

type Json = Record<string, unknown>;

function transitionsOf(event: InspectionEvent): FrameTransition[] {
  const raw = (event as { _transitions?: ReadonlyArray<{ source: AnyStateNode; eventType: string; target?: readonly AnyStateNode[] }> })._transitions;
  return (raw ?? []).map((transition) => ({
    key: transitionKey(transition),
    source: transition.source.path.join('.') || '(machine)',
    eventType: transition.eventType,
    targets: (transition.target ?? []).map((node) => node.path.join('.')),
  }));
}

function snapshotParts(snapshot: unknown): { value?: unknown; context?: unknown; status?: string } {
  const record = snapshot as { value?: unknown; context?: unknown; status?: unknown } | undefined;
  if (!record || typeof record !== 'object') return {};
  return { value: record.value, context: record.context, ...(typeof record.status === 'string' ? { status: record.status } : {}) };
}

/** Converts one XState inspection event into a frame (or nothing, for what the inspector does not show). */
export function toFrame(event: InspectionEvent, redact: Redactor, at = Date.now()): OutgoingFrame | undefined {
  const actor = event.actorRef as unknown as { sessionId: string; id: string; logic?: { id?: unknown }; _parent?: { sessionId: string } };
  const base = { origin: 'pluggy-lifecycle' as const, at, sessionId: actor.sessionId, rootId: event.rootId };
  const clean = (value: unknown) => redact(value) as Json;
  switch (event.type) {
    case '@xstate.actor': {
      const parts = snapshotParts(actor && 'getSnapshot' in actor ? (actor as { getSnapshot(): unknown }).getSnapshot() : undefined);
      return {
        ...base,
        kind: 'actor',
        actorId: actor.id,
        ...(actor._parent ? { parentId: actor._parent.sessionId } : {}),
        ...(typeof actor.logic?.id === 'string' ? { machineId: actor.logic.id } : {}),
        value: parts.value,
        context: redact(parts.context),
        ...(parts.status ? { status: parts.status } : {}),
      };
    }
    case '@xstate.event': {
      const source = event.sourceRef as { sessionId?: string } | undefined;
      return { ...base, kind: 'event', ...(source?.sessionId ? { sourceId: source.sessionId } : {}), event: clean(event.event) as { type: string } };
    }
    case '@xstate.snapshot': {
      const parts = snapshotParts(event.snapshot);
      return { ...base, kind: 'snapshot', event: clean(event.event) as { type: string }, value: parts.value, context: redact(parts.context), status: parts.status ?? 'active' };
    }
    case '@xstate.microstep': {
      const parts = snapshotParts(event.snapshot);
      return { ...base, kind: 'microstep', event: clean(event.event) as { type: string }, value: parts.value, transitions: transitionsOf(event) };
    }
    case '@xstate.action': {
      const action = event.action as { type: string; params?: unknown };
      if (action.type === 'xstate.emit') {
        const emitted = (action.params as { event?: unknown } | undefined)?.event;
        if (emitted && typeof emitted === 'object') return { ...base, kind: 'effect', effect: clean(emitted) as { type: string } };
      }
      return { ...base, kind: 'action', action: { type: action.type, ...(action.params !== undefined ? { params: redact(action.params) } : {}) } };
    }
    default:
      return undefined;
  }
}

/** Creates an inspection client. Nothing is sent until an actor is inspected. */
export function createInspector(options: InspectorOptions): Inspector {
  const redactor = options.redact === false ? (value: unknown) => value : typeof options.redact === 'function' ? options.redact : defaultRedact;
  const maxBuffer = options.maxBuffer ?? 5000;
  const reconnectMs = options.reconnectMs ?? 1000;
  const createSocket = options.createSocket ?? defaultSocket;
  const buffer: string[] = [];
  let dropped = 0;
  let sent = 0;
  let socket: SocketLike | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const drain = () => {
    while (socket && socket.readyState === OPEN && buffer.length > 0) {
      const frame = buffer.shift()!;
      try {
        socket.send(frame);
        sent++;
      } catch {
        buffer.unshift(frame);
        return;
      }
    }
  };

  const connect = () => {
    if (closed) return;
    try {
      const next = createSocket(options.url);
      socket = next;
      next.addEventListener('open', drain);
      next.addEventListener('close', () => {
        if (socket === next) socket = undefined;
        if (!closed && retry === undefined) {
          retry = setTimeout(() => {
            retry = undefined;
            connect();
          }, reconnectMs);
          retry.unref?.();
        }
      });
      next.addEventListener('error', () => undefined);
    } catch {
      socket = undefined;
    }
  };

  const enqueue = (frame: OutgoingFrame) => {
    buffer.push(JSON.stringify(frame));
    if (buffer.length > maxBuffer) dropped += buffer.splice(0, buffer.length - maxBuffer).length;
    if (!socket && !closed && retry === undefined) connect();
    drain();
  };

  return {
    inspect(event) {
      try {
        const frame = toFrame(event, redactor);
        if (frame) enqueue(frame);
      } catch {
        // Inspection must never break the inspected actor.
      }
    },
    stats: () => ({ buffered: buffer.length, dropped, sent, connected: socket?.readyState === OPEN }),
    async flush(timeoutMs = 2000) {
      const until = Date.now() + timeoutMs;
      while (buffer.length > 0 && Date.now() < until) {
        drain();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      socket?.close();
      socket = undefined;
    },
  };
}

export { createRedactor, defaultRedact as redact };
