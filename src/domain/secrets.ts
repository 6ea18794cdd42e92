import { timingSafeEqual } from 'node:crypto';
import { InvalidRequest } from './errors';
import { newSecret } from './ids';
import type { SecretHashes } from './model';
import type { SecretHasher } from './primitives';

/**
 * Client secrets: generated here (256 bits from the CSPRNG), shown to the caller once, and stored
 * only as a keyed hash (see `src/adapters/pepper-hasher.ts`).
 *
 * Rules this module enforces:
 * - A presented secret is hashed and compared with `timingSafeEqual` on equal-length digests.
 * - The previous secret of a reset authenticates only while its grace period runs.
 */

export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 3600;

/** A rotation's grace period in whole seconds, 0 (none) when absent; anything out of range is refused. */
export function checkGracePeriod(seconds: number | undefined): number {
  const grace = seconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_PERIOD_SECONDS) {
    const message = `must be a whole number of seconds from 0 to ${MAX_GRACE_PERIOD_SECONDS}`;
    throw new InvalidRequest(`gracePeriodSeconds ${message}`, { fields: [{ path: 'gracePeriodSeconds', message }] });
  }
  return grace;
}

export async function generateClientSecret(hasher: SecretHasher): Promise<{ secret: string; hash: string }> {
  const secret = newSecret('lks');
  return { secret, hash: await hasher.hash(secret) };
}

export async function secretMatches(hasher: SecretHasher, presented: string, stored: SecretHashes, nowSeconds: number): Promise<boolean> {
  const presentedHash = await hasher.hash(presented);
  if (sameDigest(presentedHash, stored.current)) return true;
  return stored.previous !== undefined && stored.previousExpiresAt !== undefined && nowSeconds < stored.previousExpiresAt && sameDigest(presentedHash, stored.previous);
}

export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64url');
  const right = Buffer.from(b, 'base64url');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The hashes after a reset: the new secret is current; the old one lingers only for a grace period. */
export function rotatedHashes(stored: SecretHashes, newHash: string, gracePeriodSeconds: number, nowSeconds: number): SecretHashes {
  if (gracePeriodSeconds <= 0) return { current: newHash };
  return { current: newHash, previous: stored.current, previousExpiresAt: nowSeconds + gracePeriodSeconds };
}
