/**
 * The configuration every AWS SDK client of Latchkey is built with, and how its failures are told
 * apart from bugs.
 *
 * The SDK's defaults wait without limit for a connection and an answer, and a hanging dependency
 * then holds a request until the Lambda function times out (10 s) with a bare 500. Bounded here:
 * - 1 s to connect, 2 s for the whole request and answer (thrown, not only logged: the handler
 *   option `throwOnRequestTimeout`);
 * - 2 attempts in all (one retry), so the worst case of one call is about 4.2 s, and a request
 *   that makes a second call after an outage began still answers within the function's 10 s.
 * An outage then surfaces as an error that `isDependencyOutage` recognises and the one error
 * mapping answers as 503 with `Retry-After`.
 */

export const AWS_CONNECTION_TIMEOUT_MS = 1000;
export const AWS_REQUEST_TIMEOUT_MS = 2000;
export const AWS_MAX_ATTEMPTS = 2;

/**
 * Shortens the request timeout of the clients built after it is set (milliseconds). No deployed
 * function has it: the outage tests set it, so that each dependency they hang costs them less time.
 */
export const REQUEST_TIMEOUT_OVERRIDE_VARIABLE = 'LATCHKEY_AWS_REQUEST_TIMEOUT_MS';

/**
 * Spread into every `new XClient(...)`. `requestHandler` is given as the options of the SDK's
 * default `NodeHttpHandler` (from `@smithy/node-http-handler`), which each client builds for itself.
 */
export const awsClientConfig = {
  maxAttempts: AWS_MAX_ATTEMPTS,
  get requestHandler() {
    const override = Number(process.env[REQUEST_TIMEOUT_OVERRIDE_VARIABLE]);
    return {
      connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: override > 0 && override < AWS_REQUEST_TIMEOUT_MS ? override : AWS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    } as const;
  },
} as const;

/**
 * For invoking enrichment webhooks (Lambda): one attempt, since an invocation is not idempotent, and
 * the webhook's own time budget (at most 5 s, an abort signal) bounds it; the request timeout here is
 * only the backstop.
 */
export const lambdaInvokeClientConfig = {
  maxAttempts: 1,
  requestHandler: {
    connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
    requestTimeout: 6000,
    throwOnRequestTimeout: true,
  },
} as const;

/** Error names the SDK gives throttling and transient service failures (as its own retry rules do). */
const OUTAGE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'TooManyRequestsException',
  'InternalServerError',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
]);

/** Socket errors: refused, reset, unreachable, unresolvable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * Whether an error means that an AWS dependency is unreachable, slow, throttling or failing (and a
 * retry later may succeed), rather than that Latchkey or the request is wrong.
 */
export function isDependencyOutage(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const candidate = error as { name?: unknown; code?: unknown; $fault?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown }; cause?: unknown };
  if (typeof candidate.name === 'string' && OUTAGE_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code)) return true;
  // A modelled error of the service's own fault (5xx), or one the SDK marks as worth retrying.
  const status = candidate.$metadata?.httpStatusCode;
  if (candidate.$metadata !== undefined && (candidate.$fault === 'server' || candidate.$retryable !== undefined || (typeof status === 'number' && status >= 500))) {
    return true;
  }
  return isDependencyOutage(candidate.cause, depth + 1);
}
