import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvalidRequest, UnsupportedGrantType } from '../../src/domain/errors';
import { httpHandler, json } from '../../src/http/handler';
import { metrics } from '../../src/http/observability';
import { authenticateClientChain } from '../../src/http/oauth-client';
import { audienceRequestProblem, formBody } from '../../src/http/request';
import { GRANT_HANDLERS } from '../../src/http/token-grants';

/**
 * `POST /oauth/v2/token` (RFC 6749 §3.2): the grant asked for by `grant_type`, after the client has
 * authenticated through the chain shared with introspection and revocation (which runs under the
 * failed-authentication throttle: 429 with `Retry-After`). Grants: `client_credentials` (service
 * accounts with scope aliases and RFC 8707 `resource`, OIDC clients), `authorization_code` with
 * PKCE and `refresh_token` (OIDC clients). The requested audience is checked, and read, only once
 * the client has authenticated: an unauthenticated caller learns nothing from it and makes
 * Latchkey read nothing it names.
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'TokenRequests' }, async (event) => {
  const form = formBody(event, ['resource']);
  const grantType = form.get('grant_type');
  if (!grantType) throw new InvalidRequest('grant_type is required');
  const grant = Object.hasOwn(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType] : undefined;
  if (!grant) throw new UnsupportedGrantType(grantType);
  const caller = await authenticateClientChain(event, form);
  // Registry clients' scopes are their own words; only service accounts select audiences by scope.
  const problem = audienceRequestProblem(form.getAll('resource'), caller.kind === 'client' ? undefined : (form.get('scope') ?? undefined));
  if (problem) throw problem;
  const answer = await grant(caller, form);
  metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
  return json(200, answer);
});
