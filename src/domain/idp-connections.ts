import { InvalidRequest, NotFound } from './errors';
import { newId } from './ids';
import { requirePermission, type Caller } from './caller';
import type { ApplicationStore } from './applications';
import type { Clock } from './primitives';

/**
 * IDP connections: how the end users of an environment are authenticated. Type `delegated`:
 * a third party authenticated them and a trusted service account vouches for them.
 *
 * Rules this module enforces:
 * - At most one `delegated` connection per environment. The store keys connections by type and
 *   creates with a conditional put, so two concurrent creations cannot both succeed.
 * - A connection serves only the applications assigned to it, and only while it is enabled.
 * - Every assigned application exists when it is assigned (a later deletion leaves a harmless
 *   dangling ID: application IDs are never reused).
 */

export const IDP_CONNECTION_TYPES = ['delegated'] as const;
export type IdpConnectionType = (typeof IDP_CONNECTION_TYPES)[number];

export interface IdpConnection {
  readonly id: string;
  readonly environmentId: string;
  readonly tenantId: string;
  readonly type: IdpConnectionType;
  readonly name: string;
  readonly enabled: boolean;
  /** The applications whose end users this connection may vouch for. */
  readonly applicationIds: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface IdpConnectionStore {
  /** Fails with `Conflict` when the environment already has a connection of that type. */
  createIdpConnection(connection: IdpConnection): Promise<void>;
  listIdpConnections(environmentId: string): Promise<IdpConnection[]>;
  getIdpConnectionByType(environmentId: string, type: IdpConnectionType): Promise<IdpConnection | undefined>;
  /** Changes the connection of that type only if it still has the given ID; undefined otherwise. */
  updateIdpConnection(
    environmentId: string,
    connection: Pick<IdpConnection, 'id' | 'type'>,
    changes: Partial<Pick<IdpConnection, 'name' | 'enabled' | 'applicationIds'>> & { updatedAt: string },
  ): Promise<IdpConnection | undefined>;
  deleteIdpConnection(environmentId: string, connection: Pick<IdpConnection, 'id' | 'type'>): Promise<boolean>;
}

export interface IdpConnectionDeps {
  readonly connections: IdpConnectionStore;
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
  readonly now: Clock;
}

export interface IdpConnectionInput {
  type: IdpConnectionType;
  name?: string;
  /** Default `true`: creating a connection is asking for it to work. */
  enabled?: boolean;
  applicationIds?: string[];
}

export type IdpConnectionChanges = Partial<Pick<IdpConnectionInput, 'name' | 'enabled' | 'applicationIds'>>;

const DEFAULT_NAMES: Record<IdpConnectionType, string> = { delegated: 'Delegated authentication' };
const MAX_APPLICATIONS = 100;

export async function createIdpConnection(deps: IdpConnectionDeps, caller: Caller, input: IdpConnectionInput): Promise<IdpConnection> {
  requirePermission(caller, 'IDP_CONNECTIONS_EDIT');
  if (!IDP_CONNECTION_TYPES.includes(input.type)) throw invalid('type', `must be one of ${IDP_CONNECTION_TYPES.join(', ')}`);
  const name = input.name ?? DEFAULT_NAMES[input.type];
  checkName(name);
  const applicationIds = await checkApplications(deps, caller.environmentId, input.applicationIds ?? []);
  const now = new Date(deps.now()).toISOString();
  const connection: IdpConnection = {
    id: newId('idp'),
    environmentId: caller.environmentId,
    tenantId: caller.tenantId,
    type: input.type,
    name,
    enabled: input.enabled ?? true,
    applicationIds,
    createdAt: now,
    updatedAt: now,
  };
  await deps.connections.createIdpConnection(connection);
  return connection;
}

export async function listIdpConnections(deps: Pick<IdpConnectionDeps, 'connections'>, caller: Caller): Promise<IdpConnection[]> {
  requirePermission(caller, 'IDP_CONNECTIONS_READ');
  return deps.connections.listIdpConnections(caller.environmentId);
}

export async function getIdpConnection(deps: Pick<IdpConnectionDeps, 'connections'>, caller: Caller, id: string): Promise<IdpConnection> {
  requirePermission(caller, 'IDP_CONNECTIONS_READ');
  return find(deps, caller.environmentId, id);
}

export async function updateIdpConnection(deps: IdpConnectionDeps, caller: Caller, id: string, changes: IdpConnectionChanges): Promise<IdpConnection> {
  requirePermission(caller, 'IDP_CONNECTIONS_EDIT');
  if (changes.name !== undefined) checkName(changes.name);
  const connection = await find(deps, caller.environmentId, id);
  const applicationIds = changes.applicationIds && (await checkApplications(deps, caller.environmentId, changes.applicationIds));
  const updated = await deps.connections.updateIdpConnection(caller.environmentId, connection, {
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
    ...(applicationIds ? { applicationIds } : {}),
    updatedAt: new Date(deps.now()).toISOString(),
  });
  if (!updated) throw notFound(id);
  return updated;
}

export async function deleteIdpConnection(deps: Pick<IdpConnectionDeps, 'connections'>, caller: Caller, id: string): Promise<void> {
  requirePermission(caller, 'IDP_CONNECTIONS_EDIT');
  const connection = await find(deps, caller.environmentId, id);
  // Found a moment ago: a delete that finds nothing now was done meanwhile, by this call's own
  // attempt whose answer was lost (the SDK retried it) or by a concurrent delete. Either way the
  // connection is gone, as asked (DELETE is idempotent, RFC 9110 §9.2.2): never a 404 here.
  await deps.connections.deleteIdpConnection(caller.environmentId, connection);
}

async function find(deps: Pick<IdpConnectionDeps, 'connections'>, environmentId: string, id: string): Promise<IdpConnection> {
  const connection = (await deps.connections.listIdpConnections(environmentId)).find((candidate) => candidate.id === id);
  if (!connection) throw notFound(id);
  return connection;
}

async function checkApplications(deps: IdpConnectionDeps, environmentId: string, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length > MAX_APPLICATIONS) throw invalid('applicationIds', `must list at most ${MAX_APPLICATIONS} applications`);
  const found = await Promise.all(unique.map((id) => deps.applications.getApplication(environmentId, id)));
  const missing = unique.filter((_, index) => !found[index]);
  if (missing.length > 0) throw invalid('applicationIds', `name applications that do not exist: ${missing.join(', ')}`);
  return unique;
}

function checkName(name: string): void {
  if (!name.trim() || name.length > 200) throw invalid('name', 'must be 1 to 200 characters');
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}

function notFound(id: string): NotFound {
  return new NotFound(`IDP connection "${id}"`);
}
