import { createGuard, GuardError, type Guard } from '../guard';
import { issuer, signingKeys } from '../adapters/from-environment';
import type { JwtVerifier } from '../domain/introspection';
import { fromGuardError } from './authenticate';

/**
 * Verifies any Latchkey access token for introspection and revocation: the same guard resource
 * servers use, against the published keys read from KMS (verified locally, never `kms:Verify`),
 * with no audience requirement (introspection answers for every audience of the environment) and
 * no clock tolerance (the issuer's own clock decides, so an expired token is never "active").
 * A token that does not verify is simply not active; keys that cannot be loaded are a 503.
 */

let guard: Guard | undefined;

export const verifyLatchkeyJwt: JwtVerifier = async (token) => {
  guard ??= createGuard({
    issuer: issuer(),
    jwks: async () => ({ keys: [...(await signingKeys().publicKeys())] }),
    clockToleranceSeconds: 0,
  });
  try {
    return await guard.verify(token);
  } catch (error) {
    if (error instanceof GuardError && error.code !== 'JWKS_UNREACHABLE') return undefined;
    throw fromGuardError(error);
  }
};
