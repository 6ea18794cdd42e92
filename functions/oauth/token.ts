import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { tokenEndpointDeps } from '../../src/composition/dependencies';
import { InvalidRequest } from '../../src/domain/errors';
import { requestToken } from '../../src/domain/token-endpoint';
import { clientRequest, readClientAuthentication } from '../../src/http/client-authentication';
import { httpHandler, json } from '../../src/http/handler';
import { metrics } from '../../src/http/observability';
import { dpopOf } from '../../src/http/dpop';
import { formBody } from '../../src/http/request';

/**
 * `POST /oauth/v2/token` (RFC 6749 §3.2): reads the form and answers; the pipeline between (the
 * grant map, the client-authentication chain shared with introspection and revocation under the
 * failed-authentication throttle, the audience check after authentication, the grants) is
 * src/domain/token-endpoint.ts. Grants: `client_credentials` (service accounts with scope aliases
 * and RFC 8707 `resource`, OIDC clients), `authorization_code` with PKCE, `refresh_token`, the
 * JWT bearer grant (RFC 7523 §2.1) for service accounts with keys, and token exchange (RFC 8693);
 * each with an optional DPoP proof (RFC 9449) that binds its tokens.
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'TokenRequests' }, async (event) => {
  const form = formBody(event, ['resource', 'audience']);
  const grantType = form.get('grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  const optional = (name: string) => form.get(name) ?? undefined;
  const answer = await requestToken(tokenEndpointDeps(), clientRequest(event), () => readClientAuthentication(event, form), {
    grantType,
    scope: optional('scope'),
    resources: form.getAll('resource'),
    code: optional('code'),
    redirectUri: optional('redirect_uri'),
    codeVerifier: optional('code_verifier'),
    refreshToken: optional('refresh_token'),
    assertion: optional('assertion'),
    subjectToken: optional('subject_token'),
    subjectTokenType: optional('subject_token_type'),
    actorToken: optional('actor_token'),
    actorTokenType: optional('actor_token_type'),
    requestedTokenType: optional('requested_token_type'),
    audiences: form.getAll('audience'),
    dpop: dpopOf(event),
  });
  metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
  return json(200, answer);
});
