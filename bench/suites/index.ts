/** Every suite, in report order. Loaded lazily: each process loads only the suite it runs. */
import type { Suite } from '../lib/suite';

export const SUITES: Readonly<Record<string, () => Suite>> = {
  decision: () => (require('./decision') as typeof import('./decision')).decisionSuite,
  transitions: () => (require('./transitions') as typeof import('./transitions')).transitionsSuite,
  memory: () => (require('./memory') as typeof import('./memory')).memorySuite,
  'durable-memory': () => (require('./durable-memory') as typeof import('./durable-memory')).durableMemorySuite,
  durable: () => (require('./durable') as typeof import('./durable')).durableSuite,
  scale: () => (require('./scale') as typeof import('./scale')).scaleSuite,
};
