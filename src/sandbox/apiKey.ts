/**
 * API keys shaped like Pluggy's: a JWT (HS256) whose `exp` pluggy-sdk decodes to know when to
 * re-authenticate. The sandbox signs with a per-instance secret and accepts only its own, unexpired keys.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export class ApiKeys {
  private readonly secret = randomBytes(32);

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  issue(clientId: string): string {
    const now = Math.floor(this.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({ sub: clientId, jti: randomUUID(), iat: now, exp: now + this.ttlSeconds, iss: 'pluggy-sandbox' }),
    );
    return `${header}.${payload}.${this.sign(`${header}.${payload}`)}`;
  }

  /** True for a key this sandbox issued that has not expired. */
  verify(key: string | undefined): boolean {
    if (!key) return false;
    const parts = key.split('.');
    if (parts.length !== 3) return false;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    try {
      const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
      return typeof exp === 'number' && exp > this.now() / 1000;
    } catch {
      return false;
    }
  }

  private sign(input: string): string {
    return createHmac('sha256', this.secret).update(input).digest('base64url');
  }
}
