/** `pluggy-lifecycle/inspector`: the inspection client and the self-hosted inspector server. */
export { createInspector, toFrame, type Inspector, type InspectorOptions, type SocketLike } from './client';
export { startInspectorServer, normalizeFrame, tokenMatches, type InspectorServer, type InspectorServerOptions } from './server';
export { createRedactor, redact, REDACTED, type Redactor } from './redact';
export type { InspectorFrame, FrameTransition, FrameKind } from './protocol';
