import { decodeJwt } from 'jose';
import { GuardError, type Guard } from '../guard';
import type { JwtVerifier } from '../domain/introspection';
import { InvalidDpopProof, InvalidToken, NotAuthorized, ServiceUnavailable, TokenRequired } from '../domain/errors';

/**
 * Verifies any Latchkey access token for introspection, revocation and userinfo with the guard the
 * composition root sets up for it (`verifyLatchkeyJwt`): a token that does not verify is simply
 * not active; keys that cannot be loaded are a 503.
 */

export const latchkeyJwtVerifier =
  (guard: Guard): JwtVerifier =>
  async (token) => {
    try {
      // A DPoP-bound token's proof is the caller's: introspection reports `cnf`, userinfo checks it (src/domain/dpop.ts).
      return await guard.verify(token, { clientCertificate: { thumbprint: boundThumbprint(token) }, unsafeSkipDpopProof: true });
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

/** A guard's refusal as the domain error the API answers with (401, 403 or 503). */
export function fromGuardError(error: unknown): unknown {
  if (!(error instanceof GuardError)) return error;
  switch (error.code) {
    case 'TOKEN_REQUIRED':
      return new TokenRequired(error.message);
    case 'NOT_AUTHORIZED':
      return new NotAuthorized(error.message);
    case 'DPOP_PROOF_REQUIRED':
    case 'DPOP_PROOF_INVALID':
      return new InvalidDpopProof(error.message, 'resource', { internalDetail: error.code });
    case 'JWKS_UNREACHABLE':
      return new ServiceUnavailable(`signing keys unreachable: ${error.message}`, 5, error);
    default:
      return new InvalidToken(error.message, { internalDetail: error.code });
  }
}
