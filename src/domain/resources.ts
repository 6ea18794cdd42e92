import { Conflict, InvalidRequest, NotFound } from './errors';
import { newId } from './ids';
import { LATCHKEY_RESOURCE_KEY, latchkeyResource } from './builtin-resource';
import { requirePermission, type Caller } from './caller';
import { checkTokenTtl } from './environments';
import { normaliseAudience } from './audiences';
import { retryOnConcurrentUpdate } from './optimistic';
import { permissionIncarnations } from './service-account-grants';
import type { Resource } from './model';
import type { Clock } from './primitives';
import type { ResourceStore } from './stores';

/**
 * Resources: the APIs tokens are issued for. A resource's key and audience never change once
 * created (tokens and grants refer to them); its name, description, permissions and token lifetime can.
 *
 * Audience rules (a resource server's guard accepts a token by its `aud`, so an audience must name
 * one resource of one environment and nothing else):
 * - An audience given at creation is an absolute `https` URI without user info or fragment, at
 *   most 512 characters, and not on the issuer's origin (the management audience `<issuer>/v1`
 *   and everything else Latchkey serves are reserved). It is stored, claimed and answered in its
 *   normal form (audiences.ts: RFC 3986 §6.2.2-6.2.3), so two spellings of one URI are one audience.
 * - Without one, the audience is `urn:latchkey:{environmentId}:{key}`, unique by construction;
 *   nobody can choose a `urn:` audience, so nobody can claim another environment's default.
 * - Audiences are unique in the whole deployment, across tenants and environments: the store claims
 *   each with a uniqueness record before the resource is written (409 when taken).
 * - Each creation gets a new random `incarnation`, and each permission a new random ID whenever it
 *   is added: grants made for an earlier resource of the same key, or for a permission dropped and
 *   defined again, do not count (see service-account-grants.ts).
 */

export interface ResourceDeps {
  readonly store: ResourceStore;
  readonly now: Clock;
  readonly issuer: string;
}

const KEY = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const PERMISSION = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface ResourceInput {
  key: string;
  name?: string;
  description?: string;
  audience?: string;
  permissions?: string[];
  accessTokenTtlSeconds?: number;
}

export async function listResources(deps: ResourceDeps, caller: Caller): Promise<Resource[]> {
  requirePermission(caller, 'RESOURCES_READ');
  return [latchkeyResource(deps.issuer), ...(await deps.store.listResources(caller.environmentId)).map(publicView)];
}

export async function getResource(deps: ResourceDeps, caller: Caller, key: string): Promise<Resource> {
  requirePermission(caller, 'RESOURCES_READ');
  if (key === LATCHKEY_RESOURCE_KEY) return latchkeyResource(deps.issuer);
  const [resource] = await deps.store.getResources(caller.environmentId, [key]);
  if (!resource) throw new NotFound(`resource "${key}"`);
  return publicView(resource);
}

export async function createResource(deps: ResourceDeps, caller: Caller, input: ResourceInput): Promise<Resource> {
  requirePermission(caller, 'RESOURCES_EDIT');
  if (!KEY.test(input.key)) {
    throw invalid('key', 'must be 1 to 63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  if (input.key === LATCHKEY_RESOURCE_KEY) throw new Conflict(`resource "${LATCHKEY_RESOURCE_KEY}" is built in`);
  const audience = input.audience !== undefined ? checkAudience(input.audience, deps.issuer) : defaultAudience(caller.environmentId, input.key);
  checkSettings(input);
  const now = new Date(deps.now()).toISOString();
  const resource: Resource = {
    key: input.key,
    name: input.name ?? input.key,
    ...(input.description !== undefined ? { description: input.description } : {}),
    audience,
    permissions: unique(input.permissions ?? []),
    permissionIncarnations: permissionIncarnations(unique(input.permissions ?? []), undefined, () => newId('inc')),
    ...(input.accessTokenTtlSeconds !== undefined ? { accessTokenTtlSeconds: input.accessTokenTtlSeconds } : {}),
    builtIn: false,
    incarnation: newId('inc'),
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  await deps.store.createResource(caller.environmentId, resource);
  return publicView(resource);
}

export async function updateResource(deps: ResourceDeps, caller: Caller, key: string, changes: Omit<ResourceInput, 'key' | 'audience'>): Promise<Resource> {
  requirePermission(caller, 'RESOURCES_EDIT');
  if (key === LATCHKEY_RESOURCE_KEY) throw new InvalidRequest(`resource "${LATCHKEY_RESOURCE_KEY}" is built in and cannot be changed`);
  checkSettings(changes);
  return retryOnConcurrentUpdate(async () => {
    const [current] = await deps.store.getResources(caller.environmentId, [key]);
    if (!current) throw new NotFound(`resource "${key}"`);
    const updated = await deps.store.updateResource(caller.environmentId, key, current.version, {
      ...changes,
      ...(changes.permissions
        ? {
            permissions: unique(changes.permissions),
            permissionIncarnations: permissionIncarnations(unique(changes.permissions), current.permissionIncarnations, () => newId('inc')),
          }
        : {}),
      updatedAt: new Date(deps.now()).toISOString(),
    });
    if (!updated) throw new NotFound(`resource "${key}"`);
    return publicView(updated);
  });
}

export async function deleteResource(deps: ResourceDeps, caller: Caller, key: string): Promise<void> {
  requirePermission(caller, 'RESOURCES_EDIT');
  if (key === LATCHKEY_RESOURCE_KEY) throw new InvalidRequest(`resource "${LATCHKEY_RESOURCE_KEY}" is built in and cannot be deleted`);
  if (!(await deps.store.deleteResource(caller.environmentId, key))) throw new NotFound(`resource "${key}"`);
}

function checkSettings(input: Omit<ResourceInput, 'key' | 'audience'>): void {
  if (input.name !== undefined && !input.name.trim()) throw invalid('name', 'must not be empty');
  for (const [index, permission] of (input.permissions ?? []).entries()) {
    if (!PERMISSION.test(permission)) {
      throw invalid(`permissions.${index}`, `"${permission}" is not a valid permission name (letters, digits, ".", "_", ":" or "-", at most 128)`);
    }
  }
  if (input.accessTokenTtlSeconds !== undefined) checkTokenTtl('accessTokenTtlSeconds', input.accessTokenTtlSeconds);
}

/** What callers see of a resource: the incarnations are bookkeeping of grants. */
function publicView(resource: Resource): Resource {
  const { incarnation: _incarnation, permissionIncarnations: _permissions, ...view } = resource;
  return view;
}

export function defaultAudience(environmentId: string, key: string): string {
  return `urn:latchkey:${environmentId}:${key}`;
}

/** The audience's normal form, or a 400 saying what is wrong with it. */
function checkAudience(audience: string, issuer: string): string {
  const result = normaliseAudience(audience);
  if ('problem' in result) {
    throw invalid(
      'audience',
      `${result.problem}; an audience is an absolute https URI without user info or fragment, at most 512 characters (or leave it out for a generated one)`,
    );
  }
  if (new URL(result.audience).origin === new URL(issuer).origin) {
    throw invalid('audience', `must not be on ${new URL(issuer).origin}: audiences there are reserved for Latchkey itself`);
  }
  return result.audience;
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
