import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one logger of a Latchkey function: structured JSON with the Lambda and API Gateway request IDs.
 *
 * Rule for every caller: never log an event, a header, a body, a token, a secret or a hash of one.
 * Log identifiers (account IDs, client IDs, key IDs) and error codes instead.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'latchkey' });

/** CloudWatch metrics in embedded metric format: tokens issued and refused, per function. */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Latchkey',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'latchkey',
});
