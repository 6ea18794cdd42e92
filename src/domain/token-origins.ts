import type { ApplicationLookup, ClientStore } from './clients/ports';
import type { EndUserStore } from './end-users';
import type { IdpConnectionStore } from './idp-connections';

/**
 * Whether what a JWT was issued for still stands, for introspection (RFC 7662 §2.2: a token is
 * active only while its authorization holds). A signed JWT outlives what issued it; these rules
 * make introspection say so at once. Checked in this order, on the token's own claims:
 * 1. A client token (`subjectType` `Client`): the OIDC client `sub` still exists in the environment
 *    and still belongs to the token's `applicationId`, and that application still exists.
 * 2. An end-user token (`subjectType` `EndUserAccount`): its application still exists; the user
 *    `sub` still exists; and the IDP connection the user came through still exists and is enabled.
 * 3. Other subjects (service accounts) are checked by the caller with the account itself.
 * A claim missing from a client or end-user token makes it inactive: Latchkey always sets them.
 */

export interface TokenOriginDeps {
  readonly clients: Pick<ClientStore, 'getClient'>;
  readonly applications: ApplicationLookup;
  readonly users: Pick<EndUserStore, 'getUser'>;
  readonly connections: Pick<IdpConnectionStore, 'listIdpConnections'>;
}

export async function originStillStands(deps: TokenOriginDeps, environmentId: string, claims: Readonly<Record<string, unknown>>): Promise<boolean> {
  const { subjectType, sub, applicationId } = claims;
  if (subjectType !== 'Client' && subjectType !== 'EndUserAccount') return true;
  if (typeof sub !== 'string' || typeof applicationId !== 'string') return false;
  if (subjectType === 'Client') {
    const [client, application] = await Promise.all([deps.clients.getClient(environmentId, sub), deps.applications.getApplication(environmentId, applicationId)]);
    return client !== undefined && client.protocol === 'oidc' && client.applicationId === applicationId && application !== undefined;
  }
  const [application, user, connections] = await Promise.all([
    deps.applications.getApplication(environmentId, applicationId),
    deps.users.getUser(environmentId, sub),
    deps.connections.listIdpConnections(environmentId),
  ]);
  if (!application || !user) return false;
  return connections.some((connection) => connection.id === user.idpConnectionId && connection.enabled);
}
