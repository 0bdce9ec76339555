/**
 * 429s like Pluggy's: body `{"code":429,"message":...}`, `RateLimit-Limit`, `RateLimit-Reset`
 * (seconds until the window resets) and `Retry-After: 60` (always 60). Three sources: polling one
 * item faster than `minPollIntervalMs`, a forced storm of the next N requests, and a storm that
 * lasts until a given time (a spent per-minute window: every request answers 429 until it resets).
 */
import { DEFAULT_RATE_LIMIT_PER_MINUTE, RATE_LIMITED_MESSAGE, RETRY_AFTER_SECONDS } from './constants';
import type { ErrorBodyJson } from './types';

/** Which requests a forced storm hits; omitted fields match everything. */
export interface RateLimitMatch {
  /** `GET`, `POST`, ... */
  readonly method?: string;
  /** Matched against the path without the query, e.g. `/items`. */
  readonly pathPrefix?: string;
}

export interface RateLimitAnswer {
  readonly status: 429;
  readonly body: ErrorBodyJson;
  readonly headers: Readonly<Record<string, string>>;
}

interface CountedStorm {
  remaining: number;
  readonly resetSeconds: number;
  readonly match: RateLimitMatch;
}

interface TimedStorm {
  readonly until: number;
  readonly match: RateLimitMatch;
}

export class RateLimiter {
  private readonly counted: CountedStorm[] = [];
  private readonly timed: TimedStorm[] = [];
  private readonly lastPoll = new Map<string, number>();

  constructor(
    private readonly minPollIntervalMs: number,
    private readonly now: () => number,
  ) {}

  /** The next `count` matching requests answer 429 with `RateLimit-Reset: resetSeconds`. */
  forceNext(count: number, resetSeconds: number, match: RateLimitMatch): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`rateLimitNext: expected a count that is a non-negative integer, received ${count}`);
    if (!Number.isFinite(resetSeconds) || resetSeconds < 0) {
      throw new RangeError(`rateLimitNext: expected resetSeconds to be a non-negative number, received ${resetSeconds}`);
    }
    if (count > 0) this.counted.push({ remaining: count, resetSeconds, match });
  }

  /** Every matching request answers 429 for the next `ms`, each saying how many seconds remain. */
  forceFor(ms: number, match: RateLimitMatch): number {
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`rateLimitFor: expected a positive duration in ms, received ${ms}`);
    const until = this.now() + ms;
    this.timed.push({ until, match });
    return until;
  }

  /** A forced storm, checked for every request before anything else (Pluggy limits before it authenticates). */
  checkStorm(method: string, path: string): RateLimitAnswer | null {
    const now = this.now();
    const window = this.timed.filter((storm) => storm.until > now && matches(storm.match, method, path));
    if (window.length > 0) {
      const until = Math.max(...window.map((storm) => storm.until));
      // Whole seconds, rounded up like Pluggy's header: waiting that long always reaches the reset.
      return answer(DEFAULT_RATE_LIMIT_PER_MINUTE, Math.ceil((until - now) / 1000));
    }
    const storm = this.counted.find((candidate) => matches(candidate.match, method, path));
    if (!storm) return null;
    storm.remaining -= 1;
    if (storm.remaining <= 0) this.counted.splice(this.counted.indexOf(storm), 1);
    return answer(DEFAULT_RATE_LIMIT_PER_MINUTE, storm.resetSeconds);
  }

  /** `GET /items/{id}` for the same item again within `minPollIntervalMs`. Only accepted polls count. */
  checkPoll(itemId: string): RateLimitAnswer | null {
    if (this.minPollIntervalMs <= 0) return null;
    const now = this.now();
    const last = this.lastPoll.get(itemId);
    if (last !== undefined && now - last < this.minPollIntervalMs) {
      const remainingMs = this.minPollIntervalMs - (now - last);
      return answer(Math.max(1, Math.floor(60_000 / this.minPollIntervalMs)), Math.max(1, Math.ceil(remainingMs / 1000)));
    }
    this.lastPoll.set(itemId, now);
    return null;
  }
}

function matches(match: RateLimitMatch, method: string, path: string): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.pathPrefix !== undefined && !path.startsWith(match.pathPrefix)) return false;
  return true;
}

function answer(limit: number, resetSeconds: number): RateLimitAnswer {
  return {
    status: 429,
    body: { code: 429, message: RATE_LIMITED_MESSAGE },
    headers: {
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': String(resetSeconds),
      'Retry-After': String(RETRY_AFTER_SECONDS),
    },
  };
}
