import { InsufficientScope, InvalidToken, TokenRequired } from '../errors';
import type { TokenRecordStore } from '../stores';
import { endUserOfToken, type TokenOriginDeps } from '../token-origins';
import { userClaims } from './id-token';
import { splitScope } from '../scopes';
import { checkResourceProof, type DpopDeps, type PresentedDpop } from '../dpop';

/**
 * The UserInfo endpoint (OpenID Connect Core §5.3).
 *
 * Rules, in the order they are checked:
 * 1. A bearer access token is presented (RFC 6750 §2.1 header, or §2.2 form body).
 * 2. It is a Latchkey JWT that verifies (signature, issuer, expiry) and is not revoked.
 * 3. It is an end user's access token issued to a client (`subjectType` `EndUserAccount` with a
 *    `client_id`): an ID token or a service account's token is not.
 * 4. What it was issued for still stands (`token-origins.ts`): its client and application exist,
 *    its user exists, is not disabled and has not signed out everywhere since, and the IDP
 *    connection the user came through is enabled.
 * 5. It was granted `openid`; `profile` and `email` release the claims they stand for.
 * A DPoP-bound token (`cnf.jkt`) comes as `Authorization: DPoP` with a proof for this request, and
 * a bound token as `Bearer` is refused (dpop.ts, checked right after rule 2's signature).
 */

export interface UserInfoDeps {
  readonly verifyJwt: (token: string) => Promise<Readonly<Record<string, unknown>> | undefined>;
  readonly tokens: Pick<TokenRecordStore, 'loadJwtState'>;
  /** Clients, applications, users and IDP connections: whether the token's origin still stands. */
  readonly origins: TokenOriginDeps;
  /** DPoP proofs of bound tokens. */
  readonly dpop: DpopDeps;
}

/** How the token came: its `Authorization` scheme (a token from the form body is `Bearer`), and the request's DPoP proof. */
export interface UserInfoPresentation {
  readonly scheme: 'Bearer' | 'DPoP';
  readonly dpop: PresentedDpop;
}

export async function userInfo(deps: UserInfoDeps, accessToken: string | undefined, presentation?: UserInfoPresentation): Promise<Record<string, unknown>> {
  if (!accessToken) throw new TokenRequired('an access token is required: Authorization: Bearer <token>');
  const claims = await deps.verifyJwt(accessToken);
  if (!claims) throw new InvalidToken('the access token is not valid or has expired');
  const environmentId = claims.environmentId;
  if (claims.subjectType !== 'EndUserAccount' || typeof claims.client_id !== 'string' || typeof environmentId !== 'string' || typeof claims.sub !== 'string') {
    throw new InvalidToken('this is not an access token issued to a client for an end user');
  }
  const cnf = claims.cnf as { jkt?: string } | undefined;
  await checkResourceProof(
    deps.dpop,
    { environmentId, ...(cnf ? { cnf } : {}) },
    accessToken,
    presentation?.scheme ?? 'Bearer',
    presentation?.dpop ?? { proof: undefined, method: 'GET', url: '' },
  );
  const { revokedUntil } = await deps.tokens.loadJwtState(environmentId, typeof claims.jti === 'string' ? claims.jti : undefined);
  if (revokedUntil !== undefined) throw new InvalidToken('the access token has been revoked');
  const user = await endUserOfToken(deps.origins, environmentId, claims);
  if (!user) throw new InvalidToken('the access token was taken back: its user, client, application or IDP connection no longer allows it');
  const scopes = splitScope(typeof claims.scope === 'string' ? claims.scope : undefined);
  if (!scopes.includes('openid')) throw new InsufficientScope('openid');
  return { sub: user.id, ...userClaims(user, scopes) };
}
