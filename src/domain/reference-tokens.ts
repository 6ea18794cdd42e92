import { InvalidRequest } from './errors';
import { isId, newSecret } from './ids';
import { sameDigest } from './secrets';
import type { SecretHasher } from './primitives';

/**
 * Reference tokens: bearer secrets that Latchkey looks up rather than verifies by signature —
 * `lkp_` personal access tokens and `lko_` opaque access tokens.
 *
 * Format: `<prefix>_<env>_<account>_<id>_<secret>`, where env, account and id are the random
 * 26-character parts of the environment, owning service account and record IDs, and the secret is
 * 256 bits from the CSPRNG (base64url, 43 characters).
 *
 * Rules this module enforces:
 * - The prefix lets secret scanners recognise a leaked token and tells the two kinds apart.
 * - The IDs let the record and its owner be read by deterministic keys in ONE batched read from the
 *   right environment's partition, with no index; they are not secret (client IDs show them too).
 * - Only a keyed hash of the WHOLE token is stored, so changing an ID inside a token breaks it.
 * - A presented token is compared with the stored hash in constant time.
 * - Anything that does not have the exact shape is refused before any read.
 */

export type ReferenceTokenKind = 'lkp' | 'lko';

export interface ReferenceToken {
  readonly kind: ReferenceTokenKind;
  readonly environmentId: string;
  readonly accountId: string;
  /** `pat_...` for a personal access token, `tok_...` (the `jti`) for an opaque access token. */
  readonly id: string;
}

const ID_PREFIX = { lkp: 'pat', lko: 'tok' } as const;
const SHAPE = /^(lkp|lko)_([a-z2-7]{26})_([a-z2-7]{26})_([a-z2-7]{26})_[A-Za-z0-9_-]{43}$/;

/** A new token for the record `id` (`pat_...` or `tok_...`) of `accountId` in `environmentId`, and the hash to store. */
export async function newReferenceToken(
  hasher: SecretHasher,
  kind: ReferenceTokenKind,
  environmentId: string,
  accountId: string,
  id: string,
): Promise<{ token: string; hash: string }> {
  if (!isId(id, ID_PREFIX[kind]) || !isId(environmentId, 'env') || !isId(accountId, 'sa')) {
    throw new TypeError(`cannot make a ${kind} token from ${environmentId}, ${accountId}, ${id}`);
  }
  const parts = [environmentId, accountId, id].map((value) => value.slice(value.indexOf('_') + 1));
  const secret = newSecret(kind).slice(kind.length + 1);
  const token = `${kind}_${parts.join('_')}_${secret}`;
  return { token, hash: await hasher.hash(token) };
}

/** What a presented value names, if it has the shape of a reference token; nothing is checked yet. */
export function parseReferenceToken(value: string): ReferenceToken | undefined {
  const match = SHAPE.exec(value);
  if (!match) return undefined;
  const kind = match[1] as ReferenceTokenKind;
  return { kind, environmentId: `env_${match[2]}`, accountId: `sa_${match[3]}`, id: `${ID_PREFIX[kind]}_${match[4]}` };
}

/** Whether the presented token is the one whose hash was stored. */
export async function referenceTokenMatches(hasher: SecretHasher, presented: string, storedHash: string): Promise<boolean> {
  return sameDigest(await hasher.hash(presented), storedHash);
}

/** A record with an `expiresAt` (epoch seconds) is gone once that moment is reached, whatever TTL has done. */
export function hasExpired(expiresAt: number | undefined, nowMs: number): boolean {
  return expiresAt !== undefined && nowMs >= expiresAt * 1000;
}

/** An `expiresAt` field (ISO 8601, in the future) as epoch seconds; else the field's `invalid_request`. */
export function expirySeconds(expiresAt: string, nowMs: number): number {
  const ms = Date.parse(expiresAt);
  const field = (message: string) => new InvalidRequest(`expiresAt ${message}`, { fields: [{ path: 'expiresAt', message }] });
  if (Number.isNaN(ms)) throw field('must be an ISO 8601 date-time, e.g. 2030-01-31T12:00:00Z');
  if (ms <= nowMs) throw field(`must be in the future (it is ${new Date(nowMs).toISOString()} now)`);
  // Whole seconds, rounded up, so the record never expires before the moment asked for.
  return Math.ceil(ms / 1000);
}
