/**
 * A simulated fleet: connections living the scripted scenarios on an accelerated clock, each
 * inspected, so that a person can watch every behaviour of the statechart in the inspector.
 */
import type { InspectionEvent } from 'xstate';
import type { Clock } from '../runtime/clock';
import { createConnection, type Connection } from '../runtime/connection';
import { SCENARIOS, type Scenario } from './scenarios';

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
  /** How many connections to keep alive (default 48: every scenario several times). */
  readonly connections?: number;
  /** Time acceleration (default 20: a 10-minute stall budget passes in 30 s). */
  readonly speed?: number;
  readonly inspect?: (event: InspectionEvent) => void;
  readonly onError?: (error: unknown) => void;
}

export interface Fleet {
  readonly connections: ReadonlyMap<string, Connection>;
  stop(): void;
}

/** Starts the fleet: connection i lives scenario i mod N, starting a little after the previous one. */
export function startFleet(options: FleetOptions = {}): Fleet {
  const speed = options.speed ?? 20;
  const clock = acceleratedClock(speed);
  const connections = new Map<string, Connection>();
  const timers = new Set<unknown>();
  const later = (ms: number, callback: () => void) => {
    const handle = clock.setTimeout(() => {
      timers.delete(handle);
      callback();
    }, ms);
    timers.add(handle);
  };

  const live = (scenario: Scenario, index: number) => {
    const itemId = `${scenario.name}-${String(index).padStart(3, '0')}`;
    const connection = createConnection({
      itemId,
      clock,
      mode: scenario.mode ?? 'poll',
      ...(scenario.openFinance ? { isOpenFinance: true } : {}),
      ...(scenario.parsing ? { parsing: scenario.parsing } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {}),
      onError: options.onError ?? (() => undefined),
    });
    connections.set(itemId, connection);
    const accounts = scenario.accounts ?? [1];
    let syncs = 0;
    connection.on('sync', () => {
      const found = accounts[Math.min(syncs++, accounts.length - 1)] ?? 1;
      later(1500, () => connection.send({ type: 'SYNC_DONE', accounts: found }));
    });
    for (const step of scenario.steps) {
      later(step.at, () => connection.send(step.send(itemId, new Date(clock.now()).toISOString())));
    }
  };

  const total = options.connections ?? 48;
  for (let index = 0; index < total; index++) {
    const scenario = SCENARIOS[index % SCENARIOS.length]!;
    later(index * 2500, () => live(scenario, index));
  }

  return {
    connections,
    stop() {
      for (const handle of timers) clock.clearTimeout(handle);
      timers.clear();
      for (const connection of connections.values()) connection.stop();
    },
  };
}
