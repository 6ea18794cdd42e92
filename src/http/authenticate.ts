import { createGuard, GuardError, type Guard } from '../guard';
import { clock, signingKeys, issuer, pepperHasher, tokenStore } from '../adapters/from-environment';
import { latchkeyAudience } from '../domain/builtin-resource';
import { authenticatePersonalAccessToken, presentedPersonalAccessToken } from '../domain/personal-access-tokens';
import { callerFromServiceAccountJwt } from '../domain/management-caller';
import type { Caller } from '../domain/caller';
import type { PublicJwk } from '../domain/ports';
import { InvalidToken, NotAuthorized, ServiceUnavailable, TokenRequired } from '../domain/errors';
import type { HttpEvent } from './handler';
import { header } from './request';

/**
 * Who is calling the management API. The bearer token is checked by the same guard that resource
 * servers use, against Latchkey's own published keys (read from KMS, verified locally): a Latchkey
 * service-account token for the management audience. The account must still exist and be enabled,
 * so disabling an administrator cuts its tokens off at once, and the token must not have been
 * revoked (RFC 7009; read in the same batch as the account, so it costs no extra round trip).
 * The rules after the guard are in src/domain/management-caller.ts: management audience only, not
 * older than a revoking secret reset, and the account's CURRENT grants rather than the token's claim.
 * A personal access token (`Bearer lkp_...`) stands for its owner with the owner's current
 * permissions; see src/domain/personal-access-tokens.ts.
 */

let guard: Guard | undefined;
let keySet: { kids: string; set: { keys: PublicJwk[] } } | undefined;

/**
 * The signer's published keys as one JWKS object while they stay the same, so the guard imports
 * them once rather than per request. As fresh as the signer's own key ring (re-read at most every
 * `SIGNING_KEY_REFRESH_SECONDS`): a rotation reaches the verifier when it reaches the signer.
 */
export async function publishedKeySet(): Promise<{ keys: PublicJwk[] }> {
  const keys = await signingKeys().publicKeys();
  const kids = keys.map((key) => key.kid).join(' ');
  if (keySet?.kids !== kids) keySet = { kids, set: { keys: [...keys] } };
  return keySet.set;
}

function managementGuard(): Guard {
  guard ??= createGuard({
    issuer: issuer(),
    audience: latchkeyAudience(issuer()),
    // Serves every tenant: the caller's tenant and environment come from the token and scope every call.
    unsafeAcceptAnyTenant: true,
    jwks: publishedKeySet,
  });
  return guard;
}

export async function authenticateCaller(event: HttpEvent): Promise<Caller> {
  const authorization = header(event, 'authorization');
  const pat = presentedPersonalAccessToken(authorization);
  if (pat !== undefined) return authenticatePersonalAccessToken({ tokens: tokenStore(), hasher: pepperHasher(), now: clock }, pat);
  let claims;
  try {
    claims = await managementGuard().verifyAuthorizationHeader(authorization, { subjectType: 'ServiceAccount' });
  } catch (error) {
    throw fromGuardError(error);
  }
  const state = await tokenStore().loadJwtState(claims.environmentId, claims.jti, claims.sub);
  return callerFromServiceAccountJwt(issuer(), claims, state);
}

export function fromGuardError(error: unknown): unknown {
  if (!(error instanceof GuardError)) return error;
  switch (error.code) {
    case 'TOKEN_REQUIRED':
      return new TokenRequired(error.message);
    case 'NOT_AUTHORIZED':
      return new NotAuthorized(error.message);
    case 'JWKS_UNREACHABLE':
      return new ServiceUnavailable(`signing keys unreachable: ${error.message}`, 5, error);
    default:
      return new InvalidToken(error.message, { internalDetail: error.code });
  }
}
