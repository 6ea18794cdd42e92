import { Conflict, InvalidRequest, NotFound } from './errors';
import { formatClientId, newId } from './ids';
import { LATCHKEY_RESOURCE_KEY, latchkeyResource } from './builtin-resource';
import { requirePermission, type Caller } from './caller';
import { checkGracePeriod, generateClientSecret, rotatedHashes } from './secrets';
import type { AccessTokenType, Grants, Page, Resource, ServiceAccount, StoredServiceAccount } from './model';
import type { Clock, ResourceStore, SecretHasher, ServiceAccountStore } from './ports';
import { pageLimit } from './paging';

/** Service accounts (SA-1 to SA-4, MU-1 to MU-3): software that authenticates with a client ID and secret. */

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
  grants?: Grants;
}

export interface WithSecret {
  readonly clientId: string;
  readonly clientSecret: string;
}


/** What callers see of an account: never its secret hashes. */
export function publicView(account: StoredServiceAccount): ServiceAccount {
  const { secret: _secret, ...view } = account;
  return view;
}

export async function createServiceAccount(
  deps: ServiceAccountDeps,
  caller: Caller,
  input: CreateServiceAccountInput,
): Promise<ServiceAccount & WithSecret> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
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
  const grants = input.grants ? await checkGrants(deps, environmentId, input.grants) : {};
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
    disabled: false,
    grants,
    secret: { current: hash },
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.createServiceAccount(account);
  return { ...publicView(account), clientSecret: secret };
}

export async function listServiceAccounts(
  deps: ServiceAccountDeps,
  caller: Caller,
  options: { limit?: number; cursor?: string },
): Promise<Page<ServiceAccount>> {
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
  changes: { name?: string; description?: string; disabled?: boolean },
): Promise<ServiceAccount> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (changes.name !== undefined) checkName(changes.name);
  const updated = await deps.store.updateServiceAccount(caller.environmentId, id, { ...changes, updatedAt: new Date(deps.now()).toISOString() });
  if (!updated) throw notFound(id);
  return publicView(updated);
}

export async function deleteServiceAccount(deps: ServiceAccountDeps, caller: Caller, id: string): Promise<void> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (id === caller.accountId) throw new Conflict('a service account cannot delete itself; use another administrator');
  if (!(await deps.store.deleteServiceAccount(caller.environmentId, id))) throw notFound(id);
}

/** SA-3: a new secret, shown once; the old one stops at once or after the grace period asked for. */
export async function resetSecret(
  deps: ServiceAccountDeps,
  caller: Caller,
  id: string,
  options: { gracePeriodSeconds?: number },
): Promise<ServiceAccount & WithSecret> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  const grace = checkGracePeriod(options.gracePeriodSeconds);
  const account = await load(deps, caller, id);
  const { secret, hash } = await generateClientSecret(deps.hasher);
  const nowMs = deps.now();
  const updated = await deps.store.updateServiceAccount(caller.environmentId, id, {
    secret: rotatedHashes(account.secret, hash, grace, Math.floor(nowMs / 1000)),
    updatedAt: new Date(nowMs).toISOString(),
  });
  if (!updated) throw notFound(id);
  return { ...publicView(updated), clientSecret: secret };
}

export interface GrantInput {
  resource: string;
  permissions: string[];
  roles?: unknown;
}

export async function getPermissions(deps: ServiceAccountDeps, caller: Caller, id: string): Promise<{ grants: GrantInput[] }> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  return { grants: toGrantList((await load(deps, caller, id)).grants) };
}

/** SA-4: replaces the account's grants. Roles are for people and are refused outright. */
export async function setPermissions(
  deps: ServiceAccountDeps,
  caller: Caller,
  id: string,
  input: { grants: GrantInput[]; roles?: unknown },
): Promise<{ grants: GrantInput[] }> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (input.roles !== undefined || input.grants.some((grant) => grant.roles !== undefined)) {
    throw new InvalidRequest('roles cannot be assigned to service accounts; grant permissions on resources instead');
  }
  const requested: Record<string, string[]> = {};
  for (const grant of input.grants) {
    if (requested[grant.resource]) throw new InvalidRequest(`resource "${grant.resource}" is listed twice`);
    requested[grant.resource] = [...new Set(grant.permissions)];
  }
  const grants = await checkGrants(deps, caller.environmentId, requested);
  const updated = await deps.store.updateServiceAccount(caller.environmentId, id, { grants, updatedAt: new Date(deps.now()).toISOString() });
  if (!updated) throw notFound(id);
  return { grants: toGrantList(updated.grants) };
}

async function load(deps: ServiceAccountDeps, caller: Caller, id: string): Promise<StoredServiceAccount> {
  const account = await deps.store.getServiceAccount(caller.environmentId, id);
  if (!account) throw notFound(id);
  return account;
}

/** Every granted permission must be one its resource defines; grants with no permissions are dropped. */
async function checkGrants(deps: ServiceAccountDeps, environmentId: string, grants: Grants): Promise<Grants> {
  const keys = Object.keys(grants);
  const stored = await deps.store.getResources(environmentId, keys.filter((key) => key !== LATCHKEY_RESOURCE_KEY));
  const resources = new Map<string, Resource>(stored.map((resource) => [resource.key, resource]));
  resources.set(LATCHKEY_RESOURCE_KEY, latchkeyResource(deps.issuer));
  const checked: Record<string, string[]> = {};
  for (const key of keys) {
    const resource = resources.get(key);
    if (!resource) throw new InvalidRequest(`resource "${key}" does not exist in this environment`);
    const unknown = grants[key]!.filter((permission) => !resource.permissions.includes(permission));
    if (unknown.length > 0) throw new InvalidRequest(`resource "${key}" does not define ${unknown.map((p) => `"${p}"`).join(', ')}`);
    if (grants[key]!.length > 0) checked[key] = [...grants[key]!];
  }
  return checked;
}

function toGrantList(grants: Grants): GrantInput[] {
  return Object.entries(grants).map(([resource, permissions]) => ({ resource, permissions: [...permissions] }));
}

function checkName(name: string): void {
  if (!name.trim() || name.length > 200) {
    throw new InvalidRequest('name must be 1 to 200 characters', { fields: [{ path: 'name', message: 'must be 1 to 200 characters' }] });
  }
}

function notFound(id: string): NotFound {
  return new NotFound(`service account "${id}"`);
}
