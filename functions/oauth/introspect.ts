import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvalidRequest } from '../../src/domain/errors';
import { introspect } from '../../src/domain/introspection';
import { httpHandler, json } from '../../src/http/handler';
import { introspectionDeps } from '../../src/composition/dependencies';
import { authenticateOAuthClient } from '../../src/http/client-authentication';
import { metrics } from '../../src/http/observability';
import { formBody } from '../../src/http/request';

/**
 * `POST /oauth/v2/introspect` (RFC 7662): is this JWT, opaque token or PAT active, and what
 * does it stand for. The client authenticates first, as at the token endpoint, so an
 * unauthenticated caller learns nothing, not even whether its request was well formed.
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'Introspections' }, async (event) => {
  const form = formBody(event);
  const caller = await authenticateOAuthClient(event, form);
  const token = form.get('token');
  if (!token) throw new InvalidRequest('token is required');
  // token_type_hint may be sent and is not needed: every kind of Latchkey token is recognised by its shape.
  const answer = await introspect(introspectionDeps(), caller, token);
  metrics.addMetric(answer.active ? 'TokensActive' : 'TokensInactive', MetricUnit.Count, 1);
  return json(200, answer);
});
