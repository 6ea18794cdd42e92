import { createHash } from 'node:crypto';
import { InvalidClient, TooManyFailedAttempts } from './errors';
import type { Clock } from './primitives';

/**
 * Slowing repeated failed client authentication (RFC 6749 §10.10 asks for it; RFC 6585 §4 gives
 * the answer: 429 with `Retry-After`). Applied to every way a client authenticates: the token
 * endpoint, introspection, revocation and GraphQL `authenticateServiceAccount`.
 *
 * Rules, in the order they are applied:
 * 1. Failures are counted per client ID and source address, in fixed windows of `windowSeconds`
 *    (an IPv6 address counts by its /64, which one holder can otherwise walk through at will).
 * 2. A client whose record carries a failed authentication in the last `strictSeconds` is being
 *    guessed at: before its secret, assertion or certificate is evaluated, the attempt is counted
 *    atomically as a failure; if the pair already has `maxFailuresPerAddress` in this window, the
 *    attempt is refused with 429 and `Retry-After` (the end of the window) and nothing is evaluated.
 *    An attempt that then authenticates, or is refused for another reason than its credentials, is
 *    uncounted again. Attempts in flight count, so one address cannot evaluate more than the limit
 *    by sending them all at once.
 * 3. Any other client (the normal case) has its credentials evaluated first, and only an
 *    `invalid_client` is counted, and marked on the client's record (which rule 2 reads). So a
 *    client that authenticates costs no write at all. What this gives up: attempts sent all at
 *    once before the first failure is marked are all evaluated. That burst is bounded by the API's
 *    route throttle and, against secrets of 256 random bits, buys a guesser nothing.
 * 4. Across all addresses, once a client ID has `maxFailuresPerClient` failures in the window, an
 *    address that has failed in this window gets no further attempt until the window ends. This
 *    slows a guesser spread over many addresses to one evaluation per address and window, and never
 *    refuses an address without failures.
 * 4a. Except an address from which the client authenticated while it was being guessed at (rule 2)
 *    in the last `trustedAddressSeconds`: it keeps its own budget of rule 1 whatever the client-wide
 *    count, so a third party without the secret cannot lock the real client out, not even after a
 *    typo or an old secret. The success is recorded only on the path of rule 2, which already writes
 *    (count and uncount; the record is written beside the uncount, in parallel): an authentication of
 *    a client without recent failures still costs no write. What this gives up: an address earns its
 *    budget only by a success during an attack; a real client whose first attempt during the attack
 *    fails gets one evaluation per window (rule 4) until it succeeds once. And a guesser that shares
 *    the real client's address (one NAT) shares its budget: rule 1's limit still holds there.
 * 5. Counters expire with their window; an expired counter counts as zero, whatever the table's TTL
 *    has done. An address at its limit is refused whether or not its client exists.
 */

export interface ThrottlePolicy {
  readonly windowSeconds: number;
  readonly maxFailuresPerAddress: number;
  readonly maxFailuresPerClient: number;
  /** How long after a failed authentication a client's attempts are counted before they are evaluated (rule 2). */
  readonly strictSeconds: number;
  /** How long an address from which the client authenticated during an attack keeps its own budget (rule 4a). */
  readonly trustedAddressSeconds: number;
}

/**
 * 10 failures a minute per client and address: a client that retries with a wrong secret sees the
 * refusal long before the limit, and a guesser gets 10 evaluations a minute instead of thousands a
 * second. Ten, not five, because attempts in flight count (rule 3): a client that sends a handful of
 * token requests at once from one address must not be refused while they are being answered. An
 * address stays trusted (rule 4a) for a day, the longest token lifetime: a client that asks for a
 * token once per token lifetime is still known at its next request.
 */
export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  windowSeconds: 60,
  maxFailuresPerAddress: 10,
  maxFailuresPerClient: 100,
  strictSeconds: 900,
  trustedAddressSeconds: 86_400,
};

/** A fixed window, in epoch seconds: `[start, end)`. */
export interface ThrottleWindow {
  readonly start: number;
  readonly end: number;
}

/** The counters, behind a port (`src/adapters/dynamodb/throttle-store.ts`). Keys are opaque strings. */
export interface FailedAuthenticationCounters {
  /** Failures of the client across all addresses in the window; 0 when none or expired. */
  clientFailures(clientKey: string, window: ThrottleWindow, nowSeconds: number): Promise<number>;
  /**
   * Counts one attempt of the pair, atomically, unless it already has `limit` or more in the window:
   * answers the count now, or undefined when refused.
   */
  reserve(clientKey: string, addressKey: string, window: ThrottleWindow, limit: number): Promise<number | undefined>;
  /** Uncounts an attempt that did not fail (rule 2). */
  release(clientKey: string, addressKey: string, window: ThrottleWindow): Promise<void>;
  /** Counts a failure of the client across addresses (rule 4). */
  recordClientFailure(clientKey: string, window: ThrottleWindow): Promise<void>;
  /** Records that the client authenticated from the address, valid until `untilSeconds` (rule 4a). */
  recordSuccess(clientKey: string, addressKey: string, untilSeconds: number): Promise<void>;
  /** Whether a success of the client from the address is recorded and still valid at `nowSeconds`. */
  succeededLately(clientKey: string, addressKey: string, nowSeconds: number): Promise<boolean>;
}

export interface ThrottleDeps {
  readonly counters: FailedAuthenticationCounters;
  readonly now: Clock;
  readonly policy?: ThrottlePolicy;
}

export interface AuthenticationAttempt {
  readonly clientId: string;
  /** The address the client called from (behind CloudFront, the viewer's address CloudFront reports, not the edge server's). */
  readonly address: string;
}

export function windowAt(nowMs: number, windowSeconds: number): ThrottleWindow {
  const start = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  return { start, end: start + windowSeconds };
}

/** Seconds until the window ends, at least 1 (RFC 9110 §10.2.3 `Retry-After` in delay-seconds). */
export function retryAfterSeconds(window: ThrottleWindow, nowMs: number): number {
  return Math.max(1, Math.ceil(window.end - nowMs / 1000));
}

/** How many counted attempts an address may have in the window (rules 2 and 4; rule 4a lifts rule 4 for a trusted address). */
export function addressAllowance(policy: ThrottlePolicy, clientFailures: number): number {
  return clientFailures >= policy.maxFailuresPerClient ? 1 : policy.maxFailuresPerAddress;
}

/** A fixed-length key for a client ID, whatever length the request gave it. */
export function clientKeyOf(clientId: string): string {
  return createHash('sha256').update(clientId, 'utf8').digest('base64url');
}

/** IPv4 as it is; IPv6 by its /64 (an IPv4-mapped one as its IPv4); anything else by a hash. */
export function addressKeyOf(address: string): string {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const prefix = ipv6Prefix64(address);
  return prefix ?? `other-${createHash('sha256').update(address, 'utf8').digest('base64url').slice(0, 22)}`;
}

function ipv6Prefix64(address: string): string | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * The record of the client being authenticated, as the throttle needs it: when a failed
 * authentication was last marked on it (epoch seconds), and how to mark one.
 */
export interface FailureMark {
  readonly lastFailedAt: number | undefined;
  mark(atSeconds: number): Promise<void>;
}

/**
 * Handed to an authentication, which calls it once it has read the client and before it evaluates
 * the credentials: from the client's mark, the throttle decides whether the attempt is counted
 * first (rule 2), and may refuse it there. An authentication that fails before (no such client, a
 * malformed ID) has its failure counted all the same.
 */
export type BeforeEvaluating = (client: FailureMark) => Promise<void>;

/** For an authentication that runs outside the throttle: nothing is counted first. */
export const evaluateAtOnce: BeforeEvaluating = async () => {};

/**
 * Runs `authenticate` (which reads the client, calls `beforeEvaluating`, then evaluates the
 * credentials) under rules 1 to 5 (and 4a): refuses with `TooManyFailedAttempts` before the credentials are
 * evaluated when the pair or the client has failed too often, and counts an `InvalidClient`.
 */
export async function throttleClientAuthentication<T>(
  deps: ThrottleDeps,
  attempt: AuthenticationAttempt,
  authenticate: (beforeEvaluating: BeforeEvaluating) => Promise<T>,
): Promise<T> {
  const policy = deps.policy ?? DEFAULT_THROTTLE_POLICY;
  const now = deps.now();
  const nowSeconds = Math.floor(now / 1000);
  const window = windowAt(now, policy.windowSeconds);
  const clientKey = clientKeyOf(attempt.clientId);
  const addressKey = addressKeyOf(attempt.address);
  const refusal = (reason: string) => new TooManyFailedAttempts(retryAfterSeconds(window, now), `client authentication not evaluated: too many failures ${reason} in this window`);
  const failedWithin = (record: FailureMark, seconds: number) => record.lastFailedAt !== undefined && nowSeconds - record.lastFailedAt < seconds;
  let client: FailureMark | undefined;
  let countedFirst = false;

  const beforeEvaluating: BeforeEvaluating = async (record) => {
    client = record;
    if (!failedWithin(record, policy.strictSeconds)) return;
    const counted = await deps.counters.reserve(clientKey, addressKey, window, policy.maxFailuresPerAddress);
    if (counted === undefined) throw refusal('from this address');
    countedFirst = true;
    // Rule 4 only ever refuses an address with other attempts counted: the first needs no second read.
    const clientFailures = counted > 1 ? await deps.counters.clientFailures(clientKey, window, nowSeconds) : 0;
    if (counted > addressAllowance(policy, clientFailures) && !(await deps.counters.succeededLately(clientKey, addressKey, nowSeconds))) {
      countedFirst = false;
      await deps.counters.release(clientKey, addressKey, window);
      throw refusal('from many addresses');
    }
  };

  let result: T;
  try {
    result = await authenticate(beforeEvaluating);
  } catch (error) {
    if (error instanceof InvalidClient) await countFailure();
    else if (countedFirst) await deps.counters.release(clientKey, addressKey, window);
    throw error;
  }
  // Rule 4a: this address authenticated while the client was being guessed at; it keeps its budget.
  if (countedFirst) {
    await Promise.all([deps.counters.release(clientKey, addressKey, window), deps.counters.recordSuccess(clientKey, addressKey, nowSeconds + policy.trustedAddressSeconds)]);
  }
  return result;

  async function countFailure(): Promise<void> {
    const counted = countedFirst || (await deps.counters.reserve(clientKey, addressKey, window, policy.maxFailuresPerAddress)) !== undefined;
    await deps.counters.recordClientFailure(clientKey, window);
    // Marked again at most once a window: under a steady attack the mark stays fresh without a write per guess.
    if (client && !failedWithin(client, policy.windowSeconds)) await client.mark(nowSeconds);
    if (!counted) throw refusal('from this address');
  }
}
