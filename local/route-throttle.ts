import type { RouteThrottle } from '../lib/routes';

/**
 * API Gateway's per-route throttle: a token bucket holding up to `burstLimit` requests, refilled at
 * `rateLimit` per second. A request that finds it empty gets 429 without reaching the function.
 * The clock is injectable so tests can step time instead of waiting.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RouteThrottle,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burstLimit;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    const elapsedSeconds = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.limit.burstLimit, this.tokens + elapsedSeconds * this.limit.rateLimit);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
