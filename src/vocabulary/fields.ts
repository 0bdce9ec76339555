/**
 * Zod field builders whose errors name the field, the value received and what was expected,
 * plus the translation of zod issues into the library's `InputIssue`s.
 */
import { z } from 'zod';
import { InputError, describeValue, issue, type InputIssue, type InputKind } from '../errors';

/** Strict rejects values outside the vocabulary; lenient accepts them and reports them as warnings. */
export type ParsingMode = 'strict' | 'lenient';

/** Something lenient parsing let through that a host should hear about. */
export interface ParseWarning {
  readonly path: string;
  readonly value: string;
  readonly message: string;
}

type Ctx = z.core.$RefinementCtx;

/** Reports a problem from inside a field builder; `expected` feeds the `InputIssue`. */
export function reject(ctx: Ctx, input: unknown, expected: string, message?: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', input, message: message ?? `expected ${expected}, received ${describeValue(input)}`, params: { expected } });
  return z.NEVER;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_EXPECTED = 'an ISO 8601 date string or a Date';

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string' && ISO_DATE.test(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

/** A required date: Pluggy's JSON carries ISO strings, pluggy-sdk revives some of them as `Date`. */
export const requiredDate = () =>
  z.unknown().transform((value, ctx): Date => toDate(value) ?? reject(ctx, value, DATE_EXPECTED));

/** An optional, nullable date. */
export const optionalDate = () =>
  z
    .unknown()
    .transform((value, ctx): Date | null | undefined => {
      if (value === undefined || value === null) return value;
      return toDate(value) ?? reject(ctx, value, DATE_EXPECTED);
    })
    .optional();

/** A required non-empty string (ids). */
export const requiredId = () =>
  z.unknown().transform((value, ctx): string =>
    typeof value === 'string' && value.trim() !== '' ? value : reject(ctx, value, 'a non-empty string'),
  );

/** How a value of one vocabulary is recognised, and how a value of its sibling vocabulary is named. */
export interface Vocabulary<T extends string> {
  /** Field name as Pluggy spells it, e.g. `executionStatus`. */
  readonly field: string;
  /** The noun used in messages: "a status", "an executionStatus". */
  readonly noun: string;
  readonly values: readonly T[];
  readonly is: (value: unknown) => value is T;
  /** The other field's vocabulary, to name mix-ups such as PARTIAL_SUCCESS given as a status. */
  readonly sibling?: { readonly noun: string; readonly is: (value: unknown) => boolean };
}

/** Explains why `value` is not in `vocabulary`, naming a mix-up with the sibling field when that is what happened. */
export function vocabularyMismatch<T extends string>(vocabulary: Vocabulary<T>, value: string): string {
  if (vocabulary.sibling?.is(value)) return `${value} is ${vocabulary.sibling.noun}, not ${vocabulary.noun}`;
  return `${JSON.stringify(value)} is not ${vocabulary.noun} this release knows`;
}

/**
 * A vocabulary field. Strict: only known values. Lenient: any non-empty string, with unknown
 * values pushed to `warnings` so the caller can report them.
 */
export function vocabularyField<T extends string>(vocabulary: Vocabulary<T>, mode: ParsingMode) {
  const expected = `one of ${vocabulary.values.join(', ')}`;
  return z.unknown().transform((value, ctx): T | (string & {}) => {
    if (vocabulary.is(value)) return value;
    if (typeof value !== 'string' || value.trim() === '') return reject(ctx, value, `${vocabulary.noun} (${expected})`);
    const why = vocabularyMismatch(vocabulary, value);
    if (mode === 'lenient') return value;
    return reject(ctx, value, expected, `${why} (expected ${expected}; parse leniently to accept values Pluggy adds later)`);
  });
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace(/\.\[/g, '[');
}

function readAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Turns zod's issues into ours: every message names the field, the value and the expectation. */
export function toInputIssues(error: z.ZodError, input: unknown): InputIssue[] {
  return error.issues.map((raw) => {
    const path = joinPath(raw.path);
    const where = path === '' ? '(root)' : path;
    const value = 'input' in raw ? raw.input : readAt(input, raw.path);
    if (raw.code === 'custom') {
      const expected = String((raw.params as { expected?: unknown } | undefined)?.expected ?? 'a valid value');
      return issue(path, expected, value, `${where}: ${raw.message}`);
    }
    if (raw.code === 'invalid_type') return issue(path, articled(raw.expected), value);
    if (raw.code === 'invalid_value') return issue(path, `one of ${raw.values.map((v) => JSON.stringify(v)).join(', ')}`, value);
    if (raw.code === 'too_small') return issue(path, `at least ${String(raw.minimum)}`, value);
    if (raw.code === 'too_big') return issue(path, `at most ${String(raw.maximum)}`, value);
    if (raw.code === 'unrecognized_keys') return issue(path, `no keys ${raw.keys.join(', ')}`, value);
    return issue(path, 'a valid value', value, `${where}: ${raw.message}`);
  });
}

function articled(type: string): string {
  if (type === 'int') return 'an integer';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Runs a schema and returns our result shape; strings are read as JSON first. */
export function runSchema<T>(
  schema: z.ZodType<T>,
  kind: InputKind,
  input: unknown,
): { success: true; data: T } | { success: false; error: InputError } {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      return {
        success: false,
        error: new InputError(kind, [issue('', 'a JSON document', input, `(root): malformed JSON (${reason})`)], input),
      };
    }
  }
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { success: true, data: result.data };
  return { success: false, error: new InputError(kind, toInputIssues(result.error, value), input) };
}
