import { NotAuthorized, NotFound } from '../errors';
import { formatClientId, newId } from '../ids';
import { retryOnConcurrentUpdate } from '../optimistic';
import { holdsPermission, requirePermission, type Caller } from '../caller';
import { LATCHKEY_RESOURCE_KEY } from '../builtin-resource';
import { checkGracePeriod, generateClientSecret, rotatedHashes } from '../secrets';
import type { ClientResource, OidcClient, OidcClientSettings, StoredOidcClient } from './model';
import { loadClient, requireApplication, timestamp, type ClientRegistryDeps } from './registry';
import { resolveSettings, type OidcClientInput } from './settings';

/**
 * OIDC clients of an application: create, read, list, update, delete, rotate the
 * secret. The client ID is generated and never changes; the secret is generated, shown once, and
 * stored as a keyed hash only.
 *
 * Separation of duties (as for service accounts, see caller.ts): a client's `resources` are customer
 * APIs it gets tokens for by itself (client credentials, `aud` the resource's audience), so
 * - naming a customer resource in a client's resources needs PERMISSIONS_GRANT besides
 *   APPLICATIONS_EDIT, as granting a service account a permission on it does;
 * - acting on a client that names one (changing any setting, its resources included, or rotating
 *   its secret: either lets the caller act as the client) needs PERMISSIONS_GRANT too, checked on
 *   the version that is then written. Deleting a client gives no one its tokens, and needs only
 *   APPLICATIONS_EDIT.
 * - Likewise `tokenExchange: true` lets the client exchange tokens it is given (token-exchange.ts):
 *   setting it, or acting on a client that has it, needs TOKEN_EXCHANGE.
 */

export interface WithClientSecret {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Optional settings a change can remove; the store is told to remove them, not to keep them. */
const REMOVABLE = ['description', 'jwks', 'jwksUri', 'tlsClientCertificate', 'tlsCertificateThumbprint'] as const;

/** What callers see: never the secret's hashes. */
export function oidcClientView(client: StoredOidcClient): OidcClient {
  const { secret: _secret, tlsCertificateThumbprint: _thumbprint, version: _version, lastFailedAuthenticationAt: _lastFailed, ...view } = client;
  return view;
}

export async function createOidcClient(deps: ClientRegistryDeps, caller: Caller, applicationId: string, input: OidcClientInput): Promise<OidcClient & WithClientSecret> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  await requireApplication(deps, caller, applicationId);
  const settings = await resolveSettings(deps, caller.environmentId, undefined, input);
  requireMayName(caller, settings.resources);
  requireMayExchange(caller, settings);
  const id = newId('cl');
  const { secret, hash } = await generateClientSecret(deps.hasher);
  const now = timestamp(deps.now);
  const client: StoredOidcClient = {
    ...settings,
    id,
    clientId: formatClientId(id, caller.environmentId),
    applicationId,
    environmentId: caller.environmentId,
    tenantId: caller.tenantId,
    protocol: 'oidc',
    secret: { current: hash },
    createdAt: now,
    updatedAt: now,
  };
  await deps.clients.createClient(client);
  return { ...oidcClientView(client), clientSecret: secret };
}

export async function listOidcClients(deps: ClientRegistryDeps, caller: Caller, applicationId: string): Promise<{ items: OidcClient[] }> {
  requirePermission(caller, 'APPLICATIONS_READ');
  await requireApplication(deps, caller, applicationId);
  const clients = (await deps.clients.listClients(caller.environmentId, applicationId, 'oidc')) as StoredOidcClient[];
  return { items: clients.map(oidcClientView) };
}

export async function getOidcClient(deps: ClientRegistryDeps, caller: Caller, applicationId: string, clientRef: string): Promise<OidcClient> {
  requirePermission(caller, 'APPLICATIONS_READ');
  return oidcClientView(await loadClient(deps, caller, applicationId, clientRef, 'oidc'));
}

export async function updateOidcClient(deps: ClientRegistryDeps, caller: Caller, applicationId: string, clientRef: string, input: OidcClientInput): Promise<OidcClient> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  // Conditional on the version read: the resources checked are the ones the change replaces.
  return retryOnConcurrentUpdate(async () => {
    const current = await loadClient(deps, caller, applicationId, clientRef, 'oidc');
    requireMayActOn(caller, current);
    const resolved = await resolveSettings(deps, caller.environmentId, current as OidcClientSettings, input);
    requireMayName(caller, resolved.resources);
    requireMayExchange(caller, resolved);
    const settings: Record<string, unknown> = { ...resolved };
    for (const field of REMOVABLE) settings[field] ??= null;
    const updated = await deps.clients.updateClient(caller.environmentId, current.id, { ...settings, updatedAt: timestamp(deps.now) }, { expectedVersion: current.version });
    if (!updated) throw new NotFound(`OIDC client "${clientRef}"`);
    return oidcClientView(updated as StoredOidcClient);
  });
}

export async function deleteOidcClient(deps: ClientRegistryDeps, caller: Caller, applicationId: string, clientRef: string): Promise<void> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const client = await loadClient(deps, caller, applicationId, clientRef, 'oidc');
  // Found a moment ago: a delete that finds nothing now was done meanwhile, by this call's own
  // attempt whose answer was lost (the SDK retried it) or by a concurrent delete. Either way the
  // record is gone, as asked (DELETE is idempotent, RFC 9110 §9.2.2): never a 404 here.
  await deps.clients.deleteClient(caller.environmentId, client.id);
}

/** A new secret, shown once; the old one stops at once or after the grace period asked for. */
export async function rotateOidcClientSecret(
  deps: ClientRegistryDeps,
  caller: Caller,
  applicationId: string,
  clientRef: string,
  options: { gracePeriodSeconds?: number },
): Promise<OidcClient & WithClientSecret> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const grace = checkGracePeriod(options.gracePeriodSeconds);
  // Conditional on the version read and retried from a fresh read: every secret answered works
  // until a later rotation replaces it, never lost to a concurrent one.
  return retryOnConcurrentUpdate(async () => {
    const client = await loadClient(deps, caller, applicationId, clientRef, 'oidc');
    requireMayActOn(caller, client);
    const { secret, hash } = await generateClientSecret(deps.hasher);
    const nowMs = deps.now();
    const changes = { secret: rotatedHashes(client.secret, hash, grace, Math.floor(nowMs / 1000)), updatedAt: new Date(nowMs).toISOString() };
    const updated = await deps.clients.updateClient(caller.environmentId, client.id, changes, { expectedVersion: client.version });
    if (!updated) throw new NotFound(`OIDC client "${clientRef}"`);
    return { ...oidcClientView(updated as StoredOidcClient), clientSecret: secret };
  });
}

/** Naming customer resources in a client's resources hands out tokens for them: PERMISSIONS_GRANT's duty. */
function requireMayName(caller: Caller, resources: readonly ClientResource[]): void {
  if (resources.length > 0 && !holdsPermission(caller, 'PERMISSIONS_GRANT')) {
    throw new NotAuthorized(
      `a client's resources ${keysOf(resources)} let it get tokens for them; naming them needs PERMISSIONS_GRANT on the resource ${LATCHKEY_RESOURCE_KEY}, as granting them would`,
    );
  }
}

/** A client that may exchange tokens is set up, changed or given a new secret only by a holder of TOKEN_EXCHANGE. */
function requireMayExchange(caller: Caller, client: Pick<OidcClientSettings, 'tokenExchange'>): void {
  if (client.tokenExchange === true) requirePermission(caller, 'TOKEN_EXCHANGE');
}

/** Changing or taking the secret of a client that gets tokens for customer resources acts as it. */
function requireMayActOn(caller: Caller, client: Pick<OidcClientSettings, 'resources' | 'tokenExchange'>): void {
  requireMayExchange(caller, client);
  if (client.resources.length > 0 && !holdsPermission(caller, 'PERMISSIONS_GRANT')) {
    throw new NotAuthorized(
      `this client gets tokens for ${keysOf(client.resources)}; acting on it needs PERMISSIONS_GRANT on the resource ${LATCHKEY_RESOURCE_KEY}, as granting them would`,
    );
  }
}

function keysOf(resources: readonly ClientResource[]): string {
  return resources.map((entry) => `"${entry.resource}"`).join(', ');
}
