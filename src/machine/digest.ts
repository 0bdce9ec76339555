/**
 * Webhook eventIds are remembered as short digests: 48 bits of SHA-256, written as 8 base64url
 * characters. A connection remembers 16 of them, so a new eventId passes for a repeat with odds
 * of 16 in 2^48 (about 6e-14); a full UUID would cost 36 characters of every saved snapshot.
 */
import * as crypto from 'node:crypto';

// `crypto.hash` (Node 20.12 and later) skips the Hash object: about half the cost.
const sha256: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'base64url')
    : (text) => crypto.createHash('sha256').update(text).digest('base64url');

let lastId: string | undefined;
let lastDigest = '';

export function eventDigest(eventId: string): string {
  // A webhook's guard and then its action ask for the same eventId.
  if (eventId !== lastId) {
    lastDigest = sha256(eventId).slice(0, 8);
    lastId = eventId;
  }
  return lastDigest;
}
