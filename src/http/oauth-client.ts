import { clientTokenDeps, serviceAccountAuthenticationDeps } from '../composition/dependencies';
import { authenticateClient, isRegistryClientId, type AuthenticatedClient, type PresentedClientCredentials } from '../domain/clients/authentication';
import { InvalidClient } from '../domain/errors';
import { serviceAccountClient, type OAuthClient } from '../domain/revocation';
import { authenticateServiceAccountClient, type AuthenticatedClient as AuthenticatedServiceAccount } from '../domain/service-account-tokens';
import { clientAuthenticationThrottle, readClientAuthentication } from './client-authentication';
import type { HttpEvent } from './handler';

/** A client the chain has authenticated: a service account, or a registry client (`cl_…`). */
export type AuthenticatedCaller =
  | { readonly kind: 'service-account'; readonly authenticated: AuthenticatedServiceAccount }
  | { readonly kind: 'client'; readonly authenticated: AuthenticatedClient };

/**
 * The one client-authentication chain of the token, introspection and revocation endpoints: read
 * the credentials presented (`client-authentication.ts`), then authenticate them against the
 * store that holds that client: a service account with its secret, or a registry client with its
 * registered method (secret, `private_key_jwt`, self-signed mutual TLS, or none for a public PKCE
 * client). Every attempt runs under the failed-authentication throttle (429 with `Retry-After`).
 */
export async function authenticateClientChain(event: HttpEvent, form: URLSearchParams): Promise<AuthenticatedCaller> {
  const presented = readClientAuthentication(event, form);
  return clientAuthenticationThrottle(event)(presented.clientId, async (beforeEvaluating): Promise<AuthenticatedCaller> => {
    if (isRegistryClientId(presented.clientId)) return { kind: 'client', authenticated: await authenticateClient(clientTokenDeps(), presented, beforeEvaluating) };
    const authenticated = await authenticateServiceAccountClient(serviceAccountAuthenticationDeps(), presented.clientId, secretOf(presented), {
      basicScheme: presented.method === 'client_secret_basic',
      beforeEvaluating,
    });
    return { kind: 'service-account', authenticated };
  });
}

/**
 * Who is calling introspection or revocation, authenticated by the chain. A public client proves
 * nothing by its `client_id` alone, so it may not ask about the environment's tokens; revocation
 * lets it in (`publicClients: true`) to revoke only the tokens issued to it (RFC 7009 §2.1).
 */
export async function authenticateOAuthClient(event: HttpEvent, form: URLSearchParams, options: { publicClients?: boolean } = {}): Promise<OAuthClient> {
  const caller = await authenticateClientChain(event, form);
  if (caller.kind === 'service-account') return serviceAccountClient(caller.authenticated.account);
  const { client, publicClient } = caller.authenticated;
  if (publicClient && !options.publicClients) throw new InvalidClient(`public client ${client.id} tried introspection`);
  return { environmentId: client.environmentId, principalId: client.id, clientId: client.clientId, mayRevokeAny: false };
}

/** Service accounts authenticate with a client secret only. */
export function secretOf(client: PresentedClientCredentials): string {
  if (client.method === 'client_secret_basic' || client.method === 'client_secret_post') return client.clientSecret;
  throw new InvalidClient(`service accounts authenticate with a client secret, not ${client.method}`);
}
