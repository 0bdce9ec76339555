/** Event streams for the crash and several-worker tests: many items, realistic lifecycles, retried webhooks. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { itemJson, T0 } from '../support';
import type { StreamEvent } from './crash-worker';
import { mulberry32 } from '../../src/sandbox/prng';

/** A seeded generator, so a failing stream can be generated again from its seed. */
export const random = mulberry32;

export const itemIds = (count: number) => Array.from({ length: count }, (_, index) => `item-${String(index).padStart(3, '0')}-4c7d-8e9f-0a1b2c3d4e5f`);

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['UPDATING', 'LOGIN_IN_PROGRESS'],
  ['UPDATING', 'ACCOUNTS_IN_PROGRESS'],
  ['WAITING_USER_INPUT', 'WAITING_USER_INPUT'],
  ['UPDATED', 'PARTIAL_SUCCESS'],
  ['UPDATED', 'SUCCESS'],
  ['LOGIN_ERROR', 'INVALID_CREDENTIALS'],
  ['OUTDATED', 'SUCCESS'],
];

export interface StreamOptions {
  readonly seed: number;
  readonly items: number;
  readonly events: number;
  /** Only snapshots and webhooks: events whose order between workers does not change where an item ends. */
  readonly orderFree?: boolean;
}

/**
 * Events in time order. Every event has an eventId (a webhook's own, retried deliveries repeat
 * it); snapshots are newer each time, deadlines lie ahead, and Open Finance items with partial
 * successes get zero-account syncs, so polls, stall budgets, deadlines and re-reads all fall due.
 */
export function generateStream(options: StreamOptions): { events: StreamEvent[]; until: number } {
  const next = random(options.seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const items = itemIds(options.items);
  const hooks = new Map<string, string[]>();
  const events: StreamEvent[] = [];
  let at = T0;
  for (let index = 0; index < options.events; index++) {
    at += 20 + Math.floor(next() * 2500);
    const itemId = pick(items);
    const roll = next();
    const eventId = `e-${options.seed}-${index}`;
    if (roll < 0.4) {
      const [status, executionStatus] = pick(PAIRS);
      const extra = status === 'WAITING_USER_INPUT' ? { parameter: { name: 'token', expiresAt: new Date(at + 45_000).toISOString() } } : {};
      const openFinance = itemId.endsWith('0-4c7d-8e9f-0a1b2c3d4e5f') || index % 3 === 0;
      events.push({ itemId, eventId, at, command: { type: 'SNAPSHOT', item: itemJson(status!, executionStatus!, at, { id: itemId, connector: { id: 601, name: 'Itaú', isOpenFinance: openFinance }, ...extra }) } });
    } else if (roll < 0.8 || options.orderFree) {
      // A third of the webhooks are Pluggy's retries of an earlier delivery.
      const sent = hooks.get(itemId) ?? [];
      const retry = sent.length > 0 && next() < 0.35;
      const id = retry ? pick(sent.slice(-3)) : `hook-${options.seed}-${index}`;
      if (!retry) hooks.set(itemId, [...sent, id]);
      events.push({ itemId, at, command: { type: 'WEBHOOK', payload: { event: pick(['item/updated', 'item/updated', 'item/login_succeeded', 'transactions/created']), eventId: id, itemId } } });
    } else if (roll < 0.95) {
      events.push({ itemId, eventId, at, command: { type: 'SYNC_DONE', accounts: next() < 0.5 ? 0 : 2 } });
    } else {
      events.push({ itemId, eventId, at, command: { type: 'RECONNECT' } });
    }
  }
  return { events, until: at + 15 * 60_000 };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const WORKER = join(__dirname, 'crash-worker.ts');

/** Starts a worker process; `killAtEvent` kills it with SIGKILL once it reports having reached that event of the stream. */
export function runWorker(settings: object, options: { killAtEvent?: number; timeoutMs?: number } = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', WORKER], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, WORKER: JSON.stringify(settings), TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (killed || options.killAtEvent === undefined) return;
      // The worker prints `at N` after each batch; the kill lands wherever it is by the time the line arrives.
      const reached = [...stdout.matchAll(/^at (\d+)$/gm)].some((match) => Number(match[1]) >= options.killAtEvent!);
      if (reached) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
