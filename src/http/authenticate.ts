import { managementCallerDeps } from '../composition/dependencies';
import { authenticatePersonalAccessToken, presentedPersonalAccessToken } from '../domain/personal-access-tokens';
import { callerFromServiceAccountJwt } from '../domain/management-caller';
import type { Caller } from '../domain/caller';
import type { HttpEvent } from './handler';
import { dpopOf } from './dpop';
import { header } from './request';
import { fromGuardError } from '../adapters/token-verifier';

/**
 * Who is calling the management API. The bearer token is checked by the same guard that resource
 * servers use, against Latchkey's own published keys (read from KMS, verified locally): a Latchkey
 * service-account token for the management audience. The account must still exist and be enabled,
 * so disabling an administrator cuts its tokens off at once, and the token must not have been
 * revoked (RFC 7009; read in the same batch as the account, so it costs no extra round trip).
 * The rules after the guard are in src/domain/management-caller.ts: management audience only, not
 * older than a revoking secret reset, and the account's CURRENT grants rather than the token's claim.
 * A DPoP-bound token (RFC 9449) comes as `Authorization: DPoP <token>` with a proof for this request,
 * checked by the guard with the replay records of the token endpoint's proofs.
 * A personal access token (`Bearer lkp_...`) stands for its owner with the owner's current
 * permissions; see src/domain/personal-access-tokens.ts.
 */

export async function authenticateCaller(event: HttpEvent): Promise<Caller> {
  const deps = managementCallerDeps();
  const authorization = header(event, 'authorization');
  const pat = presentedPersonalAccessToken(authorization);
  if (pat !== undefined) return authenticatePersonalAccessToken(deps, pat);
  let claims;
  try {
    claims = await deps.guard.verifyAuthorizationHeader(authorization, { subjectType: 'ServiceAccount', dpop: dpopOf(event) });
  } catch (error) {
    throw fromGuardError(error);
  }
  const state = await deps.tokens.loadJwtState(claims.environmentId, claims.jti, claims.sub);
  return callerFromServiceAccountJwt(deps.issuer, claims, state);
}
