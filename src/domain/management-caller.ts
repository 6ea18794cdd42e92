import { latchkeyAudience } from './builtin-resource';
import type { Caller } from './caller';
import { InvalidToken } from './errors';
import { jwtRevokedByReset } from './revoking-resets';
import { managementGrants } from './service-account-grants';
import type { StoredServiceAccount } from './model';

/**
 * The management caller a verified service-account JWT stands for. The signature, issuer, lifetime
 * and subject type are the guard's business; these rules come after it, in this order:
 * 1. `aud` is exactly the management audience: a token that also names another audience may have
 *    been handed to (and replayed by) that resource server.
 * 2. The account still exists and is enabled.
 * 3. The token's `jti` has not been revoked (any revocation record counts, even one past its
 *    `expiresAt`: the guard's clock tolerance would otherwise let a revoked token through for a few
 *    seconds after it expired).
 * 4. It was not issued before a secret reset that revoked the account's earlier tokens.
 * 5. What the caller may do comes from the account's CURRENT grants, never from the token's
 *    `permissions` claim, so a removed grant stops working at once.
 */
export function callerFromServiceAccountJwt(
  issuer: string,
  claims: { readonly aud?: unknown; readonly iat?: unknown },
  state: { readonly owner?: StoredServiceAccount; readonly revokedUntil?: number },
): Caller {
  const management = latchkeyAudience(issuer);
  const aud = claims.aud;
  if (!(aud === management || (Array.isArray(aud) && aud.length === 1 && aud[0] === management))) {
    throw new InvalidToken('a management token must have the management API as its only audience', { internalDetail: 'mixed audience' });
  }
  const account = state.owner;
  if (!account || account.disabled) throw new InvalidToken('the service account this token was issued to is disabled or deleted');
  if (state.revokedUntil !== undefined) throw new InvalidToken('this token has been revoked');
  if (typeof claims.iat !== 'number' || jwtRevokedByReset(account, claims.iat)) {
    throw new InvalidToken('this token was issued before a secret reset that revoked earlier tokens');
  }
  return { tenantId: account.tenantId, environmentId: account.environmentId, accountId: account.id, permissions: managementGrants(account) };
}
