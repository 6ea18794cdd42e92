import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { delegatedTokenDeps, tokenIssuingDeps } from '../../src/composition/dependencies';
import { createGraphqlContext } from '../../src/graphql/context';
import { runGraphql } from '../../src/graphql/execute';
import { authenticateCaller } from '../../src/http/authenticate';
import { clientAuthenticationThrottle } from '../../src/http/client-authentication';
import { httpHandler, json } from '../../src/http/handler';
import { metrics } from '../../src/http/observability';
import { header, jsonBody } from '../../src/http/request';
import { graphqlBody } from '../../src/http/management-schemas';

const tokenIssued = (): void => {
  metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
};

/**
 * `POST /graphql`: GraphQL compatibility for token operations, answering
 * `{data, errors: [{message, extensions: {code}}]}`. A body that is not a GraphQL request (not JSON,
 * too large, wrong shape) is refused the same way by the shared stack, with `BAD_USER_INPUT`,
 * `PAYLOAD_TOO_LARGE` or `UNSUPPORTED_MEDIA_TYPE`. Other methods get the route table's 405 with
 * `Allow: POST`: GraphQL over HTTP forbids mutations over GET.
 */
export const handler = httpHandler({ errors: 'graphql', metrics: 'GraphqlRequests' }, async (event) => {
  const request = jsonBody(event, graphqlBody);
  const context = createGraphqlContext(
    { tokens: tokenIssuingDeps(), tokenIssued, delegated: delegatedTokenDeps },
    header(event, 'authorization'),
    () => authenticateCaller(event),
    clientAuthenticationThrottle(event),
  );
  const answer = await runGraphql(request, context);
  if (answer.body.errors) metrics.addMetric('GraphqlRequestsRefused', MetricUnit.Count, 1);
  return json(answer.status, answer.body, { ...answer.headers });
});
