import type { ApplicationLookup, ClientStore } from './clients/ports';
import type { EndUser, EndUserStore } from './end-users';
import type { IdpConnection, IdpConnectionStore } from './idp-connections';
import { parseClientId } from './ids';
import { jwtRevokedByReset } from './revoking-resets';

/**
 * Whether what a token or grant was issued for still stands. A signed JWT outlives what issued it,
 * and a refresh token or browser session outlives the login it came from; these rules take them
 * back at once (RFC 7662 §2.2: a token is active only while its authorization holds).
 *
 * The end-user rule (`endUserStands`), the one used by every grant, introspection, userinfo and
 * the authorization endpoint's session reuse, in this order:
 * 1. The user still exists and is not disabled.
 * 2. What is presented is dated after the user's `tokensValidAfter` (the same rule as a service
 *    account's: a date in that second or earlier is refused). An access token is dated by its `iat`;
 *    a refresh token, an authorization code and a browser session by the authentication they all
 *    descend from (`authTime`), so signing out everywhere ends every refresh token the user had,
 *    however recently it was rotated.
 * 3. The IDP connection the user came through still exists and is enabled, and what is presented is
 *    dated after the connection's `tokensValidAfter` (set by disabling it), by the same rule as 2.
 *
 * The origin of a JWT (`originStillStands`), checked on the token's own claims:
 * 1. A client token (`subjectType` `Client`): the OIDC client `sub` still exists in the environment
 *    and still belongs to the token's `applicationId`, and that application still exists.
 * 2. An end-user token (`subjectType` `EndUserAccount`): its application still exists; when it was
 *    issued to a client (`client_id`), that OIDC client still exists and belongs to the application;
 *    and the end-user rule holds for its `iat`. A refresh token is held to the same rule, with its
 *    client and the login it descends from (`endUserOfGrant`).
 * 3. Other subjects (service accounts) are checked by the caller with the account itself.
 * A claim missing from a client or end-user token makes it inactive: Latchkey always sets them.
 */

export interface EndUserStandingDeps {
  readonly users: Pick<EndUserStore, 'getUser'>;
  readonly connections: Pick<IdpConnectionStore, 'listIdpConnections'>;
}

export interface TokenOriginDeps extends EndUserStandingDeps {
  readonly clients: Pick<ClientStore, 'getClient'>;
  readonly applications: ApplicationLookup;
}

/** What the end-user rule is decided on: the user record (absent when deleted) and the environment's IDP connections. */
export interface EndUserStanding {
  readonly user?: EndUser;
  readonly connections: readonly IdpConnection[];
}

/** The user and the environment's connections, read together. */
export async function loadEndUserStanding(deps: EndUserStandingDeps, environmentId: string, userId: string): Promise<EndUserStanding> {
  const [user, connections] = await Promise.all([deps.users.getUser(environmentId, userId), deps.connections.listIdpConnections(environmentId)]);
  return { ...(user ? { user } : {}), connections };
}

/** The end-user rule: whether the user may still hold something dated `datedSeconds` (epoch seconds). */
export function endUserStands(standing: EndUserStanding, datedSeconds: number): standing is EndUserStanding & { readonly user: EndUser } {
  const { user } = standing;
  if (!user || user.disabled) return false;
  if (jwtRevokedByReset(user, datedSeconds)) return false;
  return standing.connections.some((connection) => connection.id === user.idpConnectionId && connection.enabled && !jwtRevokedByReset(connection, datedSeconds));
}

export async function originStillStands(deps: TokenOriginDeps, environmentId: string, claims: Readonly<Record<string, unknown>>): Promise<boolean> {
  const { subjectType, sub, applicationId } = claims;
  if (subjectType === 'EndUserAccount') return (await endUserOfToken(deps, environmentId, claims)) !== undefined;
  if (subjectType !== 'Client') return true;
  if (typeof sub !== 'string' || typeof applicationId !== 'string') return false;
  const [client, application] = await Promise.all([deps.clients.getClient(environmentId, sub), deps.applications.getApplication(environmentId, applicationId)]);
  return client !== undefined && client.protocol === 'oidc' && client.applicationId === applicationId && application !== undefined;
}

/** Rule 2 of a JWT's origin: the end user of an end-user token whose origin still stands, else undefined. */
export async function endUserOfToken(deps: TokenOriginDeps, environmentId: string, claims: Readonly<Record<string, unknown>>): Promise<EndUser | undefined> {
  const { sub, applicationId, iat } = claims;
  if (claims.subjectType !== 'EndUserAccount' || typeof sub !== 'string' || typeof applicationId !== 'string' || typeof iat !== 'number') return undefined;
  const issuedTo = claims.client_id === undefined ? undefined : typeof claims.client_id === 'string' ? (parseClientId(claims.client_id) ?? null) : null;
  if (issuedTo === null || (issuedTo && issuedTo.environmentId !== environmentId)) return undefined;
  return endUserOfGrant(deps, environmentId, { userId: sub, applicationId, ...(issuedTo ? { clientRef: issuedTo.principalId } : {}), dated: iat });
}

/**
 * Rule 2 on what an end-user token or refresh token names: its application still exists; the OIDC
 * client it was issued to (`clientRef`, when there is one) still exists and belongs to the
 * application; and the end-user rule holds for `dated`. The end user, else undefined.
 */
export async function endUserOfGrant(
  deps: TokenOriginDeps,
  environmentId: string,
  grant: { readonly userId: string; readonly applicationId: string; readonly clientRef?: string; readonly dated: number },
): Promise<EndUser | undefined> {
  const { userId, applicationId, clientRef } = grant;
  const [application, standing, client] = await Promise.all([
    deps.applications.getApplication(environmentId, applicationId),
    loadEndUserStanding(deps, environmentId, userId),
    clientRef !== undefined ? deps.clients.getClient(environmentId, clientRef) : undefined,
  ]);
  if (!application) return undefined;
  if (clientRef !== undefined && !(client?.protocol === 'oidc' && client.applicationId === applicationId)) return undefined;
  return endUserStands(standing, grant.dated) ? standing.user : undefined;
}
