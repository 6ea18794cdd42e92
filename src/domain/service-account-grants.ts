import { LATCHKEY_RESOURCE_KEY, managementPermissionsOf } from './builtin-resource';
import type { Grants, Resource, StoredServiceAccount } from './model';

/**
 * What an account's stored grants are worth now, and which of its tokens still count.
 *
 * Grants and resource definitions are separate records and there are no transactions, so a grant
 * is never trusted as stored. It counts only where:
 * - the resource still exists and defines the permission (a permission dropped from a resource, or
 *   a deleted resource, is out of every later token and of the management API at once); and
 * - the resource is the same incarnation the grant was made for. Each resource gets a random
 *   `incarnation` when it is created, and a grant records it; a resource deleted and created again
 *   under the same key has a new one, so old grants do not come back. This costs nothing on the
 *   hot path (the resources are read to issue the token anyway) and needs no scan of accounts when a
 *   resource is deleted. Stale grants stay in the record until the account's grants are next set.
 * The built-in resource never changes; only the permissions the code still defines count.
 */

export function effectiveGrants(account: Pick<StoredServiceAccount, 'grants' | 'grantIncarnations'>, resources: ReadonlyMap<string, Resource>): Grants {
  const effective: Record<string, string[]> = {};
  for (const [key, granted] of Object.entries(account.grants)) {
    const permissions = key === LATCHKEY_RESOURCE_KEY ? managementPermissionsOf(account.grants) : customerPermissions(account, key, granted, resources.get(key));
    if (permissions.length > 0) effective[key] = permissions;
  }
  return effective;
}

function customerPermissions(
  account: Pick<StoredServiceAccount, 'grantIncarnations'>,
  key: string,
  granted: readonly string[],
  resource: Resource | undefined,
): string[] {
  if (!resource || resource.incarnation !== account.grantIncarnations?.[key]) return [];
  return granted.filter((permission) => resource.permissions.includes(permission));
}

/** The account's current permissions on the management API. */
export function managementGrants(account: Pick<StoredServiceAccount, 'grants'>): Grants {
  const management = managementPermissionsOf(account.grants);
  return management.length > 0 ? { [LATCHKEY_RESOURCE_KEY]: management } : {};
}

/**
 * Tokens and a revoking reset. A JWT's `iat` has whole seconds, so a JWT issued in the second of the
 * reset cannot be told apart from one issued just before it: all of them are refused, and tokens
 * issued in that second are dated to the next one instead (see `earliestIssuedAt`).
 */
export function jwtRevokedByReset(account: Pick<StoredServiceAccount, 'tokensValidAfter'>, iatSeconds: number): boolean {
  const after = validAfterMs(account);
  return after !== undefined && iatSeconds <= Math.floor(after / 1000);
}

/** PATs and opaque tokens carry a millisecond creation time; one created at the reset's millisecond counts as earlier. */
export function createdBeforeReset(account: Pick<StoredServiceAccount, 'tokensValidAfter'>, createdMs: number): boolean {
  const after = validAfterMs(account);
  return after !== undefined && createdMs <= after;
}

/** The `iat` for a JWT issued now: never in the second of a revoking reset (at most one second ahead). */
export function earliestIssuedAt(account: Pick<StoredServiceAccount, 'tokensValidAfter'>, nowMs: number): number {
  const after = validAfterMs(account);
  const now = Math.floor(nowMs / 1000);
  return after === undefined ? now : Math.max(now, Math.floor(after / 1000) + 1);
}

/** The creation time (ms) for a PAT created now: never at or before a revoking reset. */
export function earliestCreatedAt(account: Pick<StoredServiceAccount, 'tokensValidAfter'>, nowMs: number): number {
  const after = validAfterMs(account);
  return after === undefined ? nowMs : Math.max(nowMs, after + 1);
}

function validAfterMs(account: Pick<StoredServiceAccount, 'tokensValidAfter'>): number | undefined {
  return account.tokensValidAfter === undefined ? undefined : Date.parse(account.tokensValidAfter);
}
