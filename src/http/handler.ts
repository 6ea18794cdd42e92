import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { errorResponse, toLatchkeyError, type ErrorStyle } from './error-mapping';
import { ALARM_METRICS, countAlarmMetric, isColdStart, logger, metrics, operationName, sampledTracer } from '../adapters/observability';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpFunction = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export interface HttpHandlerOptions {
  /** How errors are answered on this operation. */
  readonly errors: ErrorStyle;
  /** `Cache-Control` for successful answers. Identity answers are `no-store` unless they say otherwise. */
  readonly cacheControl?: string;
  /**
   * Publish metrics from this operation: every request counts once as `{name}`, and each refused one
   * also as `{name}Refused`. (So every invocation publishes a metric, and Powertools never logs its
   * warning about an empty flush on each request.)
   */
  readonly metrics?: string;
}

/**
 * The shared middy stack of every HTTP operation: request-scoped structured logs, one error mapping,
 * and the headers every answer carries. A handler built with it only parses, calls the domain and
 * maps the result. The event itself is never logged: it carries secrets and tokens.
 */
export function httpHandler(options: HttpHandlerOptions, fn: HttpFunction) {
  const stack = middy<HttpEvent, HttpResult>(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(tracing());
  if (options.metrics) stack.use(logMetrics(metrics));
  return stack.use({
    before: (request) => {
      if (options.metrics) metrics.addMetric(options.metrics, MetricUnit.Count, 1);
      logger.appendKeys({
        requestId: request.event.requestContext?.requestId,
        route: request.event.routeKey,
      });
    },
    after: (request) => {
      request.response = withStandardHeaders(request.response, options.cacheControl ?? 'no-store');
    },
    onError: (request) => {
      const error = toLatchkeyError(request.error);
      if (options.metrics) metrics.addMetric(`${options.metrics}Refused`, MetricUnit.Count, 1);
      countAlarmMetrics(request.error, error);
      if (error.status >= 500 && !CUSTOMER_FAILURES.has(error.code)) {
        logger.error('request failed', { error: request.error as Error });
      } else {
        // A customer's own system failing (its enrichment webhook: 502) is expected, theirs to fix:
        // a warning without a stack trace, never an error that pages Latchkey's on-call.
        logger[error.status >= 500 ? 'warn' : 'info']('request refused', {
          status: error.status,
          code: error.code,
          ...(error.internalDetail ? { reason: error.internalDetail } : {}),
        });
      }
      request.response = withStandardHeaders(errorResponse(error, options.errors), 'no-store');
    },
  });
}

/** Error codes of 5xx answers caused by a customer's system, not Latchkey's: logged as warnings. */
const CUSTOMER_FAILURES = new Set(['enrichment_failed']);

/** KMS's own failures, by error name: throttled, key disabled, unavailable or pending deletion, internal. */
const KMS_FAILURES = new Set(['KMSInternalException', 'KMSInvalidStateException', 'DisabledException', 'KeyUnavailableException', 'DependencyTimeoutException']);

/** The metrics the stack's alarms watch, from the error a request failed with (docs/operations.md). */
function countAlarmMetrics(raw: unknown, error: { status: number; code: string }): void {
  if (error.code === 'enrichment_failed') countAlarmMetric(ALARM_METRICS.webhookFailures);
  // A 429 of an operation that authenticates clients is the per-client failure limit, not API Gateway's throttle.
  if (error.status === 429) countAlarmMetric(ALARM_METRICS.clientAuthenticationThrottled);
  for (let cause: unknown = raw, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (KMS_FAILURES.has(cause.name) || (cause.name === 'ThrottlingException' && /kms/i.test(cause.message))) {
      countAlarmMetric(ALARM_METRICS.kmsFailures);
      break;
    }
  }
}

/**
 * X-Ray: a `## <operation>` subsegment annotated with the operation and the stage, for invocations
 * Lambda sampled (the sampling rate is the stack's `tracingSampleRate`).
 */
function tracing(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  type Open = { restore: () => void };
  const opened = new WeakMap<object, Open>();
  const close = (request: { context: object }) => {
    opened.get(request.context)?.restore();
    opened.delete(request.context);
  };
  return {
    before: async (request) => {
      const coldStart = isColdStart();
      const pending = sampledTracer();
      if (!pending) return;
      const tracer = await pending;
      const parent = tracer.getSegment();
      if (!parent) return;
      const subsegment = parent.addNewSubsegment(`## ${operationName}`);
      tracer.setSegment(subsegment);
      tracer.putAnnotation('ColdStart', coldStart);
      tracer.addServiceNameAnnotation();
      tracer.putAnnotation('operation', operationName);
      tracer.putAnnotation('stage', process.env.LATCHKEY_STAGE ?? 'local');
      opened.set(request.context, {
        restore: () => {
          subsegment.close();
          tracer.setSegment(parent);
        },
      });
    },
    after: close,
    onError: close,
  };
}

function withStandardHeaders(response: HttpResult | undefined, cacheControl: string): HttpResult {
  const result = response ?? { statusCode: 204 };
  const headers: Record<string, string | number | boolean> = {
    'cache-control': cacheControl,
    'x-content-type-options': 'nosniff',
    ...result.headers,
  };
  // RFC 6749 §5.1: answers that may carry credentials must not be cached by any intermediary.
  if (cacheControl === 'no-store') headers.pragma = 'no-cache';
  return { ...result, headers };
}

/** A JSON answer. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
