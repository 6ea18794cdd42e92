import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { delegatedTokenDeps, tokenIssuingDeps } from '../../src/composition/dependencies';
import { createGraphqlContext } from '../../src/graphql/context';
import { runGraphql } from '../../src/graphql/execute';
import { MAX_QUERY_CHARS } from '../../src/graphql/limits';
import { authenticateCaller } from '../../src/http/authenticate';
import { clientAuthenticationThrottle } from '../../src/http/client-authentication';
import { httpHandler, json } from '../../src/http/handler';
import { metrics } from '../../src/http/observability';
import { header, jsonBody } from '../../src/http/request';

const deps = {
  tokens: tokenIssuingDeps(),
  tokenIssued: () => {
    metrics.addMetric('TokensIssued', MetricUnit.Count, 1);
  },
  delegated: delegatedTokenDeps,
};

/** A GraphQL-over-HTTP POST body. `extensions` is allowed by that spec and ignored; batches are not supported. */
const body = z.strictObject({
  query: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)),
  variables: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  operationName: z.optional(z.nullable(z.string().check(z.maxLength(200, 'must be at most 200 characters')))),
  extensions: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
});

/**
 * `POST /graphql`: GraphQL compatibility for token operations, answering
 * `{data, errors: [{message, extensions: {code}}]}`. A body that is not a GraphQL request (not JSON,
 * too large, wrong shape) is refused the same way by the shared stack, with `BAD_USER_INPUT`,
 * `PAYLOAD_TOO_LARGE` or `UNSUPPORTED_MEDIA_TYPE`. Other methods get the route table's 405 with
 * `Allow: POST`: GraphQL over HTTP forbids mutations over GET.
 */
export const handler = httpHandler({ errors: 'graphql', metrics: 'GraphqlRequests' }, async (event) => {
  const request = jsonBody(event, body);
  const context = createGraphqlContext(deps, header(event, 'authorization'), () => authenticateCaller(event), clientAuthenticationThrottle(event));
  const answer = await runGraphql(request, context);
  if (answer.body.errors) metrics.addMetric('GraphqlRequestsRefused', MetricUnit.Count, 1);
  return json(answer.status, answer.body, { ...answer.headers });
});
