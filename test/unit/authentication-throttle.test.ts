import { describe, expect, it } from 'vitest';
import { addressKeyOf, DEFAULT_THROTTLE_POLICY, throttleClientAuthentication, windowAt, type ThrottlePolicy } from '../../src/domain/authentication-throttle';
import { InvalidClient, InvalidTarget, LatchkeyError, TooManyFailedAttempts } from '../../src/domain/errors';
import { MemoryThrottleCounters } from '../support/memory-throttle-counters';

const CLIENT = 'sa_aaaaaaaaaaaaaaaaaaaaaaaaaa@env_bbbbbbbbbbbbbbbbbbbbbbbbbb';
/** 10:00:20 on a fixed day: 40 s before the minute's window ends. */
const START = Date.UTC(2026, 0, 15, 10, 0, 20);

function setup(policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY) {
  let now = START;
  const counters = new MemoryThrottleCounters();
  let evaluated = 0;
  const deps = { counters, now: () => now, policy };
  const fail = () => {
    evaluated++;
    return Promise.reject(new InvalidClient('wrong secret'));
  };
  const succeed = () => {
    evaluated++;
    return Promise.resolve('token');
  };
  const attempt = (address: string, authenticate: () => Promise<string>, clientId = CLIENT) =>
    throttleClientAuthentication(deps, { clientId, address }, authenticate).then(
      () => 'ok' as const,
      (error: unknown) => (error instanceof LatchkeyError ? error : Promise.reject(error)),
    );
  return {
    counters,
    attempt,
    fail,
    succeed,
    evaluated: () => evaluated,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('failed client authentication throttle', () => {
  it('refuses the attempt after the limit from one address with 429 and Retry-After, without evaluating it', async () => {
    const t = setup();
    for (let i = 0; i < DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress; i++) {
      expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
    }
    const refused = await t.attempt('203.0.113.7', t.fail);
    expect(refused).toBeInstanceOf(TooManyFailedAttempts);
    expect((refused as LatchkeyError).status).toBe(429);
    expect((refused as LatchkeyError).headers['retry-after']).toBe('40');
    expect(t.evaluated()).toBe(DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
    // The right secret from the limited address is not evaluated either: the attacker cannot tell.
    expect(await t.attempt('203.0.113.7', t.succeed)).toBeInstanceOf(TooManyFailedAttempts);
    expect(t.evaluated()).toBe(DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
  });

  it('lets the real client in from another address while one address is limited', async () => {
    const t = setup();
    for (let i = 0; i < 15; i++) await t.attempt('203.0.113.7', t.fail);
    expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
    expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
  });

  it('counts only failures: a client that authenticates is never refused, nor one refused for another reason', async () => {
    const t = setup();
    for (let i = 0; i < 50; i++) expect(await t.attempt('203.0.113.7', t.succeed)).toBe('ok');
    for (let i = 0; i < 50; i++) {
      expect(await t.attempt('203.0.113.7', () => Promise.reject(new InvalidTarget('unknown resource')))).toBeInstanceOf(InvalidTarget);
    }
    expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
  });

  it('evaluates no more than the limit when the attempts arrive all at once', async () => {
    const t = setup();
    const slowFailure = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return t.fail();
    };
    const answers = await Promise.all(Array.from({ length: 40 }, () => t.attempt('203.0.113.7', slowFailure)));
    expect(t.evaluated()).toBe(DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
    expect(answers.filter((answer) => answer instanceof TooManyFailedAttempts)).toHaveLength(40 - DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
  });

  it('starts afresh when the window ends, and says so in Retry-After', async () => {
    const t = setup();
    for (let i = 0; i < 10; i++) await t.attempt('203.0.113.7', t.fail);
    t.advance(39_500);
    const refused = (await t.attempt('203.0.113.7', t.fail)) as LatchkeyError;
    expect(refused.headers['retry-after']).toBe('1');
    t.advance(500);
    expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
  });

  it('counts each client ID apart', async () => {
    const t = setup();
    for (let i = 0; i < 10; i++) await t.attempt('203.0.113.7', t.fail);
    const other = 'sa_cccccccccccccccccccccccccc@env_bbbbbbbbbbbbbbbbbbbbbbbbbb';
    expect(await t.attempt('203.0.113.7', t.fail, other)).toBeInstanceOf(InvalidClient);
  });

  describe('across addresses', () => {
    const policy: ThrottlePolicy = { windowSeconds: 60, maxFailuresPerAddress: 3, maxFailuresPerClient: 5 };

    it('once the client has failed too often, an address that failed gets no further attempt', async () => {
      const t = setup(policy);
      await t.attempt('192.0.2.1', t.fail);
      await t.attempt('192.0.2.1', t.fail);
      await t.attempt('192.0.2.2', t.fail);
      await t.attempt('192.0.2.2', t.fail);
      // Four failures so far: 192.0.2.3 still has its three.
      await t.attempt('192.0.2.3', t.fail);
      expect(t.evaluated()).toBe(5);
      expect(await t.attempt('192.0.2.3', t.fail)).toBeInstanceOf(TooManyFailedAttempts);
      expect(await t.attempt('192.0.2.1', t.fail)).toBeInstanceOf(TooManyFailedAttempts);
      // A new address gets one evaluation, then joins the others.
      expect(await t.attempt('192.0.2.4', t.fail)).toBeInstanceOf(InvalidClient);
      expect(await t.attempt('192.0.2.4', t.fail)).toBeInstanceOf(TooManyFailedAttempts);
      expect(t.evaluated()).toBe(6);
    });

    it('never refuses an address without failures: the real client keeps working', async () => {
      const t = setup(policy);
      for (const address of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) for (let i = 0; i < 3; i++) await t.attempt(address, t.fail);
      for (let i = 0; i < 20; i++) expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
    });
  });

  describe('address keys', () => {
    it('counts an IPv6 address by its /64, so walking through one prefix does not help', () => {
      expect(addressKeyOf('2001:db8:1:2:aaaa::1')).toBe(addressKeyOf('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'));
      expect(addressKeyOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
      expect(addressKeyOf('2001:db8:1:3::1')).not.toBe(addressKeyOf('2001:db8:1:2::1'));
      expect(addressKeyOf('::1')).toBe('0:0:0:0::/64');
    });

    it('counts an IPv4-mapped address as its IPv4 address, and anything else by a bounded key', () => {
      expect(addressKeyOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
      expect(addressKeyOf('203.0.113.7')).toBe('203.0.113.7');
      expect(addressKeyOf('x'.repeat(5000)).length).toBeLessThan(40);
    });
  });

  it('computes fixed windows from the clock', () => {
    expect(windowAt(START, 60)).toEqual({ start: Date.UTC(2026, 0, 15, 10, 0, 0) / 1000, end: Date.UTC(2026, 0, 15, 10, 1, 0) / 1000 });
  });
});
