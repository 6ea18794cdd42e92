import { NotAuthorized } from './errors';
import { LATCHKEY_RESOURCE_KEY, managementPermissionsOf, type ManagementPermission } from './builtin-resource';
import type { Grants } from './model';

/**
 * Who is calling the management API, as established from their bearer token. Every management
 * operation works inside `caller.environmentId`: no path or body can name another environment.
 *
 * `permissions` are the account's CURRENT grants on the built-in resource, read from the account
 * on every call, never taken from the token: a grant removed stops working at once.
 *
 * Escalation rules (after Kubernetes RBAC's escalation prevention), enforced with the helpers below:
 * - A caller may give an account only built-in permissions it holds itself.
 * - A caller may act on an account (update, disable, delete, reset its secret, mint a token for it,
 *   create or delete its PATs, set its permissions) only if it could hand out everything the account
 *   holds: all of the account's built-in permissions and, when the account holds grants on customer
 *   resources, PERMISSIONS_GRANT. Acting on an account gets its grants (a token minted, a secret or
 *   a PAT that acts as it), so it is held to the same duty as granting them. This holds for the
 *   caller's own account too.
 * - Changing grants on customer resources needs PERMISSIONS_GRANT besides SERVICE_ACCOUNTS_EDIT.
 */
export interface Caller {
  readonly tenantId: string;
  readonly environmentId: string;
  /** The service account acting. */
  readonly accountId: string;
  readonly permissions: Grants;
}

/** Whether the caller holds a built-in permission. */
export function holdsPermission(caller: Caller, permission: ManagementPermission): boolean {
  return caller.permissions[LATCHKEY_RESOURCE_KEY]?.includes(permission) === true;
}

export function requirePermission(caller: Caller, permission: ManagementPermission): void {
  if (!holdsPermission(caller, permission)) {
    throw new NotAuthorized(`this operation requires the permission ${permission} on the resource ${LATCHKEY_RESOURCE_KEY}`);
  }
}

/** Refuses giving away built-in permissions the caller does not hold. */
export function requireMayGrant(caller: Caller, granted: readonly string[]): void {
  const missing = missingFrom(caller, granted);
  if (missing.length > 0) {
    throw new NotAuthorized(`you cannot grant permissions you do not hold yourself: ${missing.join(', ')} on the resource ${LATCHKEY_RESOURCE_KEY}`);
  }
}

/**
 * Refuses acting on an account that holds built-in permissions the caller lacks, or grants on
 * customer resources when the caller lacks PERMISSIONS_GRANT. Stored customer grants count here
 * even where a resource change has made them stale (they count for nothing in tokens): the check
 * needs no read of the resources, and errs on the side of refusing.
 */
export function requireCovers(caller: Caller, target: { readonly grants: Grants }): void {
  const missing = missingFrom(caller, managementPermissionsOf(target.grants));
  if (missing.length > 0) {
    throw new NotAuthorized(
      `this service account holds permissions you do not hold: ${missing.join(', ')} on the resource ${LATCHKEY_RESOURCE_KEY}; only a caller holding all of them can act on it`,
    );
  }
  const customer = Object.keys(target.grants).filter((key) => key !== LATCHKEY_RESOURCE_KEY && (target.grants[key]?.length ?? 0) > 0);
  if (customer.length > 0 && !holdsPermission(caller, 'PERMISSIONS_GRANT')) {
    throw new NotAuthorized(
      `this service account holds grants on ${customer.map((key) => `"${key}"`).join(', ')}; acting on it needs PERMISSIONS_GRANT on the resource ${LATCHKEY_RESOURCE_KEY}, as granting them would`,
    );
  }
}

function missingFrom(caller: Caller, permissions: readonly string[]): string[] {
  const held = new Set(caller.permissions[LATCHKEY_RESOURCE_KEY] ?? []);
  return [...new Set(permissions)].filter((permission) => !held.has(permission));
}
