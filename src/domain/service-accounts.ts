import { Conflict, InvalidRequest, NotFound } from './errors';
import { formatClientId, isId, newId } from './ids';
import { LATCHKEY_RESOURCE_KEY, latchkeyResource } from './builtin-resource';
import { requireCovers, requireMayGrant, requirePermission, type Caller } from './caller';
import { retryOnConcurrentUpdate } from './optimistic';
import { revokingResetTime } from './revoking-resets';
import { effectiveGrants } from './service-account-grants';
import { checkGracePeriod, generateClientSecret, rotatedHashes } from './secrets';
import type { AccessTokenType, Grants, Page, Resource, ServiceAccount, StoredServiceAccount } from './model';
import type { Clock, SecretHasher } from './primitives';
import type { ResourceStore, ServiceAccountStore } from './stores';
import { pageLimit } from './paging';

/**
 * Service accounts: software that authenticates with a client ID and secret.
 *
 * Rules this module enforces (besides the permission each operation names):
 * - No escalation (see caller.ts): built-in permissions are given only by a caller holding them, and
 *   an account is changed, reset, disabled or deleted only by a caller whose built-in permissions
 *   include all of the account's (and PERMISSIONS_GRANT when it holds customer grants), the caller's
 *   own account included.
 * - Grants on customer resources are changed only with PERMISSIONS_GRANT.
 * - Disabling an account sets `tokensValidAfter` as a revoking secret reset does: every token issued
 *   before is refused for good, and enabling the account again brings none of them back.
 * - Every read-modify-write is conditional on the version read and retried from a fresh read when
 *   another writer got there first, so no answered secret or grant is silently lost.
 */

export interface ServiceAccountDeps {
  readonly store: ServiceAccountStore & ResourceStore;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  readonly issuer: string;
}

export interface CreateServiceAccountInput {
  name: string;
  description?: string;
  userName?: string;
  accessTokenType?: AccessTokenType;
  requireDpop?: boolean;
  grants?: Grants;
}

export interface WithSecret {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** What callers see of an account: never its secret hashes. */
export function publicView(account: StoredServiceAccount): ServiceAccount {
  const { secret: _secret, grantIncarnations: _incarnations, lastFailedAuthenticationAt: _lastFailed, ...view } = account;
  return view;
}

export async function createServiceAccount(deps: ServiceAccountDeps, caller: Caller, input: CreateServiceAccountInput): Promise<ServiceAccount & WithSecret> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (input.grants) requireMayChangeGrants(caller, {}, input.grants);
  return createAccount(deps, caller.tenantId, caller.environmentId, input);
}

/** Creation without a caller, for the bootstrap paths that make an environment's first admin. */
export async function createAccount(
  deps: ServiceAccountDeps,
  tenantId: string,
  environmentId: string,
  input: CreateServiceAccountInput,
  fixed?: { id: string; secret: string },
): Promise<ServiceAccount & WithSecret> {
  checkName(input.name);
  const checked = input.grants ? await checkGrants(deps, environmentId, input.grants) : { grants: {}, incarnations: {} };
  const id = fixed?.id ?? newId('sa');
  const { secret, hash } = fixed ? { secret: fixed.secret, hash: await deps.hasher.hash(fixed.secret) } : await generateClientSecret(deps.hasher);
  const now = new Date(deps.now()).toISOString();
  const account: StoredServiceAccount = {
    id,
    environmentId,
    tenantId,
    clientId: formatClientId(id, environmentId),
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.userName !== undefined ? { userName: input.userName } : {}),
    accessTokenType: input.accessTokenType ?? 'jwt',
    ...(input.requireDpop ? { requireDpop: true } : {}),
    disabled: false,
    grants: checked.grants,
    grantIncarnations: checked.incarnations,
    secret: { current: hash },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  await deps.store.createServiceAccount(account);
  return { ...publicView(account), clientSecret: secret };
}

export async function listServiceAccounts(deps: ServiceAccountDeps, caller: Caller, options: { limit?: number; cursor?: string }): Promise<Page<ServiceAccount>> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  const limit = pageLimit(options.limit);
  const page = await deps.store.listServiceAccounts(caller.environmentId, limit, options.cursor);
  return { items: page.items.map(publicView), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

export async function getServiceAccount(deps: ServiceAccountDeps, caller: Caller, id: string): Promise<ServiceAccount> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  return publicView(await load(deps, caller, id));
}

export async function updateServiceAccount(
  deps: ServiceAccountDeps,
  caller: Caller,
  id: string,
  changes: { name?: string; description?: string; disabled?: boolean; requireDpop?: boolean },
): Promise<ServiceAccount> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (changes.name !== undefined) checkName(changes.name);
  return retryOnConcurrentUpdate(async () => {
    const account = await load(deps, caller, id);
    requireCovers(caller, account);
    const nowMs = deps.now();
    // Disabling takes back every earlier token for good: enabling again revives none of them.
    const disabling = changes.disabled === true && !account.disabled;
    const updated = await deps.store.updateServiceAccount(caller.environmentId, id, account.version, {
      ...changes,
      ...(disabling ? { tokensValidAfter: new Date(revokingResetTime(account, nowMs)).toISOString() } : {}),
      updatedAt: new Date(nowMs).toISOString(),
    });
    if (!updated) throw notFound(id);
    return publicView(updated);
  });
}

export async function deleteServiceAccount(deps: ServiceAccountDeps, caller: Caller, id: string): Promise<void> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (id === caller.accountId) throw new Conflict('a service account cannot delete itself; use another administrator');
  await retryOnConcurrentUpdate(async () => {
    const account = await load(deps, caller, id);
    requireCovers(caller, account);
    // Conditional on the version checked: an account given more permissions meanwhile is not deleted.
    // Found a moment ago: a delete that finds nothing now was done meanwhile, by this call's own
    // attempt whose answer was lost (the SDK retried it) or by a concurrent delete. Either way the
    // record is gone, as asked (DELETE is idempotent, RFC 9110 §9.2.2): never a 404 here.
    await deps.store.deleteServiceAccount(caller.environmentId, id, account.version);
  });
}

/**
 * A new secret, shown once; the old one stops at once or after the grace period asked for. With
 * `revokeTokens`, every token issued before the reset stops working too (JWTs, opaque tokens, PATs),
 * and the old secret stops at once: a grace period with it is refused.
 */
export async function resetSecret(
  deps: ServiceAccountDeps,
  caller: Caller,
  id: string,
  options: { gracePeriodSeconds?: number; revokeTokens?: boolean },
): Promise<ServiceAccount & WithSecret> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  const grace = checkGracePeriod(options.gracePeriodSeconds);
  if (options.revokeTokens && grace > 0) {
    // Revoking says the old secret leaked; a grace period would let it keep getting fresh tokens.
    const message =
      'cannot be combined with revokeTokens: a reset that revokes tokens is for a leaked secret, which must stop at once instead of issuing new tokens for the grace period';
    throw new InvalidRequest(`gracePeriodSeconds ${message}`, { fields: [{ path: 'gracePeriodSeconds', message }] });
  }
  return retryOnConcurrentUpdate(async () => {
    const account = await load(deps, caller, id);
    requireCovers(caller, account);
    const { secret, hash } = await generateClientSecret(deps.hasher);
    const nowMs = deps.now();
    // Conditional on the version read: the hash rotated out is the one that was current, so every
    // secret answered with 200 works until a later reset replaces it (never lost to a concurrent one).
    const updated = await deps.store.updateServiceAccount(caller.environmentId, id, account.version, {
      secret: rotatedHashes(account.secret, hash, grace, Math.floor(nowMs / 1000)),
      ...(options.revokeTokens ? { tokensValidAfter: new Date(revokingResetTime(account, nowMs)).toISOString() } : {}),
      updatedAt: new Date(nowMs).toISOString(),
    });
    if (!updated) throw notFound(id);
    return { ...publicView(updated), clientSecret: secret };
  });
}

export interface GrantInput {
  resource: string;
  permissions: string[];
  roles?: unknown;
}

/** The grants that count now: on resources that exist as granted, with permissions they still define. */
export async function getPermissions(deps: ServiceAccountDeps, caller: Caller, id: string): Promise<{ grants: GrantInput[] }> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  const account = await load(deps, caller, id);
  return { grants: toGrantList(await currentGrants(deps, account)) };
}

/** Replaces the account's grants. Roles are for people and are refused outright. */
export async function setPermissions(deps: ServiceAccountDeps, caller: Caller, id: string, input: { grants: GrantInput[]; roles?: unknown }): Promise<{ grants: GrantInput[] }> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (input.roles !== undefined || input.grants.some((grant) => grant.roles !== undefined)) {
    throw new InvalidRequest('roles cannot be assigned to service accounts; grant permissions on resources instead');
  }
  const requested: Record<string, string[]> = {};
  for (const grant of input.grants) {
    if (requested[grant.resource]) throw new InvalidRequest(`resource "${grant.resource}" is listed twice`);
    requested[grant.resource] = [...new Set(grant.permissions)];
  }
  return retryOnConcurrentUpdate(async () => {
    const account = await load(deps, caller, id);
    requireCovers(caller, account);
    const checked = await checkGrants(deps, caller.environmentId, requested);
    requireMayChangeGrants(caller, await currentGrants(deps, account), checked.grants);
    const updated = await deps.store.updateServiceAccount(caller.environmentId, id, account.version, {
      grants: checked.grants,
      grantIncarnations: checked.incarnations,
      updatedAt: new Date(deps.now()).toISOString(),
    });
    if (!updated) throw notFound(id);
    return { grants: toGrantList(checked.grants) };
  });
}

/**
 * Built-in permissions are given only by a caller holding them (removing them needs no more than
 * acting on the account, which `requireCovers` decides); any change on a customer resource needs
 * PERMISSIONS_GRANT.
 */
function requireMayChangeGrants(caller: Caller, before: Grants, after: Grants): void {
  requireMayGrant(caller, after[LATCHKEY_RESOURCE_KEY] ?? []);
  const customerKeys = new Set([...Object.keys(before), ...Object.keys(after)].filter((key) => key !== LATCHKEY_RESOURCE_KEY));
  const changed = [...customerKeys].some((key) => !samePermissions(before[key] ?? [], after[key] ?? []));
  if (changed) requirePermission(caller, 'PERMISSIONS_GRANT');
}

function samePermissions(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((permission) => b.includes(permission));
}

async function currentGrants(deps: ServiceAccountDeps, account: StoredServiceAccount): Promise<Grants> {
  const keys = Object.keys(account.grants).filter((key) => key !== LATCHKEY_RESOURCE_KEY);
  const resources = await deps.store.getResources(account.environmentId, keys);
  return effectiveGrants(account, new Map(resources.map((resource) => [resource.key, resource])));
}

async function load(deps: ServiceAccountDeps, caller: Caller, id: string): Promise<StoredServiceAccount> {
  const account = await deps.store.getServiceAccount(caller.environmentId, id);
  if (!account) throw notFound(id);
  return account;
}

/**
 * Every granted permission must be one its resource defines; grants with no permissions are dropped.
 * Answers the grants and the permission incarnations they were made for.
 */
async function checkGrants(deps: ServiceAccountDeps, environmentId: string, grants: Grants): Promise<{ grants: Grants; incarnations: Record<string, Record<string, string>> }> {
  const keys = Object.keys(grants);
  const stored = await deps.store.getResources(
    environmentId,
    keys.filter((key) => key !== LATCHKEY_RESOURCE_KEY),
  );
  const resources = new Map<string, Resource>(stored.map((resource) => [resource.key, resource]));
  resources.set(LATCHKEY_RESOURCE_KEY, latchkeyResource(deps.issuer));
  const checked: Record<string, string[]> = {};
  const incarnations: Record<string, Record<string, string>> = {};
  for (const key of keys) {
    const resource = resources.get(key);
    if (!resource) throw new InvalidRequest(`resource "${key}" does not exist in this environment`);
    const unknown = grants[key]!.filter((permission) => !resource.permissions.includes(permission));
    if (unknown.length > 0) throw new InvalidRequest(`resource "${key}" does not define ${unknown.map((p) => `"${p}"`).join(', ')}`);
    if (grants[key]!.length === 0) continue;
    checked[key] = [...grants[key]!];
    const defined = resource.permissionIncarnations;
    if (defined) incarnations[key] = Object.fromEntries(checked[key].map((permission) => [permission, defined[permission]!]));
  }
  return { grants: checked, incarnations };
}

function toGrantList(grants: Grants): GrantInput[] {
  return Object.entries(grants).map(([resource, permissions]) => ({ resource, permissions: [...permissions] }));
}

function checkName(name: string): void {
  if (!name.trim() || name.length > 200) {
    throw new InvalidRequest('name must be 1 to 200 characters', { fields: [{ path: 'name', message: 'must be 1 to 200 characters' }] });
  }
}

/** The service account whose keys or tokens a request names, in the caller's environment; else 404. */
export async function requireServiceAccount(store: Pick<ServiceAccountStore, 'getServiceAccount'>, caller: Caller, accountId: string): Promise<StoredServiceAccount> {
  const account = isId(accountId, 'sa') ? await store.getServiceAccount(caller.environmentId, accountId) : undefined;
  if (!account) throw notFound(accountId);
  return account;
}

function notFound(id: string): NotFound {
  return new NotFound(`service account "${id}"`);
}
