import type { JwtVerifier } from '../../src/domain/introspection';
import type { TokenSigner } from '../../src/domain/ports';

/**
 * Domain tests' stand-in for signed JWTs: the claims in the middle part, readable without a key, and
 * a verifier that checks only the lifetime, as the guard would.
 */

export const standInSigner: TokenSigner = { sign: async (claims) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s` };

/** The claims in a token's middle part, unverified. */
export const standInClaims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, any>;

/** Verifies a stand-in JWT against the test's clock (`now()` in milliseconds): its claims until `exp`, then nothing. */
export function standInVerifier(now: () => number): JwtVerifier {
  return async (token) => {
    const claims = standInClaims(token);
    return now() < (claims.exp as number) * 1000 ? claims : undefined;
  };
}
