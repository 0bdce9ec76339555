/** One thing wrong with an input: where, what was expected, what arrived. */
export interface InputIssue {
  /** Dotted path of the field (`executionStatus`, `parameter.expiresAt`); `(root)` for the whole input. */
  readonly path: string;
  /** What the field should hold. */
  readonly expected: string;
  /** A short, printable rendering of what arrived. */
  readonly received: string;
  /** The sentence a person reads: names the field, the value and the expectation. */
  readonly message: string;
}

/** What kind of input was rejected. */
export type InputKind = 'item' | 'webhook' | 'event' | 'persisted snapshot' | 'replay line' | 'decision input' | 'connection options';

/**
 * A rejected input. Thrown by the `parse*` functions and returned (never thrown) by
 * `safeParse*`, `Connection.send` and the CLI. The rejected value is kept in `input`.
 */
export class InputError extends Error {
  override readonly name = 'InputError';

  constructor(
    readonly kind: InputKind,
    readonly issues: readonly InputIssue[],
    readonly input: unknown,
  ) {
    super(`invalid ${kind}: ${issues.map((issue) => issue.message).join('; ')}`);
  }
}

/** Renders any value for an error message without dumping large or sensitive structures. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `the ${typeof value} ${String(value)}`;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function issue(path: string, expected: string, value: unknown, message?: string): InputIssue {
  const received = describeValue(value);
  const where = path === '' ? '(root)' : path;
  return { path: where, expected, received, message: message ?? `${where}: expected ${expected}, received ${received}` };
}
