import type { FailedAuthenticationCounters, ThrottleWindow } from '../../src/domain/authentication-throttle';

/**
 * Failed-authentication counters in memory, with the DynamoDB adapter's semantics: a conditional
 * atomic increment per (client, address, window), an uncount that never goes below zero, and a
 * client-wide count that reads as zero once its window has expired; a recorded success that reads
 * as absent once it has expired.
 */
export class MemoryThrottleCounters implements FailedAuthenticationCounters {
  readonly counts = new Map<string, { failures: number; expiresAt: number }>();
  /** Recorded successes by client and address: valid until (epoch seconds). */
  readonly successes = new Map<string, number>();

  async clientFailures(clientKey: string, window: ThrottleWindow, nowSeconds: number): Promise<number> {
    const record = this.counts.get(`${clientKey}|CLIENT|${window.start}`);
    return record && record.expiresAt > nowSeconds ? record.failures : 0;
  }

  async reserve(clientKey: string, addressKey: string, window: ThrottleWindow, limit: number): Promise<number | undefined> {
    const key = `${clientKey}|${addressKey}|${window.start}`;
    const failures = this.counts.get(key)?.failures ?? 0;
    if (failures >= limit) return undefined;
    this.counts.set(key, { failures: failures + 1, expiresAt: window.end });
    return failures + 1;
  }

  async release(clientKey: string, addressKey: string, window: ThrottleWindow): Promise<void> {
    const record = this.counts.get(`${clientKey}|${addressKey}|${window.start}`);
    if (record && record.failures > 0) record.failures -= 1;
  }

  async recordClientFailure(clientKey: string, window: ThrottleWindow): Promise<void> {
    const key = `${clientKey}|CLIENT|${window.start}`;
    this.counts.set(key, { failures: (this.counts.get(key)?.failures ?? 0) + 1, expiresAt: window.end });
  }

  async recordSuccess(clientKey: string, addressKey: string, untilSeconds: number): Promise<void> {
    this.successes.set(`${clientKey}|${addressKey}`, untilSeconds);
  }

  async succeededLately(clientKey: string, addressKey: string, nowSeconds: number): Promise<boolean> {
    return (this.successes.get(`${clientKey}|${addressKey}`) ?? 0) > nowSeconds;
  }
}
