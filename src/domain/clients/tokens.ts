import { InvalidScope, InvalidTarget, UnauthorizedClient } from '../errors';
import { newId } from '../ids';
import type { Resource } from '../model';
import type { ResourceStore, TokenSigner } from '../ports';
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
 *    the resource's own limit.
 * 5. With token binding on, the token carries `cnf.x5t#S256` of the certificate the client used.
 * Client tokens have `subjectType: "Client"` and no `permissions`: a client holds no grants, so a
 * token of one can never pass a management or permission check meant for service accounts.
 */

export interface ClientTokenDeps extends ClientAuthenticationDeps {
  readonly resources: ResourceStore;
  readonly signer: TokenSigner;
  readonly issuer: string;
}

export interface ClientTokenRequest {
  readonly scope?: string;
  readonly resources?: readonly string[];
}

export interface ClientToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresInSeconds: number;
  readonly scope?: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export async function issueClientCredentialsToken(deps: ClientTokenDeps, presented: PresentedClientCredentials, request: ClientTokenRequest): Promise<ClientToken> {
  return issueClientCredentialsTokenFor(deps, await authenticateClient(deps, presented), request);
}

/** Rules 1 to 5 for a client the token endpoint's client authentication has already established. */
export async function issueClientCredentialsTokenFor(
  deps: Pick<ClientTokenDeps, 'resources' | 'signer' | 'now' | 'issuer'>,
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
    const entry = client.resources.find((candidate) => candidate.resource === resource!.key)!;
    lifetime = Math.min(entry.accessTokenTtlSeconds ?? client.accessTokenTtlSeconds, resource.accessTokenTtlSeconds ?? Number.POSITIVE_INFINITY);
  }

  const scopes = [...new Set((request.scope ?? '').split(' ').filter(Boolean))];
  const unknown = scopes.filter((scope) => !client.scopes.includes(scope));
  if (unknown.length > 0) throw new InvalidScope(`scope ${unknown.map((s) => `"${s}"`).join(', ')} is not allowed for this client`);

  const iat = Math.floor(deps.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: deps.issuer,
    sub: client.id,
    aud: resource ? resource.audience : client.clientId,
    iat,
    exp: iat + lifetime,
    jti: newId('tok'),
    client_id: client.clientId,
    name: client.name,
    subjectType: 'Client',
    tenantId: environment.tenantId,
    environmentId: environment.id,
    applicationId: client.applicationId,
    ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    ...(client.tokenBinding && certificateThumbprint ? { cnf: { 'x5t#S256': certificateThumbprint } } : {}),
  };
  const accessToken = await deps.signer.sign(claims, { typ: 'at+jwt' });
  return { accessToken, tokenType: 'Bearer', expiresInSeconds: lifetime, ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}), claims };
}
