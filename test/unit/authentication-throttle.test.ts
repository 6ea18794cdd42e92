import { describe, expect, it } from 'vitest';
import {
  addressKeyOf,
  DEFAULT_THROTTLE_POLICY,
  throttleClientAuthentication,
  windowAt,
  type BeforeEvaluating,
  type ThrottlePolicy,
} from '../../src/domain/authentication-throttle';
import { InvalidClient, InvalidTarget, LatchkeyError, TooManyFailedAttempts } from '../../src/domain/errors';
import { MemoryThrottleCounters } from '../support/memory-throttle-counters';

const CLIENT = 'sa_aaaaaaaaaaaaaaaaaaaaaaaaaa@env_bbbbbbbbbbbbbbbbbbbbbbbbbb';
/** 10:00:20 on a fixed day: 40 s before the minute's window ends. */
const START = Date.UTC(2026, 0, 15, 10, 0, 20);

/** A failed evaluation that takes a few milliseconds, so that many are in flight at once. */
const slowFailure = async (): Promise<string> => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new InvalidClient('wrong secret');
};

function setup(policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY) {
  let now = START;
  const counters = new MemoryThrottleCounters();
  /** The failure marks on the clients' records, by client ID; `marked` counts the writes. */
  const marks = new Map<string, number>();
  let marked = 0;
  let evaluated = 0;
  const deps = { counters, now: () => now, policy };
  const recordOf = (clientId: string) => ({
    lastFailedAt: marks.get(clientId),
    mark: async (atSeconds: number) => {
      marked++;
      marks.set(clientId, atSeconds);
    },
  });
  /** An authentication as the domain's: read the client, let the throttle look, then evaluate. */
  const authentication =
    (outcome: () => Promise<string>) =>
    (clientId: string) =>
    async (beforeEvaluating: BeforeEvaluating): Promise<string> => {
      await beforeEvaluating(recordOf(clientId));
      evaluated++;
      return outcome();
    };
  const fail = authentication(() => Promise.reject(new InvalidClient('wrong secret')));
  const succeed = authentication(() => Promise.resolve('token'));
  const attempt = (address: string, authenticate: (clientId: string) => (beforeEvaluating: BeforeEvaluating) => Promise<string>, clientId = CLIENT) =>
    throttleClientAuthentication(deps, { clientId, address }, authenticate(clientId)).then(
      () => 'ok' as const,
      (error: unknown) => (error instanceof LatchkeyError ? error : Promise.reject(error)),
    );
  return {
    counters,
    attempt,
    authentication,
    fail,
    succeed,
    evaluated: () => evaluated,
    marked: () => marked,
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
    // One mark on the record for the whole run of failures: a guesser does not cause a write per guess there.
    expect(t.marked()).toBe(1);
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
    const wrongTarget = t.authentication(() => Promise.reject(new InvalidTarget('unknown resource')));
    for (let i = 0; i < 50; i++) expect(await t.attempt('203.0.113.7', wrongTarget)).toBeInstanceOf(InvalidTarget);
    expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
  });

  it('costs a client that has not failed lately no write at all', async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) expect(await t.attempt('203.0.113.7', t.succeed)).toBe('ok');
    expect(t.counters.counts.size).toBe(0);
    expect(t.counters.successes.size).toBe(0);
    expect(t.marked()).toBe(0);
  });

  it('evaluates no more than the limit when the attempts arrive all at once at a client that has failed', async () => {
    const t = setup();
    expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
    const answers = await Promise.all(Array.from({ length: 40 }, () => t.attempt('203.0.113.7', t.authentication(slowFailure))));
    expect(t.evaluated()).toBe(DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
    expect(answers.filter((answer) => answer instanceof TooManyFailedAttempts)).toHaveLength(41 - DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
  });

  it('counts every attempt first once the client has failed, until strictSeconds have passed without a failure', async () => {
    const t = setup();
    expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
    // A success now counts and uncounts the pair: the counter exists, at zero once it is answered.
    expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
    const pairs = () => [...t.counters.counts].filter(([key]) => key.includes('198.51.100.20'));
    expect(pairs().map(([, record]) => record.failures)).toEqual([0]);
    t.advance(DEFAULT_THROTTLE_POLICY.strictSeconds * 1000);
    t.counters.counts.clear();
    expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
    expect(t.counters.counts.size).toBe(0);
  });

  it('answers the burst that reaches a client with no recent failure, then counts first: the most a guesser gets at once', async () => {
    const t = setup();
    const answers = await Promise.all(Array.from({ length: 40 }, () => t.attempt('203.0.113.7', t.authentication(slowFailure))));
    // All were in flight before the first failure was marked, so all were evaluated; beyond the
    // limit they are answered as refused all the same.
    expect(t.evaluated()).toBe(40);
    expect(answers.filter((answer) => answer instanceof InvalidClient)).toHaveLength(DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
    expect(answers.filter((answer) => answer instanceof TooManyFailedAttempts)).toHaveLength(40 - DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress);
    expect(await t.attempt('203.0.113.7', t.succeed)).toBeInstanceOf(TooManyFailedAttempts);
    expect(t.evaluated()).toBe(40);
  });

  it('counts a client ID that names no client, and refuses the address at the limit', async () => {
    const t = setup();
    const noSuchClient = () => () => Promise.reject(new InvalidClient('no such client'));
    for (let i = 0; i < DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress; i++) expect(await t.attempt('203.0.113.7', noSuchClient)).toBeInstanceOf(InvalidClient);
    expect(await t.attempt('203.0.113.7', noSuchClient)).toBeInstanceOf(TooManyFailedAttempts);
    expect(t.marked()).toBe(0);
  });

  it('starts afresh when the window ends, and says so in Retry-After', async () => {
    const t = setup();
    for (let i = 0; i < 10; i++) await t.attempt('203.0.113.7', t.fail);
    t.advance(39_500);
    const refused = (await t.attempt('203.0.113.7', t.fail)) as LatchkeyError;
    expect(refused.headers['retry-after']).toBe('1');
    t.advance(500);
    expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
    // The mark is renewed at most once a window, so the client stays counted first while it is guessed at.
    expect(t.marked()).toBe(1);
    t.advance(60_000);
    expect(await t.attempt('203.0.113.7', t.fail)).toBeInstanceOf(InvalidClient);
    expect(t.marked()).toBe(2);
  });

  it('counts each client ID apart', async () => {
    const t = setup();
    for (let i = 0; i < 10; i++) await t.attempt('203.0.113.7', t.fail);
    const other = 'sa_cccccccccccccccccccccccccc@env_bbbbbbbbbbbbbbbbbbbbbbbbbb';
    expect(await t.attempt('203.0.113.7', t.fail, other)).toBeInstanceOf(InvalidClient);
  });

  describe('across addresses', () => {
    const policy: ThrottlePolicy = { ...DEFAULT_THROTTLE_POLICY, windowSeconds: 60, maxFailuresPerAddress: 3, maxFailuresPerClient: 5 };

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

    /** The attacker fails from four addresses until the client-wide count is at its limit. */
    const attack = async (t: ReturnType<typeof setup>) => {
      for (const address of ['192.0.2.1', '192.0.2.2']) for (let i = 0; i < 3; i++) await t.attempt(address, t.fail);
    };

    it('keeps the budget of an address from which the client authenticated during the attack: a typo of the real client does not lock it out', async () => {
      const t = setup(policy);
      expect(await t.attempt('192.0.2.1', t.fail)).toBeInstanceOf(InvalidClient);
      // The client is being guessed at: its success from its own address is recorded.
      expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
      await attack(t);
      expect(await t.attempt('198.51.100.20', t.fail)).toBeInstanceOf(InvalidClient);
      expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
      expect(await t.attempt('198.51.100.20', t.fail)).toBeInstanceOf(InvalidClient);
      expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
      // Its own budget is rule 1's: three failures in the window, then 429 like anyone.
      expect(await t.attempt('198.51.100.20', t.fail)).toBeInstanceOf(InvalidClient);
      expect(await t.attempt('198.51.100.20', t.fail)).toBeInstanceOf(TooManyFailedAttempts);
      // The attacker is still limited: a new address of its own gets one evaluation, then 429.
      expect(await t.attempt('192.0.2.9', t.fail)).toBeInstanceOf(InvalidClient);
      expect(await t.attempt('192.0.2.9', t.fail)).toBeInstanceOf(TooManyFailedAttempts);
      expect(await t.attempt('192.0.2.9', t.succeed)).toBeInstanceOf(TooManyFailedAttempts);
    });

    it('lets the trust of an address lapse trustedAddressSeconds after its last success, and never gives it to an address that only failed', async () => {
      const t = setup({ ...policy, trustedAddressSeconds: 600 });
      expect(await t.attempt('192.0.2.1', t.fail)).toBeInstanceOf(InvalidClient);
      expect(await t.attempt('198.51.100.20', t.succeed)).toBe('ok');
      t.advance(601_000);
      await attack(t);
      expect(await t.attempt('198.51.100.20', t.fail)).toBeInstanceOf(InvalidClient);
      expect(await t.attempt('198.51.100.20', t.succeed)).toBeInstanceOf(TooManyFailedAttempts);
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
