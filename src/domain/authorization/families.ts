import type { TokenRecordStore } from '../stores';
import type { AuthorizationStore } from './ports';

/**
 * Revoking a token family: everything issued from one authorization code. The family is marked
 * revoked first (no refresh token of it is honoured and no access token joins it from then on),
 * then every access token issued in it is revoked by its `jti` until it expires. Used by the grants
 * (a replayed code, a reused refresh token) and by revocation (RFC 7009 §2.1, RFC 9700 §4.14).
 */
export async function revokeFamily(
  deps: { readonly authorizations: Pick<AuthorizationStore, 'revokeFamily'>; readonly tokens: Pick<TokenRecordStore, 'revokeJwt'> },
  environmentId: string,
  familyId: string,
): Promise<void> {
  const family = await deps.authorizations.revokeFamily(environmentId, familyId);
  await Promise.all((family?.accessTokens ?? []).map((token) => deps.tokens.revokeJwt(environmentId, token.jti, token.exp)));
}
