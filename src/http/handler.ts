import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { errorResponse, toLatchkeyError, type ErrorStyle } from './error-mapping';
import { logger, metrics } from './observability';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpFunction = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export interface HttpHandlerOptions {
  /** How errors are answered on this operation. */
  readonly errors: ErrorStyle;
  /** `Cache-Control` for successful answers. Identity answers are `no-store` unless they say otherwise. */
  readonly cacheControl?: string;
  /** Publish metrics from this operation; each refused request counts once as `{name}Refused`. */
  readonly metrics?: string;
}

/**
 * The shared middy stack of every HTTP operation: request-scoped structured logs, one error mapping,
 * and the headers every answer carries. A handler built with it only parses, calls the domain and
 * maps the result. The event itself is never logged: it carries secrets and tokens.
 */
export function httpHandler(options: HttpHandlerOptions, fn: HttpFunction) {
  const stack = middy<HttpEvent, HttpResult>(fn).use(injectLambdaContext(logger, { resetKeys: true }));
  if (options.metrics) stack.use(logMetrics(metrics));
  return stack.use({
      before: (request) => {
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
        if (error.status >= 500) {
          logger.error('request failed', { error: request.error as Error });
        } else {
          logger.info('request refused', {
            status: error.status,
            code: error.code,
            ...(error.internalDetail ? { reason: error.internalDetail } : {}),
          });
        }
        request.response = withStandardHeaders(errorResponse(error, options.errors), 'no-store');
      },
    });
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
