import { InvalidScope, InvalidTarget, UnauthorizedClient } from '../errors';
import type { Resource } from '../model';
import type { ResourceStore } from '../stores';
import { mintAccessToken, type MintedToken, type MinterDeps } from '../minter';
import { splitScope } from '../scopes';
import type { StoredOidcClient } from './model';
import { authenticateClient, type AuthenticatedClient, type ClientAuthenticationDeps, type PresentedClientCredentials } from './authentication';
import { comparableAudience } from '../audiences';

/**
 * The client credentials grant for OIDC clients (RFC 8707, RFC 8705 §3).
 *
 * Rules, after the client has authenticated (`authentication.ts`):
 * 1. A client whose PKCE mode is `enforce_instead_of_secret` gets user tokens only: `unauthorized_client`.
 * 2. At most one `resource` (a key or an audience URI), and only one the client's settings allow,
 *    that still exists: otherwise `invalid_target`. Without one, the token's audience is the client itself.
 * 3. `scope` values must be among the client's `scopes`: otherwise `invalid_scope`.
 * 4. Lifetime: the allowed resource's `accessTokenTtlSeconds` (else the client's), never longer than
 *    the resource's own limit (the minter's rule, minter.ts, which builds the claims).
 * 5. With token binding on, the token carries `cnf.x5t#S256` of the certificate the client used.
 * Client tokens have `subjectType: "Client"` and no `permissions`: a client holds no grants, so a
 * token of one can never pass a management or permission check meant for service accounts.
 */

export interface ClientTokenDeps extends ClientAuthenticationDeps, MinterDeps {
  readonly resources: ResourceStore;
}

export interface ClientTokenRequest {
  readonly scope?: string;
  readonly resources?: readonly string[];
  /** The thumbprint of the key of the request's DPoP proof: the token is bound to it (RFC 9449 §6). */
  readonly dpopKeyThumbprint?: string;
}

/** The minter's token, as the grant answers it. */
export type ClientToken = MintedToken;

export async function issueClientCredentialsToken(deps: ClientTokenDeps, presented: PresentedClientCredentials, request: ClientTokenRequest): Promise<ClientToken> {
  return issueClientCredentialsTokenFor(deps, await authenticateClient(deps, presented), request);
}

/** Rules 1 to 5 for a client the token endpoint's client authentication has already established. */
export async function issueClientCredentialsTokenFor(
  deps: Pick<ClientTokenDeps, 'resources' | keyof MinterDeps>,
  authenticated: AuthenticatedClient,
  request: ClientTokenRequest,
): Promise<ClientToken> {
  const { client, environment, certificateThumbprint } = authenticated;
  if (client.pkce === 'enforce_instead_of_secret') {
    throw new UnauthorizedClient('this client obtains user tokens only (pkce enforce_instead_of_secret); it cannot use client_credentials');
  }
  const requested = request.resources ?? [];
  if (requested.length > 1) throw new InvalidTarget('a client may request one resource per token request');

  let resource: Resource | undefined;
  let lifetime = client.accessTokenTtlSeconds;
  if (requested.length === 1) {
    const wanted = requested[0]!;
    const allowed = await deps.resources.getResources(
      client.environmentId,
      client.resources.map((entry) => entry.resource),
    );
    resource = allowed.find((candidate) => candidate.key === wanted || comparableAudience(candidate.audience) === comparableAudience(wanted));
    if (!resource) throw new InvalidTarget(`resource "${wanted}" is not one this client may request`);
    lifetime = clientResourceLifetime(client, resource.key);
  }

  const scopes = splitScope(request.scope);
  const unknown = scopes.filter((scope) => !client.scopes.includes(scope));
  if (unknown.length > 0) throw new InvalidScope(`scope ${unknown.map((s) => `"${s}"`).join(', ')} is not allowed for this client`);

  return mintAccessToken(deps, {
    subject: {
      subjectType: 'Client',
      id: client.id,
      clientId: client.clientId,
      name: client.name,
      applicationId: client.applicationId,
      ...(client.tokenBinding && certificateThumbprint ? { certificateThumbprint } : {}),
    },
    tenantId: environment.tenantId,
    environmentId: environment.id,
    audience: { resources: resource ? [resource] : [], otherwise: client.clientId },
    lifetimeSeconds: lifetime,
    scopes,
    ...(request.dpopKeyThumbprint !== undefined ? { dpopKeyThumbprint: request.dpopKeyThumbprint } : {}),
  });
}

/**
 * Rule 4's first half, for client credentials and the code and refresh grants alike: the lifetime the
 * client's settings give tokens for one of its allowed resources (the minter then cuts it to the
 * resource's own limit).
 */
export function clientResourceLifetime(client: Pick<StoredOidcClient, 'accessTokenTtlSeconds' | 'resources'>, resourceKey: string): number {
  const entry = client.resources.find((candidate) => candidate.resource === resourceKey);
  return entry?.accessTokenTtlSeconds ?? client.accessTokenTtlSeconds;
}
