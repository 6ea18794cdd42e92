import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { clock, issuer, kmsKeySet, pepperHasher, store } from '../../src/adapters/from-environment';
import { InvalidRequest, UnsupportedGrantType } from '../../src/domain/errors';
import { authenticateWithSecret } from '../../src/domain/service-account-tokens';
import { readClientSecret } from '../../src/http/client-credentials';
import { httpHandler, json } from '../../src/http/handler';
import { metrics } from '../../src/http/observability';
import { formBody } from '../../src/http/request';

const deps = { store: store(), hasher: pepperHasher(), signer: kmsKeySet(), now: clock, issuer: issuer() };

/**
 * `POST /oauth/v2/token` (RFC 6749 §4.4, MU-5): the client credentials grant for service accounts,
 * with `scope` (including the compatibility aliases) and RFC 8707 `resource`.
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'TokenRequests' }, async (event) => {
  const form = formBody(event, ['resource']);
  const grantType = form.get('grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  if (grantType !== 'client_credentials') throw new UnsupportedGrantType(grantType);
  const client = readClientSecret(event, form);
  const resources = form.getAll('resource');
  for (const resource of resources) if (!resource) throw new InvalidRequest('resource must not be empty');

  const token = await authenticateWithSecret(
    deps,
    client.clientId,
    client.clientSecret,
    { ...(form.has('scope') ? { scope: form.get('scope')! } : {}), resources },
    client.method === 'client_secret_basic',
  );
  metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
  return json(200, {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_in: token.expiresInSeconds,
    ...(token.scope ? { scope: token.scope } : {}),
  });
});
