import { randomBytes } from 'node:crypto';

/**
 * Identifiers and secrets. Both come from the CSPRNG; identifiers carry a short type prefix so a
 * reader can tell an environment ID from an account ID at a glance, and secrets carry a prefix so
 * secret scanners can find a leaked one.
 */

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export type IdPrefix = 'ten' | 'env' | 'sa' | 'app' | 'idp' | 'usr' | 'prf' | 'ses' | 'cl' | 'pat' | 'tok' | 'inc' | 'azr' | 'fam' | 'key' | 'aud' | 'sak';

/** 128 random bits, e.g. `sa_2xk7...` (26 base32 characters after the prefix). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${base32(randomBytes(16))}`;
}

export function isId(value: string, prefix: IdPrefix): boolean {
  return new RegExp(`^${prefix}_[a-z2-7]{26}$`).test(value);
}

/** 256 random bits, base64url, behind a recognisable prefix: `lks_` client secrets, `lkp_` PATs, `lkr_` refresh tokens... */
export function newSecret(prefix: 'lks' | 'lkp' | 'lkw' | 'lko' | 'lkc' | 'lkr' | 'lkb'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * A client ID names the principal and its environment, `sa_...@env_...`, so the token endpoint can
 * read everything a token needs in one batched read by deterministic keys, without an index.
 */
export function formatClientId(principalId: string, environmentId: string): string {
  return `${principalId}@${environmentId}`;
}

export function parseClientId(clientId: string): { principalId: string; environmentId: string } | undefined {
  const at = clientId.lastIndexOf('@');
  if (at <= 0) return undefined;
  const principalId = clientId.slice(0, at);
  const environmentId = clientId.slice(at + 1);
  if (!isId(environmentId, 'env') || !/^[a-z]{2,3}_[a-z2-7]{26}$/.test(principalId)) return undefined;
  return { principalId, environmentId };
}
