import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvalidRequest, UnsupportedGrantType } from '../../src/domain/errors';
import { requestedResourceKeys } from '../../src/domain/service-account-tokens';
import { httpHandler, json } from '../../src/http/handler';
import { metrics } from '../../src/http/observability';
import { authenticateClientChain } from '../../src/http/oauth-client';
import { formBody } from '../../src/http/request';
import { GRANT_HANDLERS } from '../../src/http/token-grants';

/**
 * `POST /oauth/v2/token` (RFC 6749 §3.2): the grant asked for by `grant_type`, after the client has
 * authenticated through the chain shared with introspection and revocation. Grants:
 * `client_credentials` (service accounts with scope aliases and RFC 8707 `resource`, OIDC clients),
 * `authorization_code` with PKCE and `refresh_token` (OIDC clients).
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'TokenRequests' }, async (event) => {
  const form = formBody(event, ['resource']);
  const grantType = form.get('grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  const grant = Object.hasOwn(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType] : undefined;
  if (!grant) throw new UnsupportedGrantType(grantType);
  const resourceKeys = requestedResourceKeys({ ...(form.has('scope') ? { scope: form.get('scope')! } : {}), resources: form.getAll('resource') });
  const caller = await authenticateClientChain(event, form, resourceKeys);
  const answer = await grant(caller, form);
  metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
  return json(200, answer);
});
