/**
 * What travels from an inspected actor to the inspector server, and from the server to the
 * browser: JSON frames, one per XState inspection event (already redacted).
 */

/** A state transition XState took in a microstep, keyed like the generated spec's transitions. */
export interface FrameTransition {
  /** `<source path> <event type> #<index>`: the key of `docs/transitions.md`. */
  readonly key: string;
  readonly source: string;
  readonly eventType: string;
  readonly targets: readonly string[];
}

interface FrameBase {
  /** Where the frame came from: this library's client, or `@statelyai/inspect`'s WebSocket inspector. */
  readonly origin: 'pluggy-lifecycle' | 'statelyai';
  /** Order of arrival at the server (set by the server). */
  readonly seq: number;
  /** Epoch ms when the event happened. */
  readonly at: number;
  /** The actor the frame is about. */
  readonly sessionId: string;
  /** The root actor of its system: one connection. */
  readonly rootId: string;
}

export type InspectorFrame = FrameBase &
  (
    | {
        readonly kind: 'actor';
        readonly actorId: string;
        readonly parentId?: string;
        readonly machineId?: string;
        readonly value?: unknown;
        readonly context?: unknown;
        readonly status?: string;
      }
    | { readonly kind: 'event'; readonly sourceId?: string; readonly event: { readonly type: string } & Record<string, unknown> }
    | {
        readonly kind: 'snapshot';
        readonly event: { readonly type: string } & Record<string, unknown>;
        readonly value: unknown;
        readonly context: unknown;
        readonly status: string;
      }
    | {
        readonly kind: 'microstep';
        readonly event: { readonly type: string } & Record<string, unknown>;
        readonly value: unknown;
        readonly transitions: readonly FrameTransition[];
      }
    | { readonly kind: 'action'; readonly action: { readonly type: string; readonly params?: unknown } }
    | { readonly kind: 'effect'; readonly effect: { readonly type: string } & Record<string, unknown> }
  );

export type FrameKind = InspectorFrame['kind'];

/** A frame as a client sends it: the server numbers it. */
export type OutgoingFrame = InspectorFrame extends infer F ? (F extends InspectorFrame ? Omit<F, 'seq'> : never) : never;
