import { applicationStore, clientStore, clock, endUserStore, idpConnectionStore, issuer, pepperHasher, store, tokenStore } from '../adapters/from-environment';
import { authenticateClient, isRegistryClientId, type PresentedClientCredentials } from '../domain/clients/authentication';
import { InvalidClient } from '../domain/errors';
import { serviceAccountClient, type OAuthClient } from '../domain/revocation';
import { authenticateServiceAccountClient } from '../domain/service-account-tokens';
import { clientAuthenticationThrottle, readClientAuthentication } from './client-authentication';
import { clientTokenDeps } from './client-registry';
import type { HttpEvent } from './handler';
import { verifyLatchkeyJwt } from './token-verifier';

/**
 * Who is calling an OAuth endpoint (introspection, revocation), authenticated the way the token
 * endpoint authenticates: a service account with its secret, or a registry client (`cl_…`) with its
 * registered method (secret, `private_key_jwt` or self-signed mutual TLS).
 */
export async function authenticateOAuthClient(event: HttpEvent, form: URLSearchParams): Promise<OAuthClient> {
  const presented = readClientAuthentication(event, form);
  return clientAuthenticationThrottle(event)(presented.clientId, async () => {
    if (isRegistryClientId(presented.clientId)) {
      const { client } = await authenticateClient(clientTokenDeps(), presented);
      return { environmentId: client.environmentId, principalId: client.id, clientId: client.clientId, mayRevokeAny: false };
    }
    const deps = { store: store(), hasher: pepperHasher(), now: clock };
    const { account } = await authenticateServiceAccountClient(deps, presented.clientId, secretOf(presented), presented.method === 'client_secret_basic');
    return serviceAccountClient(account);
  });
}

/** What introspection and revocation need: the token records and a verifier of Latchkey JWTs. */
export function introspectionDeps() {
  return {
    store: store(),
    tokens: tokenStore(),
    hasher: pepperHasher(),
    now: clock,
    issuer: issuer(),
    verifyJwt: verifyLatchkeyJwt,
    origins: { clients: clientStore(), applications: applicationStore(), users: endUserStore(), connections: idpConnectionStore() },
  };
}

/** Service accounts authenticate with a client secret only. */
export function secretOf(client: PresentedClientCredentials): string {
  if (client.method === 'client_secret_basic' || client.method === 'client_secret_post') return client.clientSecret;
  throw new InvalidClient(`service accounts authenticate with a client secret, not ${client.method}`);
}
