import { MANAGEMENT_PERMISSIONS, LATCHKEY_RESOURCE_KEY } from './builtin-resource';
import { createTenantEnvironment, type EnvironmentDeps } from './environments';
import { createAccount, type ServiceAccountDeps, type WithSecret } from './service-accounts';
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
