import { UnauthorizedClient, UnsupportedTokenType } from './errors';
import { revokeFamily } from './authorization/families';
import { findActiveToken, findRefreshToken, isRefreshToken, type ActiveToken, type IntrospectionDeps } from './introspection';
import type { OAuthClient } from './token-endpoint';

/**
 * Token revocation (RFC 7009). Answers whether a live token was revoked (for metrics only:
 * the client is told success either way).
 *
 * Rules this module enforces:
 * - The caller is an authenticated client: an enabled service account or a registry client; a
 *   public client (PKCE instead of a secret) may revoke only the tokens issued to it (RFC 7009 §2.1
 *   asks for client authentication of confidential clients only; whoever presents a public client's
 *   token holds it anyway). Only tokens of its own environment can be revoked. Anything unknown, expired, already revoked or foreign is answered as success
 *   (RFC 7009 §2.2), so revocation reveals nothing about tokens the caller does not hold.
 * - A client may revoke the tokens issued to it (RFC 7009 §2.1). A service account holding
 *   SERVICE_ACCOUNTS_EDIT on `latchkey` may revoke any token of its environment: it could disable
 *   the owner or delete its PATs anyway. Anyone else is told `unauthorized_client`.
 * - A refresh token (unexpired, spent or not) revokes its whole family: every refresh token of the
 *   grant and every access token issued from it (RFC 7009 §2.1, RFC 9700 §4.14).
 * - Opaque tokens and PATs are deleted, so they stop at once everywhere. A JWT cannot be unsigned:
 *   its `jti` is recorded as revoked until the JWT's own `exp` (the record's TTL), and introspection,
 *   the management API and guards configured with introspection refuse it from then on.
 * - `token_type_hint` may be `access_token`, `refresh_token` or `personal_access_token`; any other
 *   value is `unsupported_token_type`. The hint never narrows the search (RFC 7009 §2.1).
 */

export const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token', 'personal_access_token'] as const;

export async function revoke(deps: IntrospectionDeps, caller: OAuthClient, token: string, hint?: string): Promise<boolean> {
  if (hint !== undefined && !(TOKEN_TYPE_HINTS as readonly string[]).includes(hint)) throw new UnsupportedTokenType(hint);
  const found = await tokenToRevoke(deps, caller.environmentId, token);
  if (!found) return false;
  if (!mayRevoke(caller, found)) {
    throw new UnauthorizedClient('this token was not issued to this client; revoking it needs SERVICE_ACCOUNTS_EDIT on latchkey');
  }
  switch (found.kind) {
    case 'personal_access_token':
      return deps.tokens.deletePersonalAccessToken(found.record.environmentId, found.record.serviceAccountId, found.id);
    case 'opaque':
      return deps.tokens.deleteOpaqueToken(caller.environmentId, found.id);
    case 'jwt':
      await deps.tokens.revokeJwt(caller.environmentId, found.id, found.expiresAt);
      return true;
    case 'refresh_token':
      await revokeFamily(deps, caller.environmentId, found.record.familyId);
      return true;
  }
}

/** An active token, or any unexpired refresh token: a spent one too, since whoever holds a token of a family may end the grant. */
async function tokenToRevoke(deps: IntrospectionDeps, environmentId: string, token: string): Promise<ActiveToken | undefined> {
  if (!isRefreshToken(token)) return findActiveToken(deps, environmentId, token);
  const record = await findRefreshToken(deps, environmentId, token);
  return record && { kind: 'refresh_token', id: record.familyId, record };
}

function mayRevoke(caller: OAuthClient, token: ActiveToken): boolean {
  if (caller.mayRevokeAny) return true;
  if (token.kind === 'personal_access_token') return token.owner.id === caller.principalId;
  if (token.kind === 'refresh_token') return token.record.clientRef === caller.principalId;
  return token.claims.sub === caller.principalId || token.claims.client_id === caller.clientId;
}
