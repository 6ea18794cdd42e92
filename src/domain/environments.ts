import { newId } from './ids';
import { InvalidRequest, NotFound } from './errors';
import type { Caller } from './caller';
import { requirePermission } from './caller';
import type { Environment, Tenant } from './model';
import type { Clock } from './primitives';
import type { EnvironmentStore } from './stores';
import { retryOnConcurrentUpdate } from './optimistic';
import { newSecret } from './ids';
import { webhookSettings, type WebhookInput, type WebhookSecretVault } from './webhook-settings';

/** One hour unless the environment says otherwise; never under 30 seconds, never over a day. */
export const DEFAULT_SERVICE_ACCOUNT_TOKEN_TTL_SECONDS = 3600;
export const MIN_TOKEN_TTL_SECONDS = 30;
export const MAX_TOKEN_TTL_SECONDS = 86_400;

/**
 * Personal access tokens live at most a year unless the environment says less (never under an hour):
 * a PAT is a bearer secret that scripts and CI keep, so a forgotten or leaked one must end by itself.
 */
export const DEFAULT_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS = 365 * 86_400;
export const MIN_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS = 3600;

/** The longest a PAT of this environment may live, in seconds. */
export function personalAccessTokenMaxLifetime(environment: Pick<Environment, 'personalAccessTokenMaxLifetimeSeconds'>): number {
  return environment.personalAccessTokenMaxLifetimeSeconds ?? DEFAULT_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS;
}

export interface EnvironmentDeps {
  readonly store: EnvironmentStore;
  readonly now: Clock;
  /** Where the service-account webhook's secret is kept; built only when that setting changes. */
  readonly vault?: () => Pick<WebhookSecretVault, 'put' | 'remove'>;
}

/** An environment as the management API answers it: where its webhook secret is kept is not told. */
export type EnvironmentView = Omit<Environment, 'serviceAccountTokenWebhookSecret'> & { readonly serviceAccountTokenWebhookSecretConfigured?: boolean };

function environmentView(environment: Environment): EnvironmentView {
  const { serviceAccountTokenWebhookSecret, ...view } = environment;
  return serviceAccountTokenWebhookSecret ? { ...view, serviceAccountTokenWebhookSecretConfigured: true } : view;
}

/** The environment's settings a management caller may change. */
export interface EnvironmentChanges {
  name?: string;
  serviceAccountTokenTtlSeconds?: number;
  personalAccessTokenMaxLifetimeSeconds?: number;
  /** Enrichment of service-account tokens; `null` removes the setting and deletes its secret. */
  serviceAccountTokenWebhook?: WebhookInput | null;
}

export async function getEnvironment(deps: EnvironmentDeps, caller: Caller): Promise<EnvironmentView> {
  requirePermission(caller, 'ENVIRONMENT_READ');
  const environment = await deps.store.getEnvironment(caller.environmentId);
  if (!environment) throw new NotFound('the environment');
  return environmentView(environment);
}

/**
 * Changes the environment's settings. The service-account webhook (`serviceAccountTokenWebhook`) is
 * checked as an application's webhook is (its target against the outbound policy, its time budget);
 * the first time it is set, a signing secret is made, kept in the vault and answered this once as
 * `serviceAccountTokenWebhookSecret` (setting it again keeps the secret; removing the setting with
 * `null` deletes the secret, so setting it afterwards makes a new one).
 */
export async function updateEnvironment(
  deps: EnvironmentDeps,
  caller: Caller,
  input: EnvironmentChanges,
): Promise<EnvironmentView & { readonly serviceAccountTokenWebhookSecret?: string }> {
  requirePermission(caller, 'ENVIRONMENT_EDIT');
  const { serviceAccountTokenWebhook: webhookInput, ...changes } = input;
  const webhook = webhookInput ? webhookSettings(webhookInput, 'serviceAccountTokenWebhook') : webhookInput;
  if (changes.serviceAccountTokenTtlSeconds !== undefined) checkTokenTtl('serviceAccountTokenTtlSeconds', changes.serviceAccountTokenTtlSeconds);
  if (changes.personalAccessTokenMaxLifetimeSeconds !== undefined) checkPersonalAccessTokenMaxLifetime(changes.personalAccessTokenMaxLifetimeSeconds);
  if (changes.name !== undefined && !changes.name.trim()) throw new InvalidRequest('name must not be empty', { fields: [{ path: 'name', message: 'must not be empty' }] });
  return retryOnConcurrentUpdate(async () => {
    const current = await deps.store.getEnvironment(caller.environmentId);
    if (!current) throw new NotFound('the environment');
    // The vault first, the record second (as for an application's secret): a failed write leaves at most an unused secret.
    // Kept under the environment's own ID where an application's ID would be: no application has it.
    const secret = webhook && !current.serviceAccountTokenWebhookSecret ? newSecret('lkw') : undefined;
    const secretRef = secret ? await vaultOf(deps).put(caller.environmentId, caller.environmentId, secret) : undefined;
    const webhookChanges =
      webhook === undefined
        ? {}
        : webhook === null
          ? { serviceAccountTokenWebhook: null, serviceAccountTokenWebhookSecret: null }
          : { serviceAccountTokenWebhook: webhook, ...(secretRef ? { serviceAccountTokenWebhookSecret: secretRef } : {}) };
    const updated = await deps.store.updateEnvironment(caller.environmentId, current.version, {
      ...changes,
      ...(webhookChanges as Partial<Environment>),
      updatedAt: new Date(deps.now()).toISOString(),
    });
    if (!updated) throw new NotFound('the environment');
    if (webhook === null && current.serviceAccountTokenWebhookSecret) await vaultOf(deps).remove(current.serviceAccountTokenWebhookSecret);
    return { ...environmentView(updated), ...(secret ? { serviceAccountTokenWebhookSecret: secret } : {}) };
  });
}

function vaultOf(deps: EnvironmentDeps): Pick<WebhookSecretVault, 'put' | 'remove'> {
  if (!deps.vault) throw new TypeError('changing the service-account webhook needs the webhook vault');
  return deps.vault();
}

/** Creates a tenant (if new) and an environment in it; used by the bootstrap paths only. */
export async function createTenantEnvironment(
  deps: EnvironmentDeps,
  input: { tenantId?: string; tenantName: string; environmentId?: string; environmentName: string },
): Promise<{ tenant: Tenant; environment: Environment }> {
  if (!input.tenantName.trim() || !input.environmentName.trim()) throw new InvalidRequest('tenant and environment names must not be empty');
  const createdAt = new Date(deps.now()).toISOString();
  // An existing tenant keeps its name: the environment (and so every token) carries the stored one.
  const tenant = await deps.store.createTenant({ id: input.tenantId ?? newId('ten'), name: input.tenantName, createdAt });
  const environment: Environment = {
    id: input.environmentId ?? newId('env'),
    tenantId: tenant.id,
    tenantName: tenant.name,
    name: input.environmentName,
    serviceAccountTokenTtlSeconds: DEFAULT_SERVICE_ACCOUNT_TOKEN_TTL_SECONDS,
    personalAccessTokenMaxLifetimeSeconds: DEFAULT_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS,
    createdAt,
    updatedAt: createdAt,
    version: 1,
  };
  await deps.store.createEnvironment(environment);
  return { tenant, environment };
}

export function checkTokenTtl(field: string, seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < MIN_TOKEN_TTL_SECONDS || seconds > MAX_TOKEN_TTL_SECONDS) {
    const message = `must be a whole number of seconds from ${MIN_TOKEN_TTL_SECONDS} to ${MAX_TOKEN_TTL_SECONDS}`;
    throw new InvalidRequest(`${field} ${message}`, { fields: [{ path: field, message }] });
  }
}

function checkPersonalAccessTokenMaxLifetime(seconds: number): void {
  const [min, max] = [MIN_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS, DEFAULT_PERSONAL_ACCESS_TOKEN_MAX_LIFETIME_SECONDS];
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    const message = `must be a whole number of seconds from ${min} (an hour) to ${max} (a year)`;
    throw new InvalidRequest(`personalAccessTokenMaxLifetimeSeconds ${message}`, { fields: [{ path: 'personalAccessTokenMaxLifetimeSeconds', message }] });
  }
}
