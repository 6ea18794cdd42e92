import { randomBytes } from 'node:crypto';
import type { SecretHasher } from '../primitives';
import { sameDigest } from '../secrets';

/**
 * The secrets of interactive login: challenges and verifiers (`{requestId}.{secret}`), codes,
 * refresh tokens and session cookies (`newSecret`). Each carries 256 random bits; only its keyed hash is stored,
 * so a table read gives nothing that could be presented. A handle names its record by ID (a
 * deterministic key) and proves itself with the rest, compared in constant time.
 */

/** A handle on the record `id`: `{id}.{secret}`, and the keyed hash to store. */
export async function newHandle(hasher: SecretHasher, id: string): Promise<{ value: string; hash: string }> {
  const value = `${id}.${randomBytes(32).toString('base64url')}`;
  return { value, hash: await hasher.hash(value) };
}

/** The record ID a handle names, or undefined when it is not shaped like one. */
export function handleId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const match = /^([a-z]{2,4}_[a-z2-7]{26})\.[A-Za-z0-9_-]{43}$/.exec(value);
  return match?.[1];
}

export async function handleMatches(hasher: SecretHasher, value: string, storedHash: string | undefined): Promise<boolean> {
  return storedHash !== undefined && sameDigest(await hasher.hash(value), storedHash);
}
