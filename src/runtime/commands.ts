/**
 * What a host may send to a connection, validated: raw item JSON and webhook bodies are parsed
 * here, so nothing malformed reaches the statechart.
 */
import { InputError, issue } from '../errors';
import type { ConnectionEvent, FetchError } from '../machine/events';
import type { ParseWarning, ParsingMode } from '../vocabulary/fields';
import { safeParseItem } from '../vocabulary/item';
import { safeParseWebhook } from '../vocabulary/webhook';

/** A command as a host writes it: `item` and `payload` are raw JSON (objects or text). */
export type ConnectionCommand =
  | { readonly type: 'SNAPSHOT'; readonly item: unknown }
  | { readonly type: 'WEBHOOK'; readonly payload: unknown }
  | { readonly type: 'RECONNECT' }
  | { readonly type: 'SYNC_DONE'; readonly accounts: number }
  | { readonly type: 'SYNC_FAILED'; readonly error?: unknown }
  /** `error` may be anything a fetch rejects with: an `Error`, pluggy-sdk's plain response body `{ code: 404, codeDescription }`... */
  | { readonly type: 'FETCH_FAILED'; readonly error: unknown };

export const COMMAND_TYPES = ['SNAPSHOT', 'WEBHOOK', 'RECONNECT', 'SYNC_DONE', 'SYNC_FAILED', 'FETCH_FAILED'] as const;

export type CommandResult =
  | { readonly ok: true; readonly event: ConnectionEvent; readonly warnings: readonly ParseWarning[] }
  | { readonly ok: false; readonly error: InputError };

export interface CommandContext {
  readonly itemId: string;
  readonly at: number;
  readonly parsing?: ParsingMode;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** Reads the HTTP status and Pluggy error code out of whatever a failed fetch rejected with. */
export function toFetchError(error: unknown): FetchError {
  const response = field(error, 'response');
  const numbers = [field(error, 'status'), field(error, 'statusCode'), field(error, 'code'), field(response, 'statusCode')];
  const status = numbers.find((value): value is number => typeof value === 'number');
  const codes = [field(error, 'codeDescription'), field(error, 'code')];
  const code = codes.find((value): value is string => typeof value === 'string');
  const message = field(error, 'message');
  return {
    ...(status !== undefined ? { status } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(typeof message === 'string' ? { message } : typeof error === 'string' ? { message: error } : {}),
  };
}

function describeError(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  const message = field(error, 'message');
  return typeof message === 'string' ? message : JSON.stringify(error) ?? String(error);
}

function fail(input: unknown, path: string, expected: string, value: unknown, message?: string): CommandResult {
  return { ok: false, error: new InputError('event', [issue(path, expected, value, message)], input) };
}

/** Validates a command and turns it into the machine's event, stamped with `at`. Never throws. */
export function toConnectionEvent(command: unknown, context: CommandContext): CommandResult {
  const type = field(command, 'type');
  const at = context.at;
  const options = { parsing: context.parsing ?? 'strict' } as const;
  switch (type) {
    case 'SNAPSHOT': {
      const parsed = safeParseItem(field(command, 'item'), options);
      if (!parsed.success) return { ok: false, error: parsed.error };
      if (parsed.data.id !== context.itemId) {
        return fail(field(command, 'item'), 'item.id', `this connection's item id ${JSON.stringify(context.itemId)}`, parsed.data.id);
      }
      return { ok: true, event: { type, item: parsed.data, at }, warnings: parsed.warnings };
    }
    case 'WEBHOOK': {
      const parsed = safeParseWebhook(field(command, 'payload'), options);
      if (!parsed.success) return { ok: false, error: parsed.error };
      return { ok: true, event: { type, payload: parsed.data, at }, warnings: parsed.warnings };
    }
    case 'RECONNECT':
      return { ok: true, event: { type, at }, warnings: [] };
    case 'SYNC_DONE': {
      const accounts = field(command, 'accounts');
      if (typeof accounts !== 'number' || !Number.isInteger(accounts) || accounts < 0) {
        return fail(command, 'accounts', 'the number of accounts read (an integer >= 0)', accounts);
      }
      return { ok: true, event: { type, accounts, at }, warnings: [] };
    }
    case 'SYNC_FAILED': {
      const error = describeError(field(command, 'error'));
      return { ok: true, event: { type, ...(error !== undefined ? { error } : {}), at }, warnings: [] };
    }
    case 'FETCH_FAILED':
      return { ok: true, event: { type, error: toFetchError(field(command, 'error')), at }, warnings: [] };
    default:
      if (command === null || typeof command !== 'object') return fail(command, '', 'a command object with a type', command);
      return fail(command, 'type', `one of ${COMMAND_TYPES.join(', ')}`, type);
  }
}
