import { newReferenceToken } from './reference-tokens';
import type { SecretHasher } from './primitives';
import type { OpaqueTokenStore } from './stores';

/**
 * Opaque access tokens: for a service account whose `accessTokenType` is `opaque`, the token
 * endpoint answers a random reference token (`lko_...`) instead of a JWT. The claims a JWT would
 * carry are stored with a keyed hash of the token until its `exp` (the table's TTL attribute), and
 * a resource server learns them only through introspection (RFC 7662), which is also where
 * revocation takes effect at once.
 *
 * Rules: the stored record never holds the token; its ID is the claims' `jti`, so revoking by token
 * and by ID address the same record; it is written before the token is answered, so a token that
 * was handed out always introspects.
 */

export interface OpaqueTokenDeps {
  readonly opaqueTokens: OpaqueTokenStore;
  readonly hasher: SecretHasher;
}

/** Stores the claims and answers the reference token that stands for them. */
export async function issueOpaqueToken(deps: OpaqueTokenDeps, claims: Readonly<Record<string, unknown>>): Promise<string> {
  const { jti, sub, environmentId, exp } = claims;
  if (typeof jti !== 'string' || typeof sub !== 'string' || typeof environmentId !== 'string' || typeof exp !== 'number') {
    throw new TypeError('opaque tokens need claims with jti, sub, environmentId and exp');
  }
  const { token, hash } = await newReferenceToken(deps.hasher, 'lko', environmentId, sub, jti);
  await deps.opaqueTokens.putOpaqueToken({ id: jti, environmentId, serviceAccountId: sub, tokenHash: hash, claims, expiresAt: exp });
  return token;
}
