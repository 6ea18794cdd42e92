import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isDependencyOutage } from '../adapters/aws-client-config';
import { AuthorizationRedirectError, LatchkeyError, ServiceUnavailable } from '../domain/errors';
import { escapeHtml, PAGE_HEADERS } from './pages';

/**
 * The one place where errors become HTTP answers.
 *
 * - `oauth`: RFC 6749 §5.2 `{error, error_description}` (token, introspection, revocation endpoints).
 * - `problem`: RFC 9457 `application/problem+json` with Latchkey's stable `code` (management API).
 * - `graphql`: `{data: null, errors: [{message, extensions: {code}}]}` (GraphQL compatibility).
 * - `browser`: endpoints a browser is sent to (authorization, logout). An `AuthorizationRedirectError`
 *   goes back to the client's redirect URI with `error`, `error_description`, `state` and `iss`
 *   (RFC 6749 §4.1.2.1, RFC 9207); any other error is an HTML page and never a redirect, since
 *   the client or its redirect URI could not be trusted.
 *
 * An error that is not a `LatchkeyError` is a bug: the client gets a generic 500, the log gets the rest;
 * except an AWS dependency that is down, hanging or throttling, which is `ServiceUnavailable` (503
 * with `Retry-After`) in each of the three shapes.
 */
export type ErrorStyle = 'oauth' | 'problem' | 'graphql' | 'browser';

const INTERNAL = new LatchkeyError(500, 'server_error', 'an unexpected error occurred');

/** GraphQL clients written against the compatibility API expect these upper-case codes. */
const GRAPHQL_CODES: Readonly<Record<string, string>> = {
  invalid_client: 'INVALID_CLIENT_ID_SECRET',
  invalid_request: 'BAD_USER_INPUT',
  token_required: 'UNAUTHENTICATED',
  invalid_token: 'UNAUTHENTICATED',
  not_authorized: 'FORBIDDEN',
  server_error: 'INTERNAL_SERVER_ERROR',
  temporarily_unavailable: 'SERVICE_UNAVAILABLE',
  too_many_attempts: 'TOO_MANY_REQUESTS',
};

/**
 * Latchkey codes that RFC 6749 §5.2 has no word for, as OAuth clients should read them: a throttled
 * client authentication is `temporarily_unavailable` (the registered code for "try again later"),
 * told apart from an outage by its 429 status.
 */
const OAUTH_CODES: Readonly<Record<string, string>> = {
  too_many_attempts: 'temporarily_unavailable',
};

export function graphqlCode(code: string): string {
  return GRAPHQL_CODES[code] ?? code.toUpperCase();
}

export function toLatchkeyError(error: unknown): LatchkeyError {
  if (error instanceof LatchkeyError) return error;
  if (isDependencyOutage(error)) return new ServiceUnavailable(describe(error), 5, error);
  return INTERNAL;
}

/** For the log only: the name and message of the failure, never a request's content. */
function describe(error: unknown): string {
  const { name, message } = error as { name?: unknown; message?: unknown };
  return `AWS dependency unavailable: ${String(name)}: ${String(message).slice(0, 300)}`;
}

export function errorResponse(error: LatchkeyError, style: ErrorStyle): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...error.headers };
  switch (style) {
    case 'oauth':
      return {
        statusCode: error.status,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ error: OAUTH_CODES[error.code] ?? error.code, error_description: error.message }),
      };
    case 'graphql':
      return {
        // Errors raised during execution are answered by src/graphql with 200; what reaches this
        // mapping is a request that is not a well-formed GraphQL request, which GraphQL over HTTP
        // answers with a 4xx (or a failure, 5xx).
        statusCode: error.status,
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          data: null,
          errors: [{ message: error.message, extensions: { code: graphqlCode(error.code) } }],
        }),
      };
    case 'browser':
      if (error instanceof AuthorizationRedirectError) {
        const location = new URL(error.redirectUri);
        location.searchParams.set('error', error.code);
        location.searchParams.set('error_description', error.message);
        if (error.state !== undefined) location.searchParams.set('state', error.state);
        location.searchParams.set('iss', error.issuer);
        return { statusCode: 303, headers: { ...headers, location: location.href } };
      }
      return {
        statusCode: error.status,
        headers: { ...headers, ...PAGE_HEADERS },
        body: errorPage(error),
      };
    case 'problem':
      return {
        statusCode: error.status,
        headers: { ...headers, 'content-type': 'application/problem+json' },
        body: JSON.stringify({
          type: `urn:latchkey:problem:${error.code}`,
          title: titleOf(error.status),
          status: error.status,
          detail: error.message,
          code: error.code,
          ...(error.fields.length > 0 ? { errors: error.fields } : {}),
        }),
      };
  }
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** The page a browser sees when the request cannot be answered at the client's redirect URI. */
function errorPage(error: LatchkeyError): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>${escapeHtml(titleOf(error.status))}</h1><p>${escapeHtml(error.message)}</p><p><code>${escapeHtml(error.code)}</code></p></body></html>`;
}
