import { NotAuthorized } from './errors';
import { LATCHKEY_RESOURCE_KEY, type ManagementPermission } from './builtin-resource';
import type { Grants } from './model';

/**
 * Who is calling the management API, as established from their bearer token. Every management
 * operation works inside `caller.environmentId`: no path or body can name another environment.
 */
export interface Caller {
  readonly tenantId: string;
  readonly environmentId: string;
  /** The service account acting. */
  readonly accountId: string;
  readonly permissions: Grants;
}

export function requirePermission(caller: Caller, permission: ManagementPermission): void {
  if (!caller.permissions[LATCHKEY_RESOURCE_KEY]?.includes(permission)) {
    throw new NotAuthorized(`this operation requires the permission ${permission} on the resource ${LATCHKEY_RESOURCE_KEY}`);
  }
}
