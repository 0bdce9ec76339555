/**
 * Applies recorded events to a store, durably: `pluggy-lifecycle ingest --store ... FILE.jsonl`.
 * Lines are replay's lines, each naming its item; like replay, time is simulated: it starts at the
 * first snapshot's `updatedAt` and moves with `{"advance":MS}` (or a line's `at`), and the timers
 * that fall due on the way fire from the store. Running the same file again applies nothing twice:
 * every line has an eventId (a webhook's own, or one derived from the file and the line number).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InputError, issue } from '../errors';
import type { DriveMode } from '../machine/context';
import type { Effect } from '../machine/effects';
import type { ConnectionCommand } from '../runtime/commands';
import type { ParsingMode } from '../vocabulary/fields';
import { createProcessor } from '../durable/processor';
import type { ConnectionStore } from '../durable/store';
import { openStore } from '../stores/open';
import { readReplayLine } from './replay';

export interface IngestOptions {
  readonly mode?: DriveMode;
  readonly isOpenFinance?: boolean;
  readonly parsing?: ParsingMode;
  /** Clock start when the file holds no snapshot (default: now). */
  readonly now?: number;
}

/** Timers that fired on a line, per connection. */
export interface Fired {
  readonly itemId: string;
  readonly state: string;
  readonly effects: readonly Effect[];
}

export type IngestOutput =
  | { readonly line: number; readonly itemId: string; readonly state: string; readonly effects: readonly Effect[]; readonly fired?: readonly Fired[] }
  | { readonly line: number; readonly itemId: string; readonly duplicate: string; readonly fired?: readonly Fired[] }
  | { readonly line: number; readonly fired: readonly Fired[] }
  | { readonly line: number; readonly itemId?: string; readonly error: string };

/** The keys an ingest line may hold besides replay's one key. */
export const INGEST_KEYS = ['itemId', 'eventId', 'at'] as const;

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

function clockStart(lines: readonly string[], fallback: number): number {
  for (const text of lines) {
    try {
      const line = record(JSON.parse(text));
      const at = timeOf(line?.at);
      if (at !== undefined) return at;
      const updatedAt = timeOf(record(line?.snapshot)?.updatedAt);
      if (updatedAt !== undefined) return updatedAt;
    } catch {
      // A bad line is reported when its turn comes.
    }
  }
  return fallback;
}

type Parsed =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'event'; readonly itemId: string; readonly eventId?: string; readonly at?: number; readonly command: ConnectionCommand }
  | { readonly kind: 'error'; readonly itemId?: string; readonly error: string };

function parseLine(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // readReplayLine words the malformed-JSON error.
    const step = readReplayLine(text);
    return { kind: 'error', error: step instanceof InputError ? step.message : 'invalid ingest line' };
  }
  const line = record(value);
  if (!line) return { kind: 'error', error: new InputError('replay line', [issue('', 'a JSON object', value)], value).message };
  const { itemId: givenItem, eventId, at, ...rest } = line;
  const fail = (path: string, expected: string, received: unknown) => ({ kind: 'error' as const, error: new InputError('replay line', [issue(path, expected, received)], value).message });
  if (eventId !== undefined && (typeof eventId !== 'string' || eventId === '')) return fail('eventId', 'a non-empty string', eventId);
  const time = at === undefined ? undefined : timeOf(at);
  if (at !== undefined && time === undefined) return fail('at', 'epoch milliseconds or an ISO 8601 date', at);
  const step = readReplayLine(JSON.stringify(rest));
  if (step instanceof InputError) return { kind: 'error', error: step.message };
  if ('advance' in step) return { kind: 'advance', ms: step.advance };
  const itemId = givenItem ?? record(rest.snapshot)?.id ?? record(rest.webhook)?.itemId;
  if (typeof itemId !== 'string' || itemId === '') {
    return fail('itemId', "the item the line is about (an itemId key, a snapshot's id or a webhook's itemId)", givenItem);
  }
  return { kind: 'event', itemId, command: step.command, ...(eventId !== undefined ? { eventId } : {}), ...(time !== undefined ? { at: time } : {}) };
}

/** Applies every line to the store; a bad line yields an `error` output and the others go on. Blank lines are skipped. */
export async function ingest(lines: readonly string[], store: ConnectionStore, options: IngestOptions = {}): Promise<IngestOutput[]> {
  let clock = clockStart(lines, options.now ?? Date.now());
  // Lines without an eventId are keyed by the file's content and their number: the same file
  // ingested again (after a crash, say) is recognised line by line.
  const digest = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  const processor = createProcessor({
    store,
    ...(options.parsing ? { parsing: options.parsing } : {}),
    connections: {
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.isOpenFinance !== undefined ? { isOpenFinance: options.isOpenFinance } : {}),
    },
  });
  const advanceTo = async (target: number): Promise<Fired[]> => {
    if (target < clock) return [];
    clock = target;
    const outcomes = await processor.fireDueTimers(target);
    return outcomes.filter((outcome) => outcome.fired > 0).map(({ itemId, state, effects }) => ({ itemId, state, effects: effects.map((delivery) => delivery.effect) }));
  };
  const outputs: IngestOutput[] = [];
  for (const [index, text] of lines.entries()) {
    const line = index + 1;
    if (text.trim() === '') continue;
    const parsed = parseLine(text);
    if (parsed.kind === 'error') {
      outputs.push({ line, ...(parsed.itemId ? { itemId: parsed.itemId } : {}), error: parsed.error });
      continue;
    }
    if (parsed.kind === 'advance') {
      outputs.push({ line, fired: await advanceTo(clock + parsed.ms) });
      continue;
    }
    const fired = parsed.at !== undefined ? await advanceTo(parsed.at) : [];
    const withFired = fired.length > 0 ? { fired } : {};
    const outcome = await processor.process({
      itemId: parsed.itemId,
      command: parsed.command,
      // A webhook's own eventId dedupes Pluggy's retries, whichever file they were recorded in.
      ...(parsed.eventId !== undefined ? { eventId: parsed.eventId } : parsed.command.type === 'WEBHOOK' ? {} : { eventId: `${digest}:${line}` }),
      at: parsed.at ?? clock,
    });
    switch (outcome.kind) {
      case 'applied':
        outputs.push({ line, itemId: outcome.itemId, state: outcome.state, effects: outcome.effects.map((delivery) => delivery.effect), ...withFired });
        break;
      case 'duplicate':
        outputs.push({ line, itemId: outcome.itemId, duplicate: outcome.eventId, ...withFired });
        break;
      case 'rejected':
      case 'quarantined':
        outputs.push({ line, itemId: outcome.itemId, error: outcome.error.message });
        break;
    }
  }
  return outputs;
}

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** `pluggy-lifecycle ingest --store TARGET FILE.jsonl [--mode poll|push] [--open-finance] [--lenient]` */
export async function ingestCommand(args: string[], io: Io, usage: (message: string) => Error): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      mode: { type: 'string', default: 'poll' },
      'open-finance': { type: 'boolean' },
      lenient: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.store === undefined) throw usage('ingest needs --store (a SQLite file path or a postgres:// URL)');
  if (positionals.length !== 1) throw usage('ingest needs exactly one FILE.jsonl (- reads stdin)');
  if (values.mode !== 'poll' && values.mode !== 'push') throw usage(`--mode must be poll or push, received ${values.mode}`);
  const file = positionals[0]!;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (cause) {
    io.err(`cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`);
    return 1;
  }
  const store = await openStore(values.store);
  try {
    const outputs = await ingest(text.split(/\r?\n/), store, {
      mode: values.mode,
      parsing: values.lenient ? 'lenient' : 'strict',
      ...(values['open-finance'] !== undefined ? { isOpenFinance: values['open-finance'] } : {}),
    });
    for (const output of outputs) io.out(JSON.stringify(output));
    return outputs.some((output) => 'error' in output) ? 1 : 0;
  } finally {
    await store.close();
  }
}
