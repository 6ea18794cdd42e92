import { MANAGEMENT_PERMISSIONS, LATCHKEY_RESOURCE_KEY, managementPermissionsOf, type ManagementPermission } from './builtin-resource';
import { createTenantEnvironment, type EnvironmentDeps } from './environments';
import { NotFound } from './errors';
import { retryOnConcurrentUpdate } from './optimistic';
import { createAccount, publicView, type ServiceAccountDeps, type WithSecret } from './service-accounts';
import type { Environment, ServiceAccount, Tenant } from './model';

/**
 * The start of every environment: a tenant (new or existing), an environment in it, and its first
 * administrator, a service account holding every management permission. Its secret is answered
 * here once. Used by the deployed stack's bootstrap function and by the local runtime.
 */

export interface BootstrapInput {
  readonly tenantName: string;
  readonly tenantId?: string;
  readonly environmentName: string;
  readonly environmentId?: string;
  readonly adminName?: string;
  /** Fixed administrator credentials (local development only). */
  readonly admin?: { readonly id: string; readonly secret: string };
}

export interface Bootstrapped {
  readonly tenant: Tenant;
  readonly environment: Environment;
  readonly admin: ServiceAccount & WithSecret;
}

export async function bootstrapEnvironment(deps: EnvironmentDeps & ServiceAccountDeps, input: BootstrapInput): Promise<Bootstrapped> {
  const { tenant, environment } = await createTenantEnvironment(deps, input);
  const admin = await createAdministrator(deps, environment, input.adminName, input.admin);
  return { tenant, environment, admin };
}

/** A service account holding every management permission of the environment. */
export function createAdministrator(
  deps: ServiceAccountDeps,
  environment: Environment,
  name = 'Administrator',
  fixed?: { readonly id: string; readonly secret: string },
): Promise<ServiceAccount & WithSecret> {
  return createAccount(
    deps,
    environment.tenantId,
    environment.id,
    {
      name,
      description: 'Administrator created by bootstrap',
      grants: { [LATCHKEY_RESOURCE_KEY]: [...MANAGEMENT_PERMISSIONS] },
    },
    fixed,
  );
}

export interface GrantManagementInput {
  readonly environmentId: string;
  readonly accountId: string;
  /** The built-in permissions to add; every one the code defines when absent. */
  readonly permissions?: readonly ManagementPermission[];
}

export interface GrantedManagement {
  readonly account: ServiceAccount;
  /** The permissions this call added (empty when the account held them all already). */
  readonly added: readonly string[];
}

/**
 * Break-glass for operators: adds built-in permissions to an existing service account without a
 * caller, so the escalation rule (nobody grants what they do not hold) does not leave an
 * environment made before a permission existed without anyone who may hold it. Reached only by
 * the bootstrap function, whose invocation IAM authorises; its grants on customer resources stay
 * as they are. Conditional on the version read, as every change of an account.
 */
export async function grantManagementPermissions(deps: ServiceAccountDeps, input: GrantManagementInput): Promise<GrantedManagement> {
  const wanted = input.permissions ?? MANAGEMENT_PERMISSIONS;
  return retryOnConcurrentUpdate(async () => {
    const account = await deps.store.getServiceAccount(input.environmentId, input.accountId);
    if (!account) throw new NotFound(`service account "${input.accountId}" in environment "${input.environmentId}"`);
    const held = managementPermissionsOf(account.grants);
    const added = [...new Set(wanted)].filter((permission) => !held.includes(permission));
    if (added.length === 0) return { account: publicView(account), added };
    const updated = await deps.store.updateServiceAccount(input.environmentId, input.accountId, account.version, {
      // In the order the code defines them, as a new administrator holds them.
      grants: { ...account.grants, [LATCHKEY_RESOURCE_KEY]: MANAGEMENT_PERMISSIONS.filter((permission) => held.includes(permission) || added.includes(permission)) },
      updatedAt: new Date(deps.now()).toISOString(),
    });
    if (!updated) throw new NotFound(`service account "${input.accountId}" in environment "${input.environmentId}"`);
    return { account: publicView(updated), added };
  });
}
