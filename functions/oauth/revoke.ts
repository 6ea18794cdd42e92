import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvalidRequest } from '../../src/domain/errors';
import { revoke } from '../../src/domain/revocation';
import { httpHandler } from '../../src/http/handler';
import { introspectionDeps } from '../../src/composition/dependencies';
import { authenticateOAuthClient } from '../../src/http/client-authentication';
import { metrics } from '../../src/http/observability';
import { formBody } from '../../src/http/request';

/**
 * `POST /oauth/v2/revoke` (RFC 7009): revokes an opaque token or PAT at once, a JWT by its `jti`
 * until it expires, and a refresh token with its whole family. Public clients may revoke their own
 * tokens. Answers 200 with no body, also for tokens it does not know (§2.2).
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'Revocations' }, async (event) => {
  const form = formBody(event);
  const caller = await authenticateOAuthClient(event, form, { publicClients: true });
  const token = form.get('token');
  if (!token) throw new InvalidRequest('token is required');
  const hint = form.get('token_type_hint');
  const revoked = await revoke(introspectionDeps(), caller, token, hint || undefined);
  metrics.addMetric('TokensRevoked', MetricUnit.Count, revoked ? 1 : 0);
  return { statusCode: 200 };
});
