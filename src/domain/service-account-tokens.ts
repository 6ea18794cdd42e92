import { InvalidClient, InvalidScope, InvalidTarget, NotFound, UnauthorizedClient } from './errors';
import { parseClientId } from './ids';
import { LATCHKEY_RESOURCE_KEY, latchkeyResource, managementPermissionsOf } from './builtin-resource';
import { requireCovers, requirePermission, type Caller } from './caller';
import { effectiveGrants } from './service-account-grants';
import { audienceAliasKeys, MERGED_ROLES_CLAIM, parseScope, type ParsedScope } from './scopes';
import { secretMatches } from './secrets';
import type { BeforeEvaluating } from './authentication-throttle';
import { mintAccessToken, type MintedToken, type MinterDeps } from './minter';
import { comparableAudience } from './audiences';
import type { Environment, Resource, StoredServiceAccount } from './model';
import type { ResourceStore, ServiceAccountStore, TokenContext } from './stores';
import { enrichClaims, serviceAccountWebhookOwner, type EnrichmentDeps } from './enrichment';

/**
 * Access tokens for service accounts.
 *
 * Rules, in the order they are checked:
 * 1. The client ID names an account of an existing environment; the account exists and is enabled.
 * 2. The secret matches the account's current secret, or its previous one inside a grace period.
 * 3. Every requested resource (scope alias or `resource` parameter) exists in the environment.
 * 4. The management audience is never combined with another: a token the management API accepts
 *    is useless to every resource server, so none can replay it there. Asking for both is
 *    `invalid_target`. Without a requested resource, an account holding any built-in permission
 *    gets a management-only token; one holding none gets every customer resource it holds grants on.
 * 5. The token carries exactly the permissions that count now on its audience resources (granted,
 *    still defined, and defined as when granted: see service-account-grants.ts).
 * 6. It lives as long as the environment allows, or less if an audience resource says so; it is
 *    never dated in the second of a revoking secret reset (see service-account-grants.ts).
 * 7. It is a signed JWT, or an opaque reference token when the account's `accessTokenType` says so.
 * 8. When the environment sets `serviceAccountTokenWebhook`, its webhook is called with the account
 *    and the permissions the token carries (the signed contract of enrichment.ts) and its answer
 *    becomes the token's `extensions`; its `failurePolicy` decides a failure. Without the setting,
 *    which comes with the environment the token path reads anyway, nothing more is read or called.
 * Rules 6 and 7 and the claims are the minter's (minter.ts), as for every grant.
 * Every authentication failure is the same `invalid_client` to the client; the log gets the reason.
 */

export interface TokenDeps extends MinterDeps {
  readonly store: ServiceAccountStore & ResourceStore;
  /** Rule 8: the webhook's transport and secret vault, built only for an environment that sets the webhook (domain tests without one need none). */
  readonly enrichment?: () => EnrichmentDeps;
}

/** What authenticating a client needs: no signer, so introspection and revocation can use it too. */
export type ClientAuthDeps = Pick<TokenDeps, 'store' | 'hasher' | 'now'>;

/** An authenticated, enabled service account, with its environment and the resources asked for. */
export interface AuthenticatedServiceAccount extends TokenContext {
  readonly account: StoredServiceAccount;
  readonly environment: Environment;
}

export interface TokenRequest {
  readonly scope?: string;
  /** RFC 8707 `resource` values: a resource key or a resource's audience URI. */
  readonly resources?: readonly string[];
  /** The thumbprint of the key of the request's DPoP proof: the token is bound to it (RFC 9449 §6). */
  readonly dpopKeyThumbprint?: string;
}

/** The minter's token, as the grant answers it. */
export type IssuedToken = MintedToken;

export async function authenticateWithSecret(
  deps: TokenDeps,
  clientId: string,
  clientSecret: string,
  request: TokenRequest,
  options: Omit<SecretAuthentication, 'resourceKeys'> = {},
): Promise<IssuedToken> {
  const scope = parseScope(request.scope);
  const wanted = requestedResourceKeys(request);
  const client = await authenticateServiceAccountClient(deps, clientId, clientSecret, { ...options, resourceKeys: wanted });
  return issue(deps, client.environment, client.account, scope, request.resources ?? [], client.resources);
}

/** Rules 3 to 6 for an account the token endpoint's client authentication has already established. */
export async function issueForAuthenticatedServiceAccount(deps: TokenDeps, client: AuthenticatedServiceAccount, request: TokenRequest): Promise<IssuedToken> {
  // The resources a request names are read only now that the client has authenticated, so an
  // unauthenticated caller makes Latchkey read nothing it names.
  const keys = requestedResourceKeys(request);
  const named = keys.length === 0 ? client.resources : await deps.store.getResources(client.environment.id, keys);
  return issue(deps, client.environment, client.account, parseScope(request.scope), request.resources ?? [], named, request.dpopKeyThumbprint);
}

/**
 * The resource keys a token request names (scope aliases and `resource`), to read with the account:
 * the one answer for all three ways in (the token endpoint, `authenticateWithSecret` for GraphQL,
 * and the administrator's mint).
 */
export function requestedResourceKeys(request: TokenRequest): string[] {
  return [...audienceAliasKeys(request.scope), ...(request.resources ?? [])].filter((key) => key !== LATCHKEY_RESOURCE_KEY);
}

export interface SecretAuthentication {
  /** The secret came in HTTP Basic, so a refusal answers with `WWW-Authenticate` (RFC 6749 §5.2). */
  readonly basicScheme?: boolean;
  /** The resources to read in the same batch as the account. */
  readonly resourceKeys?: readonly string[];
  /** The failed-authentication throttle's check between reading the account and comparing the secret. */
  readonly beforeEvaluating?: BeforeEvaluating;
}

/**
 * Rules 1 and 2: the client ID and secret of an enabled service account, read in one batch with the
 * resources named (the token endpoint's audience; none for introspection and revocation).
 */
export async function authenticateServiceAccountClient(
  deps: ClientAuthDeps,
  clientId: string,
  clientSecret: string,
  { basicScheme = false, resourceKeys = [], beforeEvaluating }: SecretAuthentication = {},
): Promise<AuthenticatedServiceAccount> {
  const parsed = parseClientId(clientId);
  if (!parsed) throw new InvalidClient('client ID is not a Latchkey client ID', basicScheme);
  const context = await deps.store.loadTokenContext(parsed.environmentId, parsed.principalId, resourceKeys);
  const { account, environment } = context;
  if (!account || !environment) throw new InvalidClient(`no service account ${parsed.principalId} in ${parsed.environmentId}`, basicScheme);
  await beforeEvaluating?.({
    lastFailedAt: account.lastFailedAuthenticationAt,
    mark: (atSeconds) => deps.store.markFailedAuthentication(environment.id, account.id, atSeconds),
  });
  if (!(await secretMatches(deps.hasher, clientSecret, account.secret, Math.floor(deps.now() / 1000)))) {
    throw new InvalidClient(`wrong secret for ${account.id}`, basicScheme);
  }
  if (account.disabled) throw new InvalidClient(`service account ${account.id} is disabled`, basicScheme);
  return { account, environment, resources: context.resources };
}

/** An administrator mints a token for an account without its secret, for testing. */
export async function mintForServiceAccount(deps: TokenDeps, caller: Caller, id: string, request: TokenRequest): Promise<IssuedToken> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  const scope = parseScope(request.scope);
  const wanted = requestedResourceKeys(request);
  const context = await deps.store.loadTokenContext(caller.environmentId, id, wanted);
  if (!context.account || !context.environment) throw new NotFound(`service account "${id}"`);
  if (context.account.disabled) throw new UnauthorizedClient(`service account "${id}" is disabled`);
  // Minting acts as the account: only for a caller holding every built-in permission it holds.
  requireCovers(caller, context.account);
  return issue(deps, context.environment, context.account, scope, request.resources ?? [], context.resources);
}

async function issue(
  deps: TokenDeps,
  environment: Environment,
  account: StoredServiceAccount,
  scope: ParsedScope,
  resourceParameters: readonly string[],
  loaded: readonly Resource[],
  dpopKeyThumbprint?: string,
): Promise<IssuedToken> {
  const builtIn = latchkeyResource(deps.issuer);
  const byKey = new Map<string, Resource>([[builtIn.key, builtIn], ...loaded.map((resource) => [resource.key, resource] as const)]);
  const audienceResources = await selectResources(deps, account, scope, resourceParameters, byKey);
  if (audienceResources.length > 1 && audienceResources.some((resource) => resource.key === LATCHKEY_RESOURCE_KEY)) {
    throw new InvalidTarget(`the management API ("${LATCHKEY_RESOURCE_KEY}") cannot share a token with other resources; ask for it in a request of its own`);
  }

  const current = effectiveGrants(account, byKey);
  const permissions: Record<string, string[]> = {};
  for (const resource of audienceResources) {
    const granted = current[resource.key];
    if (granted?.length) permissions[resource.key] = [...granted];
  }
  const audiences = (audienceResources.length > 0 ? audienceResources : [builtIn]).map((resource) => resource.audience);
  const extensions = environment.serviceAccountTokenWebhook
    ? await enrichClaims(enrichmentOf(deps), serviceAccountWebhookOwner(environment), {
        tenant_id: environment.tenantId,
        environment_id: environment.id,
        subject_type: 'ServiceAccount',
        service_account_id: account.id,
        client_id: account.clientId,
        name: account.name,
        grants: permissions,
        audience: audiences,
      })
    : undefined;
  // Rule 7, decided by the minter, so every way of getting a token (token endpoint, an administrator's mint, GraphQL) honours it.
  return mintAccessToken(deps, {
    subject: { subjectType: 'ServiceAccount', id: account.id, clientId: account.clientId, name: account.name, accessTokenType: account.accessTokenType, permissions },
    tenantId: environment.tenantId,
    environmentId: environment.id,
    audience: { resources: audienceResources, otherwise: builtIn.audience },
    lifetimeSeconds: environment.serviceAccountTokenTtlSeconds,
    validAfter: account,
    scopes: scope.values,
    extra: { ...compatibilityClaims(environment, permissions, scope), ...(extensions !== undefined ? { extensions } : {}) },
    ...(dpopKeyThumbprint !== undefined ? { dpopKeyThumbprint } : {}),
  });
}

/**
 * The audience: what was asked for, by key or audience URI; else the management API alone for an
 * account holding built-in permissions, or every customer resource the account holds grants on.
 */
async function selectResources(
  deps: TokenDeps,
  account: StoredServiceAccount,
  scope: ParsedScope,
  resourceParameters: readonly string[],
  byKey: Map<string, Resource>,
): Promise<Resource[]> {
  const selected = new Map<string, Resource>();
  for (const key of scope.resourceKeys) {
    const resource = byKey.get(key);
    if (!resource) throw new InvalidScope(`resource "${key}" does not exist`);
    selected.set(resource.key, resource);
  }
  const byAudience = resourceParameters.some((value) => !byKey.has(value))
    ? new Map((await deps.store.listResources(account.environmentId)).map((resource) => [comparableAudience(resource.audience), resource] as const))
    : new Map<string, Resource>();
  byAudience.set(comparableAudience(latchkeyResource(deps.issuer).audience), latchkeyResource(deps.issuer));
  for (const value of resourceParameters) {
    // Audiences compare in their normal form (audiences.ts), as they are registered.
    const resource = byKey.get(value) ?? byAudience.get(comparableAudience(value));
    if (!resource) throw new InvalidTarget(`resource "${value}" does not exist`);
    selected.set(resource.key, resource);
    byKey.set(resource.key, resource);
  }
  if (selected.size > 0) return [...selected.values()];

  if (managementPermissionsOf(account.grants).length > 0) return [latchkeyResource(deps.issuer)];
  const grantedKeys = Object.keys(account.grants).filter((key) => key !== LATCHKEY_RESOURCE_KEY);
  const missing = grantedKeys.filter((key) => !byKey.has(key));
  const fetched = missing.length > 0 ? await deps.store.getResources(account.environmentId, missing) : [];
  for (const resource of fetched) byKey.set(resource.key, resource);
  // A grant that no longer counts (resource deleted or re-created, permissions dropped) gives no audience.
  const current = effectiveGrants(account, byKey);
  return grantedKeys.filter((key) => current[key]).map((key) => byKey.get(key)!);
}

/** ZITADEL-compatible role and resource-owner claims, for clients written against another token service. */
function compatibilityClaims(environment: Environment, permissions: Record<string, string[]>, scope: ParsedScope): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scope.includeRoles) {
    const merged: Record<string, Record<string, string>> = {};
    for (const [resourceKey, granted] of Object.entries(permissions)) {
      const roles: Record<string, Record<string, string>> = {};
      for (const permission of granted) {
        roles[permission] = { [environment.tenantId]: environment.name };
        merged[permission] = { ...merged[permission], [environment.tenantId]: environment.name };
      }
      claims[`urn:zitadel:iam:org:project:${resourceKey}:roles`] = roles;
    }
    // The merged claim is named as ZITADEL emits it (`project`, singular), unlike the scope that asks for it.
    claims[MERGED_ROLES_CLAIM] = merged;
  }
  if (scope.includeResourceOwner) {
    claims['urn:zitadel:iam:user:resourceowner:id'] = environment.tenantId;
    claims['urn:zitadel:iam:user:resourceowner:name'] = environment.tenantName;
    claims['urn:zitadel:iam:user:resourceowner:primary_domain'] = environment.name;
  }
  return claims;
}

function enrichmentOf(deps: TokenDeps): EnrichmentDeps {
  if (!deps.enrichment) throw new TypeError('an environment with a service-account webhook needs the enrichment deps');
  return deps.enrichment();
}
