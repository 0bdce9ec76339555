/**
 * Replays a recorded sequence (JSON lines) through one connection on a simulated clock.
 * Used by `pluggy-lifecycle replay`; exported so tests and tools can replay in-process.
 */
import { InputError, issue } from '../errors';
import type { DriveMode } from '../machine/context';
import type { Effect } from '../machine/effects';
import type { ParsingMode } from '../vocabulary/fields';
import { SimulatedClock } from '../runtime/clock';
import type { ConnectionCommand } from '../runtime/commands';
import { createConnection } from '../runtime/connection';

export interface ReplayOptions {
  readonly mode?: DriveMode;
  readonly isOpenFinance?: boolean;
  readonly parsing?: ParsingMode;
  /** Clock start when the file holds no snapshot (default: now). */
  readonly now?: number;
}

export type ReplayOutput =
  | { readonly line: number; readonly state: string; readonly effects: readonly Effect[] }
  | { readonly line: number; readonly error: string };

/** The keys a replay line may hold, one per line. */
export const REPLAY_KEYS = ['snapshot', 'webhook', 'reconnect', 'syncDone', 'syncFailed', 'fetchFailed', 'advance'] as const;
type ReplayKey = (typeof REPLAY_KEYS)[number];

type ReplayStep = { readonly command: ConnectionCommand } | { readonly advance: number };

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Reads one line into a step, or explains what is wrong with it. */
export function readReplayLine(text: string): ReplayStep | InputError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new InputError('replay line', [issue('', 'a JSON object', text, `malformed JSON (${reason})`)], text);
  }
  const line = record(value);
  const keys = line ? Object.keys(line) : [];
  const expected = `an object with exactly one of ${REPLAY_KEYS.join(', ')}`;
  if (!line || keys.length !== 1 || !(REPLAY_KEYS as readonly string[]).includes(keys[0]!)) {
    const received = line ? `keys ${keys.join(', ') || '(none)'}` : undefined;
    return new InputError('replay line', [issue('', expected, value, received ? `(root): expected ${expected}, received ${received}` : undefined)], value);
  }
  const key = keys[0] as ReplayKey;
  const body = line[key];
  switch (key) {
    case 'snapshot':
      return { command: { type: 'SNAPSHOT', item: body } };
    case 'webhook':
      return { command: { type: 'WEBHOOK', payload: body } };
    case 'reconnect':
      return { command: { type: 'RECONNECT' } };
    case 'syncDone':
      return { command: { type: 'SYNC_DONE', accounts: record(body)?.accounts as number } };
    case 'syncFailed':
      return { command: { type: 'SYNC_FAILED', error: record(body)?.error ?? body } };
    case 'fetchFailed':
      return { command: { type: 'FETCH_FAILED', error: body } };
    case 'advance':
      if (typeof body !== 'number' || !Number.isFinite(body) || body < 0) {
        return new InputError('replay line', [issue('advance', 'a number of milliseconds >= 0', body)], value);
      }
      return { advance: body };
  }
}

/** The item followed and the clock start: the first snapshot's id and updatedAt, else the first webhook's itemId. */
function scan(lines: readonly string[], fallbackNow: number): { itemId: string; start: number } {
  let itemId: string | undefined;
  let start: number | undefined;
  for (const text of lines) {
    let line: Record<string, unknown> | undefined;
    try {
      line = record(JSON.parse(text));
    } catch {
      continue;
    }
    const snapshot = record(line?.snapshot);
    const webhook = record(line?.webhook);
    if (snapshot && typeof snapshot.id === 'string') {
      itemId ??= snapshot.id;
      if (start === undefined && (typeof snapshot.updatedAt === 'string' || snapshot.updatedAt instanceof Date)) {
        const time = new Date(snapshot.updatedAt).getTime();
        if (!Number.isNaN(time)) start = time;
      }
    }
    if (webhook && typeof webhook.itemId === 'string') itemId ??= webhook.itemId;
    if (itemId !== undefined && start !== undefined) break;
  }
  return { itemId: itemId ?? 'replay', start: start ?? fallbackNow };
}

/** Runs every line; a bad line yields an `error` output and the replay goes on. Blank lines are skipped. */
export function replay(lines: readonly string[], options: ReplayOptions = {}): ReplayOutput[] {
  const { itemId, start } = scan(lines, options.now ?? Date.now());
  const clock = new SimulatedClock(start);
  const connection = createConnection({
    itemId,
    clock,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.isOpenFinance !== undefined ? { isOpenFinance: options.isOpenFinance } : {}),
    ...(options.parsing ? { parsing: options.parsing } : {}),
    onError: () => undefined,
  });
  let effects: Effect[] = [];
  connection.on('*', (effect) => effects.push(effect));
  const outputs: ReplayOutput[] = [];
  lines.forEach((text, index) => {
    const line = index + 1;
    if (text.trim() === '') return;
    effects = [];
    const step = readReplayLine(text);
    if (step instanceof InputError) {
      outputs.push({ line, error: step.message });
      return;
    }
    if ('advance' in step) {
      clock.advance(step.advance);
    } else {
      const result = connection.send(step.command);
      if (!result.ok) {
        outputs.push({ line, error: result.error.message });
        return;
      }
    }
    outputs.push({ line, state: connection.getState().value, effects });
  });
  connection.stop();
  return outputs;
}
