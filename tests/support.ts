/** Test helpers: items written like Pluggy's JSON, and a connection on a simulated clock. */
import { createConnection, SimulatedClock, type ConnectionOptions, type Effect, type EffectType } from '../src';

export const ITEM_ID = '2f8c1d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
export const T0 = Date.parse('2026-11-30T12:00:00.000Z');

/** An item as `GET /items/{id}` returns it (JSON, dates as ISO strings). */
export function itemJson(status: string, executionStatus: string, updatedAtMs: number, extra: Record<string, unknown> = {}) {
  return {
    id: ITEM_ID,
    connector: { id: 201, name: 'Banco Exemplo', isOpenFinance: false },
    status,
    executionStatus,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(updatedAtMs).toISOString(),
    lastUpdatedAt: null,
    parameter: null,
    userAction: null,
    error: null,
    statusDetail: null,
    ...extra,
  };
}

export function harness(options: Partial<ConnectionOptions> = {}) {
  const clock = new SimulatedClock(T0);
  const errors: unknown[] = [];
  const connection = createConnection({ itemId: ITEM_ID, clock, onError: (error) => errors.push(error), ...options });
  const effects: Effect[] = [];
  connection.on('*', (effect) => effects.push(effect));
  let updatedAt = T0;
  return {
    clock,
    connection,
    effects,
    errors,
    /** Sends a snapshot whose updatedAt is one second newer than the previous one, at the current time. */
    snapshot(status: string, executionStatus: string, extra: Record<string, unknown> = {}) {
      updatedAt = Math.max(updatedAt + 1000, clock.now());
      return connection.send({ type: 'SNAPSHOT', item: itemJson(status, executionStatus, updatedAt, extra) });
    },
    /** Sends the exact item JSON given (to test staleness and duplicates). */
    raw(item: unknown) {
      return connection.send({ type: 'SNAPSHOT', item });
    },
    state: () => connection.getState().value,
    types: () => effects.map((effect) => effect.type),
    ofType<T extends EffectType>(type: T) {
      return effects.filter((effect): effect is Extract<Effect, { type: T }> => effect.type === type);
    },
    clearEffects: () => effects.splice(0, effects.length),
  };
}
