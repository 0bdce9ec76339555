/**
 * Redaction of what an inspector may show. Bank connections carry MFA challenges (QR payloads,
 * images), authorization URLs, the institution's own messages and credentials: none of it may
 * leave the host's process unless the host says so.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are never shown, wherever they appear. */
export const SECRET_KEY =
  /pass(word)?|secret|credential|api[-_]?key|authorization|cookie|cpf|cnpj|^token$|access[-_]?token|refresh[-_]?token|id[-_]?token|session[-_]?token|private[-_]?key|^pin$|^otp$/i;

/**
 * Parts of any string that look like a credential, whatever key holds them: a bearer or basic
 * authorization, a JWT, the password of a URL, and query parameters named like secrets. Pluggy
 * error messages and URLs (consent links, webhooks) can carry these inside free text.
 */
const SECRET_TEXT: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]+):[^\s/?#@]+@/gi, `$1:${REDACTED}@`],
  [/([?&](?:[a-z_]*token|code|password|pass|secret|api[-_]?key|key|signature|sig|auth)=)[^&#\s"']+/gi, `$1${REDACTED}`],
];

/** Redacts the credential-looking parts of a string (see SECRET_TEXT); returns it unchanged otherwise. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

/** Paths (by the last keys) whose values are never shown: `parameter.data`, `userAction.attributes`, `providerMessage`. */
function isSensitive(path: readonly string[]): boolean {
  const key = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  if (SECRET_KEY.test(key)) return true;
  if (key === 'providerMessage') return true;
  if (key === 'attributes' && parent === 'userAction') return true;
  if (key === 'data' && parent === 'parameter') return true;
  if (key === 'options' && parent === 'parameter') return true;
  return false;
}

export type Redactor = (value: unknown) => unknown;

/**
 * Returns a redacted deep copy. `extra` adds a predicate over the key path for host-specific
 * fields. Cycles and depth beyond `maxDepth` are cut rather than followed.
 */
export function createRedactor(extra?: (path: readonly string[], value: unknown) => boolean, maxDepth = 12): Redactor {
  const walk = (value: unknown, path: string[], seen: WeakSet<object>): unknown => {
    if (path.length > 0 && (isSensitive(path) || extra?.(path, value))) return value === null || value === undefined ? value : REDACTED;
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'string') return redactText(value);
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'function' || typeof value === 'symbol') return undefined;
      return value;
    }
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (seen.has(value) || path.length >= maxDepth) return '[cut]';
    seen.add(value);
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, String(index)], seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const copied = walk(item, [...path, key], seen);
      if (copied !== undefined) out[key] = copied;
    }
    return out;
  };
  return (value) => walk(value, [], new WeakSet());
}

export const redact: Redactor = createRedactor();
