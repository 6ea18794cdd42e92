import { LATCHKEY_RESOURCE_KEY, managementPermissionsOf } from './builtin-resource';
import type { Grants, Resource, StoredServiceAccount } from './model';

/**
 * What an account's stored grants are worth now (which of its tokens still count: revoking-resets.ts).
 *
 * Grants and resource definitions are separate records and there are no transactions, so a grant
 * is never trusted as stored. A granted permission counts only where the resource still exists and
 * defines the permission under the same incarnation the grant was made for. Every permission of a
 * resource gets a random ID when it is added to the definition (at creation too), and a grant
 * records the IDs it was made for. So a permission dropped from a resource, or a deleted resource,
 * is out of every later token and of every grant listing at once; defining the permission again,
 * or creating the resource again under the same key, gives new IDs and does not bring old grants
 * back. This costs nothing on the hot path (the resources are read to issue the token anyway) and
 * needs no scan of accounts when a resource changes. Stale entries stay in the account record until
 * its grants are next set, and count for nothing.
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

function customerPermissions(account: Pick<StoredServiceAccount, 'grantIncarnations'>, key: string, granted: readonly string[], resource: Resource | undefined): string[] {
  if (!resource) return [];
  const grantedFor = account.grantIncarnations?.[key];
  return granted.filter((permission) => resource.permissions.includes(permission) && resource.permissionIncarnations?.[permission] === grantedFor?.[permission]);
}

/** The incarnations of `permissions` now: kept for those already defined, new for the others. */
export function permissionIncarnations(
  permissions: readonly string[],
  previous: Readonly<Record<string, string>> | undefined,
  newIncarnation: () => string,
): Record<string, string> {
  return Object.fromEntries(permissions.map((permission) => [permission, previous?.[permission] ?? newIncarnation()]));
}

/** The account's current permissions on the management API. */
export function managementGrants(account: Pick<StoredServiceAccount, 'grants'>): Grants {
  const management = managementPermissionsOf(account.grants);
  return management.length > 0 ? { [LATCHKEY_RESOURCE_KEY]: management } : {};
}
