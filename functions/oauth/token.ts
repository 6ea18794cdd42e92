import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvalidRequest, UnsupportedGrantType } from '../../src/domain/errors';
import { isRegistryClientId } from '../../src/domain/clients/authentication';
import { issueClientCredentialsToken } from '../../src/domain/clients/tokens';
import { readClientAuthentication } from '../../src/http/client-authentication';
import { clientTokenDeps } from '../../src/http/client-registry';
import { authenticateWithSecret } from '../../src/domain/service-account-tokens';
import { httpHandler, json } from '../../src/http/handler';
import { tokenDeps } from '../../src/http/management';
import { metrics } from '../../src/http/observability';
import { secretOf } from '../../src/http/oauth-client';
import { formBody } from '../../src/http/request';

const deps = tokenDeps();

const clientDeps = clientTokenDeps();

/**
 * `POST /oauth/v2/token` (RFC 6749 §4.4, MU-5): the client credentials grant for service accounts,
 * with `scope` (including the compatibility aliases) and RFC 8707 `resource`.
 * OIDC clients (CL-3) use the same grant with their registered authentication method: a secret,
 * a `private_key_jwt` assertion or a self-signed TLS client certificate.
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'TokenRequests' }, async (event) => {
  const form = formBody(event, ['resource']);
  const grantType = form.get('grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  if (grantType !== 'client_credentials') throw new UnsupportedGrantType(grantType);
  const client = readClientAuthentication(event, form);
  const resources = form.getAll('resource');
  for (const resource of resources) if (!resource) throw new InvalidRequest('resource must not be empty');
  const request = { ...(form.has('scope') ? { scope: form.get('scope')! } : {}), resources };
  // CL-3: OIDC clients (`cl_…`) authenticate by their registered method and get client tokens.
  const token = isRegistryClientId(client.clientId)
    ? await issueClientCredentialsToken(clientDeps, client, request)
    : await authenticateWithSecret(deps, client.clientId, secretOf(client), request, client.method === 'client_secret_basic');
  metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
  return json(200, {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_in: token.expiresInSeconds,
    ...(token.scope ? { scope: token.scope } : {}),
  });
});
