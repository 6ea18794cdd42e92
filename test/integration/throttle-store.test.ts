import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedAuthenticationCounters } from '../../src/adapters/from-environment';
import { clientKeyOf, windowAt } from '../../src/domain/authentication-throttle';
import { startTestRuntime } from '../support/local-runtime';

/**
 * The DynamoDB counters of failed client authentication, against the embedded DynamoDB: atomic
 * conditional counting (no more than the limit, even all at once), uncounting that never goes below
 * zero or creates a record, and expiry checked by the code (the embedded DynamoDB has no TTL).
 */
describe('failed-authentication counters in the table', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(() => runtime?.stop());

  const window = windowAt(Date.UTC(2026, 0, 15, 10, 0, 20), 60);
  let clients = 0;
  const newClient = () => clientKeyOf(`sa_${++clients}@env`);

  it('counts atomically up to the limit, however many attempts arrive at once', async () => {
    const counters = failedAuthenticationCounters();
    const client = newClient();
    const answers = await Promise.all(Array.from({ length: 30 }, () => counters.reserve(client, '203.0.113.7', window, 10)));
    expect(answers.filter((answer) => answer !== undefined).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await counters.reserve(client, '198.51.100.1', window, 10)).toBe(1);
    expect(await counters.reserve(client, '203.0.113.7', windowAt(Date.UTC(2026, 0, 15, 10, 1, 0), 60), 10)).toBe(1);
  });

  it('uncounts without going below zero or creating a record', async () => {
    const counters = failedAuthenticationCounters();
    const client = newClient();
    await counters.release(client, '203.0.113.7', window);
    expect(await counters.reserve(client, '203.0.113.7', window, 1)).toBe(1);
    expect(await counters.reserve(client, '203.0.113.7', window, 1)).toBeUndefined();
    await counters.release(client, '203.0.113.7', window);
    await counters.release(client, '203.0.113.7', window);
    expect(await counters.reserve(client, '203.0.113.7', window, 1)).toBe(1);
  });

  it('counts failures across addresses, and reads an expired count as zero though the record is still there', async () => {
    const counters = failedAuthenticationCounters();
    const client = newClient();
    await counters.recordClientFailure(client, window);
    await counters.recordClientFailure(client, window);
    expect(await counters.clientFailures(client, window, window.start + 30)).toBe(2);
    expect(await counters.clientFailures(client, window, window.end)).toBe(0);
  });

  it('records a success of a client from an address until a time, per client and address, and reads it as absent once past', async () => {
    const counters = failedAuthenticationCounters();
    const client = newClient();
    const now = window.start;
    expect(await counters.succeededLately(client, '198.51.100.20', now)).toBe(false);
    await counters.recordSuccess(client, '198.51.100.20', now + 600);
    expect(await counters.succeededLately(client, '198.51.100.20', now + 599)).toBe(true);
    expect(await counters.succeededLately(client, '198.51.100.21', now)).toBe(false);
    expect(await counters.succeededLately(newClient(), '198.51.100.20', now)).toBe(false);
    // The record is still in the table (no TTL here); past its time it counts as absent all the same.
    expect(await counters.succeededLately(client, '198.51.100.20', now + 600)).toBe(false);
  });
});
