/**
 * `pluggy-lifecycle/inspector`: the inspection client and its redaction, for hosts that send
 * frames to an inspector. The server is `pluggy-lifecycle/inspector/server` (it needs `ws`).
 */
export { createInspector, toFrame, type Inspector, type InspectorOptions, type SocketLike } from './client';
export { createRedactor, redact, redactText, REDACTED, SECRET_KEY, type Redactor } from './redact';
export type { InspectorFrame, FrameTransition, FrameKind, OutgoingFrame } from './protocol';
