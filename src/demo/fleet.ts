/**
 * A simulated fleet: connections living the scripted scenarios on an accelerated clock, each
 * inspected, so that a person can watch every behaviour of the statechart in the inspector.
 *
 * Each connection has a simulated Pluggy item behind it. The fleet plays the host's part as a real
 * one would: it answers `fetch` with the item as Pluggy has it now (a 404 once it is deleted), and
 * `sync` with `SYNC_DONE` after reading the scripted number of accounts. So polling, backoff,
 * duplicates and webhooks-as-hints happen the way they do in production.
 */
import type { InspectionEvent } from 'xstate';
import type { Effect } from '../machine/effects';
import type { Clock } from '../runtime/clock';
import type { ConnectionCommand } from '../runtime/commands';
import { createConnection, type Connection } from '../runtime/connection';
import { SCENARIOS, type Scenario, type ScenarioWorld } from './scenarios';

/** A clock that runs `speed` times faster than the wall clock. */
export function acceleratedClock(speed: number, start = Date.now()): Clock {
  const origin = Date.now();
  return {
    now: () => start + (Date.now() - origin) * speed,
    setTimeout: (callback, ms) => {
      const handle = setTimeout(callback, Math.max(0, ms / speed));
      handle.unref?.();
      return handle;
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

export interface FleetOptions {
  /** How many connections to start (default: every scenario three times). */
  readonly connections?: number;
  /** Time acceleration when no clock is given (default 20: the 10-minute stall budget passes in 30 s). */
  readonly speed?: number;
  /** The clock connections and scripts run on (default: an accelerated wall clock). */
  readonly clock?: Clock;
  /** Scenario time between two connection starts (default 4 s). */
  readonly spacingMs?: number;
  /** How long `GET /items/{id}` and reading the data take, in scenario time (default 400 ms and 1.5 s). */
  readonly latency?: { readonly fetchMs?: number; readonly syncMs?: number };
  readonly scenarios?: readonly Scenario[];
  readonly inspect?: (event: InspectionEvent) => void;
  readonly onError?: (error: unknown) => void;
}

export interface FleetMember {
  readonly itemId: string;
  readonly scenario: Scenario;
  readonly connection: Connection;
  /** Every effect the connection emitted, in order. */
  readonly effects: readonly Effect[];
  /** Commands the connection refused (none expected: the scripts send valid Pluggy JSON). */
  readonly rejected: readonly string[];
}

export interface Fleet {
  readonly members: ReadonlyMap<string, FleetMember>;
  /** Scenario time at which the last connection has played its last step. */
  readonly scriptedUntil: number;
  stop(): void;
}

const DEFAULT_COPIES = 3;

/** Starts the fleet: connection i lives scenario i mod N, `spacingMs` after the previous one. */
export function startFleet(options: FleetOptions = {}): Fleet {
  const clock = options.clock ?? acceleratedClock(options.speed ?? 20);
  const scenarios = options.scenarios ?? SCENARIOS;
  const total = options.connections ?? scenarios.length * DEFAULT_COPIES;
  const spacingMs = options.spacingMs ?? 4000;
  const fetchMs = options.latency?.fetchMs ?? 400;
  const syncMs = options.latency?.syncMs ?? 1500;
  const members = new Map<string, FleetMember>();
  const timers = new Set<unknown>();
  let stopped = false;

  const later = (ms: number, callback: () => void) => {
    const handle = clock.setTimeout(() => {
      timers.delete(handle);
      if (!stopped) callback();
    }, ms);
    timers.add(handle);
  };

  const live = (scenario: Scenario, index: number) => {
    const itemId = `${scenario.name}-${String(index).padStart(3, '0')}`;
    const openFinance = scenario.openFinance === true;
    const connection = createConnection({
      itemId,
      clock,
      mode: scenario.mode ?? 'poll',
      ...(scenario.parsing ? { parsing: scenario.parsing } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {}),
      onError: options.onError ?? (() => undefined),
    });
    const effects: Effect[] = [];
    const rejected: string[] = [];
    members.set(itemId, { itemId, scenario, connection, effects, rejected });

    const iso = (ms: number) => new Date(ms).toISOString();
    const createdAt = iso(clock.now());
    const itemJson = (status: string, executionStatus: string, updatedAt: string, extra: Record<string, unknown> = {}) => ({
      id: itemId,
      connector: openFinance ? { id: 601, name: 'Banco Aberto (Open Finance)', isOpenFinance: true } : { id: 201, name: 'Banco Exemplo', isOpenFinance: false },
      status,
      executionStatus,
      createdAt,
      updatedAt,
      lastUpdatedAt: status === 'UPDATED' ? updatedAt : null,
      parameter: null,
      userAction: null,
      error: null,
      statusDetail: null,
      ...extra,
    });

    // Pluggy's side of this connection.
    let item: Record<string, unknown> | undefined;
    let deleted = false;
    let lastUpdatedAt = 0;

    const send = (command: ConnectionCommand) => {
      const result = connection.send(command);
      if (!result.ok) rejected.push(result.error.message);
    };
    const answerFetch = () => {
      if (deleted) send({ type: 'FETCH_FAILED', error: { status: 404, code: 'ITEM_NOT_FOUND', message: 'Item not found' } });
      else if (item) send({ type: 'SNAPSHOT', item });
    };

    const accounts = scenario.accounts ?? [1];
    let reads = 0;
    connection.on('*', (effect) => {
      effects.push(effect);
      if (effect.type === 'fetch') later(fetchMs, answerFetch);
      if (effect.type === 'sync') {
        const found = accounts[Math.min(reads++, accounts.length - 1)] ?? 1;
        later(syncMs, () => send({ type: 'SYNC_DONE', accounts: found }));
      }
    });

    const world: ScenarioWorld = {
      item(status, executionStatus, extra) {
        // Pluggy's updatedAt only moves forward, whatever the clock's resolution.
        lastUpdatedAt = Math.max(clock.now(), lastUpdatedAt + 1);
        const updatedAt = iso(lastUpdatedAt);
        const first = item === undefined;
        item = itemJson(status, executionStatus, updatedAt, extra?.(updatedAt));
        // The host learns of a new item from the Connect widget and reads it once.
        if (first) send({ type: 'SNAPSHOT', item });
      },
      webhook(event, eventId) {
        send({ type: 'WEBHOOK', payload: { event, eventId: `${itemId}:${eventId}`, itemId, triggeredBy: 'SYNC' } });
      },
      remove() {
        deleted = true;
      },
      refetch() {
        later(fetchMs, answerFetch);
      },
      stale(status, executionStatus, minutesEarlier) {
        send({ type: 'SNAPSHOT', item: itemJson(status, executionStatus, iso(lastUpdatedAt - minutesEarlier * 60_000)) });
      },
      send,
    };
    for (const step of scenario.steps) later(step.at, () => step.run(world));
  };

  let scriptedUntil = clock.now();
  for (let index = 0; index < total; index++) {
    const scenario = scenarios[index % scenarios.length]!;
    const startAt = index * spacingMs;
    scriptedUntil = Math.max(scriptedUntil, clock.now() + startAt + Math.max(0, ...scenario.steps.map((step) => step.at)));
    later(startAt, () => live(scenario, index));
  }

  return {
    members,
    scriptedUntil,
    stop() {
      stopped = true;
      for (const handle of timers) clock.clearTimeout(handle);
      timers.clear();
      for (const member of members.values()) member.connection.stop();
    },
  };
}
