import type { BeforeEvaluating } from '../authentication-throttle';
import { InvalidClient } from '../errors';
import { isId, parseClientId } from '../ids';
import type { Environment } from '../model';
import type { Clock, SecretHasher } from '../primitives';
import type { EnvironmentStore } from '../stores';
import { secretMatches, sameDigest } from '../secrets';
import { presentedThumbprint } from './certificates';
import { verifyClientAssertion, type AssertionDeps } from './client-assertion';
import type { AuthMethod, StoredOidcClient } from './model';
import type { ApplicationLookup, ClientStore } from './ports';

/**
 * Authentication of an OIDC client at the token endpoint.
 *
 * Rules, in the order they are checked (every failure is `invalid_client`; the log gets the reason):
 * 1. The client ID names an OIDC client (`cl_…@env_…`) of an existing environment and application
 *    (deleting an application stops its clients at once).
 * 2. The client authenticates with the one method it is registered for (RFC 7591
 *    `token_endpoint_auth_method`); another method, even a valid one, is refused, and the answer's
 *    `error_description` names the registered method (nothing about the credentials).
 * 3. `client_secret_basic`/`client_secret_post`: the secret matches its keyed hash (current, or the
 *    previous one during a rotation's grace period), compared in constant time.
 * 4. `private_key_jwt`: the assertion passes `client-assertion.ts`.
 * 5. `self_signed_tls_client_auth`: the TLS client certificate API Gateway passes in the request
 *    context has the registered certificate's SHA-256 thumbprint (RFC 8705 §2.2).
 * A client whose PKCE mode is `enforce_instead_of_secret` is a public client (RFC 6749 §2.1): it
 * may send only its `client_id` (no secret, assertion or certificate), and is then authenticated
 * as public; what it may do as such (PKCE-bound grants only) is up to each grant.
 */

export type PresentedClientCredentials =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly clientSecret: string }
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly assertion: string }
  | { readonly method: 'self_signed_tls_client_auth'; readonly clientId: string; readonly certificatePem?: string };

export interface ClientAuthenticationDeps extends AssertionDeps {
  readonly clients: ClientStore;
  readonly environments: EnvironmentStore;
  readonly applications: ApplicationLookup;
  readonly hasher: SecretHasher;
  readonly now: Clock;
}

export interface AuthenticatedClient {
  readonly client: StoredOidcClient;
  readonly environment: Environment;
  /** `x5t#S256` of the certificate the client authenticated with, for mutual-TLS clients. */
  readonly certificateThumbprint?: string;
  /** Identified by `client_id` alone: a public client (PKCE mode `enforce_instead_of_secret`). */
  readonly publicClient?: boolean;
}

/** Whether a client ID names a registry client rather than a service account. */
export function isRegistryClientId(clientId: string): boolean {
  const parsed = parseClientId(clientId);
  return parsed !== undefined && isId(parsed.principalId, 'cl');
}

export async function authenticateClient(deps: ClientAuthenticationDeps, presented: PresentedClientCredentials, beforeEvaluating?: BeforeEvaluating): Promise<AuthenticatedClient> {
  const refuse = (reason: string) => new InvalidClient(reason, presented.method === 'client_secret_basic');
  const parsed = parseClientId(presented.clientId);
  if (!parsed || !isId(parsed.principalId, 'cl')) throw refuse('client ID is not a Latchkey client ID');
  const [client, environment] = await Promise.all([deps.clients.getClient(parsed.environmentId, parsed.principalId), deps.environments.getEnvironment(parsed.environmentId)]);
  if (client?.protocol !== 'oidc' || !environment) throw refuse(`no OIDC client ${parsed.principalId} in ${parsed.environmentId}`);
  if (!(await deps.applications.getApplication(client.environmentId, client.applicationId))) {
    throw refuse(`the application ${client.applicationId} of client ${client.id} no longer exists`);
  }
  if (client.pkce === 'enforce_instead_of_secret' && presented.method === 'self_signed_tls_client_auth' && !presented.certificatePem) {
    return { client, environment, publicClient: true };
  }
  if (presented.method !== client.authMethod) {
    // The registered method is no secret, and a client library's developer needs it to fix the call.
    throw new InvalidClient(
      `client ${client.id} authenticates with ${client.authMethod}, not ${presented.method}`,
      presented.method === 'client_secret_basic',
      `the client is registered for the ${client.authMethod} authentication method`,
    );
  }
  await beforeEvaluating?.({
    lastFailedAt: client.lastFailedAuthenticationAt,
    mark: async (atSeconds) => void (await deps.clients.updateClient(client.environmentId, client.id, { lastFailedAuthenticationAt: atSeconds })),
  });

  switch (presented.method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!(await secretMatches(deps.hasher, presented.clientSecret, client.secret, Math.floor(deps.now() / 1000)))) {
        throw refuse(`wrong secret for client ${client.id}`);
      }
      return { client, environment };
    case 'private_key_jwt':
      await verifyClientAssertion(deps, client, presented.assertion);
      return { client, environment };
    case 'self_signed_tls_client_auth': {
      const thumbprint = presentedThumbprint(presented.certificatePem);
      if (!thumbprint) throw refuse(`client ${client.id} presented no readable TLS client certificate`);
      if (!client.tlsCertificateThumbprint || !sameDigest(thumbprint, client.tlsCertificateThumbprint)) {
        throw refuse(`client ${client.id} presented a certificate other than the registered one`);
      }
      return { client, environment, certificateThumbprint: thumbprint };
    }
    default:
      throw refuse(`unsupported method ${(presented as { method: AuthMethod }).method}`);
  }
}
