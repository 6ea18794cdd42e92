import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvalidRequest, UnsupportedGrantType } from '../../src/domain/errors';
import { authenticateClient, isRegistryClientId } from '../../src/domain/clients/authentication';
import { issueClientCredentialsToken } from '../../src/domain/clients/tokens';
import { clientAuthenticationThrottle, readClientAuthentication } from '../../src/http/client-authentication';
import { clientTokenDeps } from '../../src/http/client-registry';
import { authenticateServiceAccountClient, authenticateWithSecret } from '../../src/domain/service-account-tokens';
import { httpHandler, json } from '../../src/http/handler';
import { tokenDeps } from '../../src/http/management';
import { metrics } from '../../src/http/observability';
import { secretOf } from '../../src/http/oauth-client';
import { audienceRequestProblem, formBody } from '../../src/http/request';

const deps = tokenDeps();

const clientDeps = clientTokenDeps();

/**
 * `POST /oauth/v2/token` (RFC 6749 §4.4, MU-5): the client credentials grant for service accounts,
 * with `scope` (including the compatibility aliases) and RFC 8707 `resource`.
 * OIDC clients (CL-3) use the same grant with their registered authentication method: a secret,
 * a `private_key_jwt` assertion or a self-signed TLS client certificate.
 * Client authentication runs under the failed-authentication throttle (429 with `Retry-After`), and
 * the requested audience is checked only once the client has authenticated.
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'TokenRequests' }, async (event) => {
  const form = formBody(event, ['resource']);
  const grantType = form.get('grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  if (grantType !== 'client_credentials') throw new UnsupportedGrantType(grantType);
  const client = readClientAuthentication(event, form);
  const token = await clientAuthenticationThrottle(event)(client.clientId, async () => {
    const resources = form.getAll('resource');
    const request = { ...(form.has('scope') ? { scope: form.get('scope')! } : {}), resources };
    const registryClient = isRegistryClientId(client.clientId);
    // Registry clients' scopes are their own words; only service accounts select audiences by scope.
    const problem = audienceRequestProblem(resources, registryClient ? undefined : request.scope);
    if (problem) {
      // Authenticate first: only a client that holds its credentials learns what is wrong with its request.
      if (registryClient) await authenticateClient(clientDeps, client);
      else await authenticateServiceAccountClient(deps, client.clientId, secretOf(client), client.method === 'client_secret_basic');
      throw problem;
    }
    // OIDC clients (`cl_…`) authenticate by their registered method and get client tokens.
    return registryClient
      ? issueClientCredentialsToken(clientDeps, client, request)
      : authenticateWithSecret(deps, client.clientId, secretOf(client), request, client.method === 'client_secret_basic');
  });
  metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
  return json(200, {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_in: token.expiresInSeconds,
    ...(token.scope ? { scope: token.scope } : {}),
  });
});
