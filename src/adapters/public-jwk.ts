import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { PublicJwk } from '../domain/ports';

/**
 * The published JWK of a DER SubjectPublicKeyInfo (what KMS answers for a public key): only the
 * public members, `kid` = the RFC 7638 SHA-256 thumbprint, so it is stable and derivable by anyone.
 */
export async function publicJwkFromSpki(spki: Uint8Array, alg: 'ES256' | 'RS256'): Promise<PublicJwk> {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' }) as JWK;
  const expected = alg === 'ES256' ? { kty: 'EC', crv: 'P-256' } : { kty: 'RSA' };
  if (jwk.kty !== expected.kty || (alg === 'ES256' && jwk.crv !== 'P-256')) {
    throw new TypeError(`a ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''} public key cannot sign ${alg}`);
  }
  const members = alg === 'ES256' ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: 'RSA', n: jwk.n, e: jwk.e };
  return { ...members, kid: await calculateJwkThumbprint(members, 'sha256'), alg, use: 'sig' };
}
