/**
 * Waiting for the HTTP traffic of one test to settle. pluggy-sdk (got) sends through node's global
 * agent, which every test file run in the same jest worker shares: only the requests to this test's
 * own servers count, or a socket another file left open would keep the wait going for ever.
 */
import http from 'node:http';

type AgentTables = http.Agent & { requests: NodeJS.ReadOnlyDict<unknown[]>; sockets: NodeJS.ReadOnlyDict<unknown[]> };

/** The port of an `http://host:port/...` URL. */
export const portOf = (url: string): string => new URL(url).port;

/** Requests the global agent has queued or on the wire to one of `ports` (its table keys are `host:port:...`). */
export function requestsInFlightTo(ports: readonly string[]): number {
  const agent = http.globalAgent as AgentTables;
  let count = 0;
  for (const table of [agent.requests, agent.sockets]) {
    for (const [name, list] of Object.entries(table)) if (ports.includes(name.split(':')[1] ?? '')) count += list?.length ?? 0;
  }
  return count;
}

/**
 * Awaits `serverSettled` until no client request to `ports()` is left. Each round yields to the
 * event loop, so a response on its way is read; a wait that never ends names what is pending.
 */
export async function settleLoopback(serverSettled: () => Promise<void>, ports: () => readonly string[], maxRounds = 10_000): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    await serverSettled();
    if (requestsInFlightTo(ports()) === 0) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`expected the requests to ports ${ports().join(', ')} to finish; ${requestsInFlightTo(ports())} still pending after ${maxRounds} rounds`);
}
