import { decodeJwt } from 'jose';
import { createGuard, GuardError, type Guard } from '../guard';
import { issuer } from '../adapters/from-environment';
import type { JwtVerifier } from '../domain/introspection';
import { fromGuardError, publishedKeySet } from './authenticate';

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
    jwks: publishedKeySet,
    clockToleranceSeconds: 0,
    // Introspection and revocation answer for every tenant; the domain compares the token's environment with the caller's.
    unsafeAcceptAnyTenant: true,
  });
  try {
    return await guard.verify(token, { clientCertificate: { thumbprint: boundThumbprint(token) } });
  } catch (error) {
    if (error instanceof GuardError && error.code !== 'JWKS_UNREACHABLE') return undefined;
    throw fromGuardError(error);
  }
};

/**
 * Introspection sees no TLS connection of the token's holder: it answers `cnf` (RFC 8705 §3.2) and
 * the resource server checks the certificate. So the token's own thumbprint is "presented"; the
 * guard still refuses a malformed `cnf`. The decoded claim is only trusted once the signature verifies.
 */
function boundThumbprint(token: string): string {
  try {
    const thumbprint = (decodeJwt(token).cnf as Record<string, unknown> | undefined)?.['x5t#S256'];
    return typeof thumbprint === 'string' ? thumbprint : '';
  } catch {
    return '';
  }
}
